"""The artifact users ship, under a Lambda Runtime API: `cargo lambda build --release` builds it
(`make test` runs `make lambda-check` first). Events that make lambda_http's own conversion
panic must get a documented response through `/response`, and the same process must answer
the next event: the release profile keeps unwinding, and nothing aborts.

HOSTILE_EVENT_ROUNDS=1000 runs the randomized part longer (default 40).
"""
import base64
import json
import os
import random
import sys

import pytest

from conftest import ROOT, json_lines

# The x86_64 bootstrap by default; `make arm64-check` points these at the arm64 one and qemu.
BOOTSTRAP = ROOT / os.environ.get("RELEASE_BOOTSTRAP", "target/lambda/cancel-lifecycle-execution/bootstrap")
RUNNER = os.environ.get("BOOTSTRAP_RUNNER", "").split()
FIXTURES = ROOT / "tests" / "api" / "fixtures" / "aws_lambda_events"
sys.path.insert(0, str(ROOT / "scripts"))
from lambda_runtime import running_bootstrap  # noqa: E402

OP = "/CancelLifecycleExecution"
ACCOUNT = "123456789012"
NO_DYNAMODB = "http://127.0.0.1:9"  # nothing listens on the discard port
DEMO_ID = "lce-00000000-0000-4000-8000-000000000001"
DOCUMENTED = {
    (200, None), (400, "InvalidRequestException"), (400, "ClientException"),
    (400, "IdempotentParameterMismatchException"), (400, "ResourceInUseException"),
    (403, "ForbiddenException"), (429, "CallRateLimitExceededException"),
    (500, "ServiceException"), (503, "ServiceUnavailableException"),
}


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def body(token="t"):
    return json.dumps({"clientToken": token, "lifecycleExecutionId": DEMO_ID})


def alb(path=OP, text=None, host=None, encoded=False):
    event = fixture("example-alb-lambda-target-request-multivalue-headers.json")
    event.update(httpMethod="PUT", path=path, body=text if text is not None else body(),
                 isBase64Encoded=encoded, multiValueQueryStringParameters={})
    if host is not None:
        event["multiValueHeaders"]["host"] = [host]
    return event


def rest(path=OP, text=None, host=None, encoded=False):
    event = fixture("example-apigw-request.json")
    event.update(httpMethod="PUT", path=path, resource=OP, pathParameters=None,
                 body=text if text is not None else body(), isBase64Encoded=encoded,
                 queryStringParameters=None, multiValueQueryStringParameters=None)
    event["requestContext"].update(httpMethod="PUT", resourcePath=OP, path=f"/testStage{path}")
    event["requestContext"]["identity"]["accountId"] = ACCOUNT
    if host is not None:
        event["headers"]["Host"] = host
        event["multiValueHeaders"]["Host"] = [host]
    return event


def http_api(raw_path=OP, stage="$default", text=None, encoded=False, query=""):
    event = fixture("example-apigw-v2-request-iam.json")
    event.update(rawPath=raw_path, rawQueryString=query, queryStringParameters=None,
                 pathParameters=None, cookies=None, body=text if text is not None else body(),
                 isBase64Encoded=encoded)
    event["requestContext"]["stage"] = stage
    event["requestContext"]["http"].update(method="PUT", path=raw_path)
    event["requestContext"]["authorizer"]["iam"]["accountId"] = ACCOUNT
    return event


def hostile_events():
    for host in ["999.1.1.1", "h:99999", "[::1", "a b", "\u00e9.example"]:
        yield f"ALB Host {host!r}", alb(host=host)
        yield f"REST Host {host!r}", rest(host=host)
    for name, make in [("ALB", alb), ("REST", rest), ("HTTP API", http_api)]:
        yield f"{name} body marked base64 that is not", make(text="e30", encoded=True)
    yield "HTTP API query that is no URI query", http_api(query="a=\u0001b c")
    yield "ALB path that is no path", alb(path=":99999")
    yield "REST path that is no path", rest(path="h:99999")


def mutated(rng):
    """A random hostile variant of a real event: odd hosts, paths, bodies and flags."""
    make = rng.choice([alb, rest, http_api])
    junk = ["", "e30", "=", "%%%", "\u0000", ":", "//", "h:99999", "999.1.1.1", "[", "a b",
            base64.b64encode(b"\xff\xfe").decode(), body(), "{}", "null"]
    kwargs = {"text": rng.choice(junk), "encoded": rng.random() < 0.5}
    if make is not http_api:
        # Any Host a header can carry (a control character makes the event no HTTP event at
        # all, which Lambda's runtime refuses before the function sees it).
        kwargs["host"] = rng.choice([j for j in junk if j.isprintable()] + [None])
    path = rng.choice([OP, "/prod" + OP, ":99999", "", "/", "//" + OP, "h:1" + OP])
    if make is http_api:
        return make(raw_path=path or "/", stage=rng.choice(["$default", "prod"]), **kwargs)
    return make(path=path or "/", **kwargs)


