"""The start-up check under a Lambda runtime API, on moto: a missing table is one ERROR line at
init naming the table and the fix, and the function still answers with documented errors."""
import json
import sys
import uuid

import pytest

from conftest import ROOT, json_lines
BOOTSTRAP = ROOT / "target/lambda/cancel-lifecycle-execution/bootstrap"
sys.path.insert(0, str(ROOT / "scripts"))
from lambda_runtime import running_bootstrap  # noqa: E402


def test_a_missing_table_is_one_error_line_at_init_and_the_function_answers_on(tmp_path, moto_endpoint):
    if not BOOTSTRAP.exists():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make lambda-check`")
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    env = {"STORE": "dynamodb", "EXECUTIONS_TABLE": missing, "IDEMPOTENCY_TABLE": f"{missing}-tokens",
           "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_ENDPOINT_URL_DYNAMODB": moto_endpoint}
    log = tmp_path / "stdout.log"
    with log.open("wb") as out, running_bootstrap(BOOTSTRAP, env, stdout=out) as (api, process):
        event = json.loads((ROOT / "events" / "01-rest-api-cancel.json").read_text())
        kind, payload = api.invoke(event, timeout=30)
        assert api.init_error is None, api.init_error
        assert kind == "response", payload
        assert json.loads(payload)["statusCode"] == 500, payload
        assert process.poll() is None
    lines = json_lines(log)
    errors = [line for line in lines if line.get("level") == "ERROR"]
    assert len(errors) == 1, lines
    assert missing in errors[0]["problem"] and "create-tables" in errors[0]["problem"], errors[0]
    summary = next(line for line in lines if line.get("message") == "request")
    assert "ResourceNotFoundException" in summary["cause"], summary
