"""The CodeDeploy PreTraffic hook (deploy/pre_traffic_hook/app.py): its checks pass against the
release bootstrap under a Lambda runtime API, and fail for a build that answers wrongly or fails."""
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "target" / "lambda" / "cancel-lifecycle-execution" / "bootstrap"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "deploy" / "pre_traffic_hook"))
import app as hook  # noqa: E402
from lambda_runtime import running_bootstrap  # noqa: E402


@pytest.fixture
def new_version():
    """The release bootstrap as a deployed version would run (identity from the event)."""
    if not BOOTSTRAP.exists():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make lambda-check`; `make test` does it first")
    env = {"AWS_LAMBDA_FUNCTION_VERSION": "7", "STORE": "embedded", "METRICS": "off"}
    with running_bootstrap(BOOTSTRAP, env) as (api, _):
        yield api


def test_a_good_build_passes_every_pre_traffic_check(new_version):
    def invoke(event):
        kind, payload = new_version.invoke(event)
        if kind != "response":
            raise RuntimeError(payload)
        return json.loads(payload)

    assert hook.check(invoke) == []


def test_a_build_that_answers_wrongly_or_fails_fails_the_checks():
    ok = {"statusCode": 200, "headers": {"x-amzn-requestid": "r"}, "body": '{"lifecycleExecutionId":"x"}'}

    def answers_200(event):
        return ok

    def fails(event):
        raise RuntimeError("Unhandled")

    assert len(hook.check(answers_200)) == len(hook.CHECKS)
    assert len(hook.check(fails)) == len(hook.CHECKS)