@pytest.fixture
def bootstrap():
    if not BOOTSTRAP.exists():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make lambda-check` (cargo lambda build --release); "
                    "`make test` does it first")
    env = {"AWS_LAMBDA_LOG_LEVEL": "ERROR", "STORE": "embedded", "DEFAULT_ACCOUNT_ID": ACCOUNT,
           "METRICS": "off"}
    with running_bootstrap(BOOTSTRAP, env, RUNNER) as (api, process):
        yield api, process


def assert_documented(case, kind, payload):
    assert kind == "response", f"{case}: an invocation error: {payload}"
    response = json.loads(payload)
    status = response["statusCode"]
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), values[0])
    name = headers.get("x-amzn-errortype")
    assert (status, name) in DOCUMENTED, f"{case}: undocumented {status} {name}: {response}"
    assert headers.get("x-amzn-requestid"), f"{case}: {response}"
    return status, name


def test_the_release_bootstrap_answers_every_hostile_event_and_keeps_answering(bootstrap):
    api, process = bootstrap
    for case, event in hostile_events():
        kind, payload = api.invoke(event)
        status, _ = assert_documented(case, kind, payload)
        assert process.poll() is None, f"{case}: the process exited with {process.returncode}"
    kind, payload = api.invoke(alb(text=body("after")))
    assert_documented("a normal event after them", kind, payload)
    assert json.loads(payload)["statusCode"] in (200, 400)
    assert process.poll() is None


def test_the_release_bootstrap_serves_every_mount_of_the_operation(bootstrap):
    api, process = bootstrap
    for n, (case, event) in enumerate([
        ("REST default endpoint", rest()),
        ("REST behind a base path", rest(path="/imagebuilder" + OP)),
        ("HTTP API $default", http_api()),
        ("HTTP API named stage", http_api(raw_path="/prod" + OP, stage="prod")),
        ("ALB", alb()),
    ]):
        # The same token each time: the first cancels, the rest replay the same body.
        kind, payload = api.invoke(event)
        status, name = assert_documented(case, kind, payload)
        assert (status, name) == (200, None), f"{case}: {payload}"
    kind, payload = api.invoke(http_api(raw_path="/other" + OP, stage="prod"))
    assert assert_documented("a wrong prefix", kind, payload) == (400, "InvalidRequestException")


def test_a_payload_that_is_no_http_event_may_fail_but_the_process_answers_on(bootstrap):
    api, process = bootstrap
    api.invoke({})
    assert process.poll() is None
    assert_documented("after {}", *api.invoke(alb()))


def test_randomized_hostile_events_never_stop_the_release_bootstrap(bootstrap):
    api, process = bootstrap
    rounds = int(os.environ.get("HOSTILE_EVENT_ROUNDS", "40"))
    rng = random.Random(int(os.environ.get("HOSTILE_EVENT_SEED", "7")))
    for n in range(rounds):
        event = mutated(rng)
        kind, payload = api.invoke(event)
        assert_documented(f"round {n}: {json.dumps(event)[:300]}", kind, payload)
        assert process.poll() is None, f"round {n}: the process exited"


def sam_local_environment(with_overrides=True):
    """The variables `sam local invoke --env-vars sam-local-env.json` gives the function: the
    template's (a `!Ref` of a parameter resolved to its default, as SAM does; other intrinsics
    left as a placeholder), overridden by the file."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader, suffix, node):
        value = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
        return ("!" + suffix, value)

    Loader.add_multi_constructor("!", intrinsic)
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    parameters = template["Parameters"]

    def resolve(value):
        if isinstance(value, tuple):
            tag, name = value
            if tag == "!Ref" and name in parameters:
                return str(parameters[name]["Default"])
            return f"<{tag} {name}>"
        return str(value)

    function = template["Resources"]["CancelLifecycleExecutionFunction"]["Properties"]
    variables = {name: resolve(value) for name, value in function["Environment"]["Variables"].items()}
    if not with_overrides:
        return variables
    overrides = json.loads((ROOT / "sam-local-env.json").read_text())["CancelLifecycleExecutionFunction"]
    undeclared = set(overrides) - set(variables)
    assert not undeclared, f"sam local only overrides declared variables; undeclared: {undeclared}"
    variables.update(overrides)
    return variables


def test_the_bootstrap_runs_with_the_environment_sam_local_passes():
    if not BOOTSTRAP.exists():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make lambda-check`")
    env = {**sam_local_environment(), "AWS_LAMBDA_FUNCTION_NAME": "CancelLifecycleExecutionFunction"}
    with running_bootstrap(BOOTSTRAP, env, RUNNER) as (api, process):
        # 15 carries no identity: under sam local the default account stands in, and finds the
        # execution 01 cancelled already in use (deployed, it is refused with ForbiddenException).
        for name, status in [("01-rest-api-cancel.json", 200), ("16-rest-api-get-after-cancel.json", 200),
                             ("15-rest-api-no-identity.json", 400)]:
            event = json.loads((ROOT / "events" / name).read_text())
            kind, payload = api.invoke(event, timeout=20)
            assert kind == "response", f"{name}: {payload}"
            assert json.loads(payload)["statusCode"] == status, f"{name}: {payload}"
        assert process.poll() is None


def template_environment():
    """The function's environment exactly as template.yaml deploys it, references resolved."""
    return {name: value for name, value in sam_local_environment(with_overrides=False).items()}


def templates_environment_with_no_dynamodb():
    """template.yaml's environment, with test credentials and an endpoint nothing listens on."""
    return {**template_environment(), "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "AWS_ENDPOINT_URL_DYNAMODB": NO_DYNAMODB}


def test_the_bootstrap_starts_with_exactly_the_templates_environment(tmp_path):
    """template.yaml deploys DEFAULT_ACCOUNT_ID: "" with STORE=dynamodb: an empty variable is
    unset, so the init must not refuse it; every answer is a documented one."""
    if not BOOTSTRAP.exists():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make lambda-check`")
    env = templates_environment_with_no_dynamodb()
    assert env["DEFAULT_ACCOUNT_ID"] == "" and env["STORE"] == "dynamodb", env
    with running_bootstrap(BOOTSTRAP, env, RUNNER) as (api, process):
        event = json.loads((ROOT / "events" / "14-rest-api-wrong-method.json").read_text())
        kind, payload = api.invoke(event, timeout=30)
        assert api.init_error is None, api.init_error
        assert kind == "response", payload
        assert json.loads(payload)["statusCode"] == 400, payload
        assert process.poll() is None


def test_the_start_up_check_names_the_endpoint_of_aws_endpoint_url_dynamodb_when_it_gets_no_answer(tmp_path):
    """The SDK sends to AWS_ENDPOINT_URL_DYNAMODB; the WARN line must name that endpoint, not
    the regional one."""
    if not BOOTSTRAP.exists():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make lambda-check`")
    log = tmp_path / "stdout.log"
    env = templates_environment_with_no_dynamodb()
    with log.open("wb") as out, running_bootstrap(BOOTSTRAP, env, RUNNER, stdout=out) as (api, _):
        event = json.loads((ROOT / "events" / "14-rest-api-wrong-method.json").read_text())
        kind, payload = api.invoke(event, timeout=30)
        assert kind == "response", payload
    lines = json_lines(log)
    warnings = [line for line in lines if "start-up check: no answer" in str(line.get("message", ""))]
    assert warnings, lines
    assert NO_DYNAMODB in json.dumps(warnings[0]), warnings[0]
    assert "regional" not in json.dumps(warnings[0]), warnings[0]


def test_under_lambda_the_summary_line_and_metrics_carry_lambdas_ids_and_the_cold_start(tmp_path):
    if not BOOTSTRAP.exists():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make lambda-check`")
    log = tmp_path / "stdout.log"
    env = {"STORE": "embedded", "DEFAULT_ACCOUNT_ID": ACCOUNT}
    with log.open("wb") as out, running_bootstrap(BOOTSTRAP, env, RUNNER, stdout=out) as (api, _):
        for name in ["01-rest-api-cancel.json", "16-rest-api-get-after-cancel.json"]:
            event = json.loads((ROOT / "events" / name).read_text())
            kind, payload = api.invoke(event, timeout=20)
            assert kind == "response", payload
    lines = json_lines(log)
    summaries = [line for line in lines if line.get("message") == "request"]
    documents = [line for line in lines if "_aws" in line]
    assert len(summaries) == 2 and len(documents) == 2, lines
    for record in summaries + documents:
        assert record["request_id"] != record["function_request_id"], record
        assert len(record["function_request_id"]) == 36, record
        assert record["xray_trace_id"] == "Root=1-00000000-000000000000000000000000", record
    assert [s["cold_start"] for s in summaries] == [True, False], summaries
    assert [d["cold_start"] for d in documents] == [True, False], documents
    assert [s["function_request_id"] for s in summaries] == [d["function_request_id"] for d in documents]
