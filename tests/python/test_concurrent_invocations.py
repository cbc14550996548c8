"""The artifact users ship, serving many invocations in one process as Lambda Managed Instances
runs it (`AWS_LAMBDA_MAX_CONCURRENCY`): several in flight at once, each answer its own event's,
each summary line its own invocation's ids and DynamoDB calls; unset, one at a time as before.
DynamoDB is held a second a call (scripts/fault_dynamodb.py, "slow"), so invocations overlap.
"""
import json
import os
import sys
import time
import uuid

import pytest

from conftest import ACCOUNT, ROOT, TEST_CREDENTIALS, json_lines

BOOTSTRAP = ROOT / os.environ.get("RELEASE_BOOTSTRAP", "target/lambda/cancel-lifecycle-execution/bootstrap")
sys.path.insert(0, str(ROOT / "scripts"))
from lambda_runtime import running_bootstrap  # noqa: E402

CANCEL = json.loads((ROOT / "events" / "01-rest-api-cancel.json").read_text())
GET = json.loads((ROOT / "events" / "16-rest-api-get-after-cancel.json").read_text())


def cancel_event(execution_id, token):
    event = json.loads(json.dumps(CANCEL))
    event["body"] = json.dumps({"clientToken": token, "lifecycleExecutionId": execution_id})
    event["requestContext"]["requestId"] = f"gw-{uuid.uuid4()}"
    return event


def get_event(execution_id):
    event = json.loads(json.dumps(GET))
    event["queryStringParameters"] = {"lifecycleExecutionId": execution_id}
    event["multiValueQueryStringParameters"] = {"lifecycleExecutionId": [execution_id]}
    event["requestContext"]["requestId"] = f"gw-{uuid.uuid4()}"
    return event


def serve(tables, fault_dynamodb, tmp_path, concurrency):
    """Invocations of cancels, replays, mismatches and reads, all submitted at once; returns
    (the stand-in's most invocations in flight at once, [(event kind, id, trace, answer)], lines)."""
    if not BOOTSTRAP.exists():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make lambda-check` (cargo lambda build --release)")
    env = {**tables.env, "AWS_ENDPOINT_URL_DYNAMODB": fault_dynamodb.endpoint, "METRICS": "off"}
    if concurrency:
        env["AWS_LAMBDA_MAX_CONCURRENCY"] = str(concurrency)
    ids = [tables.put_execution("IN_PROGRESS") for _ in range(8)]
    events = [("cancel", i, cancel_event(i, f"tok-{n}")) for n, i in enumerate(ids)]
    events += [("replay", ids[0], cancel_event(ids[0], "tok-0")),
               ("mismatch", ids[1], cancel_event(ids[1], "tok-2")),
               ("get", ids[3], get_event(ids[3])), ("get", ids[4], get_event(ids[4]))]
    fault_dynamodb.set("slow")
    log = tmp_path / f"stdout-{concurrency}.log"
    answered = []
    with log.open("wb") as out, running_bootstrap(BOOTSTRAP, {**env, "AWS_LAMBDA_LOG_LEVEL": "INFO"}, stdout=out) as (api, _):
        submitted = []
        for kind, execution_id, event in events:
            trace = f"Root=1-65540000-{uuid.uuid4().hex[:24]}"
            submitted.append((kind, execution_id, trace, api.submit(event, trace_id=trace)))
        for kind, execution_id, trace, request_id in submitted:
            result, payload = api.wait(request_id, timeout=60)
            assert result == "response", payload
            answered.append((kind, execution_id, trace, request_id, json.loads(payload)))
    fault_dynamodb.set("none")
    return api.max_in_flight, answered, json_lines(log)


def assert_each_answer_and_line_is_its_own(answered, lines):
    summaries = {line["function_request_id"]: line for line in lines if line.get("message") == "request"}
    assert len(summaries) == len(answered), lines
    for kind, execution_id, trace, request_id, answer in answered:
        line = summaries[request_id]
        assert line["xray_trace_id"] == trace, line
        assert line["lifecycle_execution_id"] == execution_id, line
        assert line["dynamodb_calls"] == 1, line
        body = json.loads(answer["body"])
        if kind == "mismatch":
            assert answer["statusCode"] == 400 and body["__type"] == "IdempotentParameterMismatchException", answer
        elif kind == "get":
            assert answer["statusCode"] == 200 and body["lifecycleExecution"]["lifecycleExecutionId"] == execution_id
        else:
            assert answer["statusCode"] == 200 and body == {"lifecycleExecutionId": execution_id}, answer
    # Whole lines only: every line of stdout parsed (json_lines skips none that begin a JSON object).
    assert all(isinstance(line, dict) for line in lines)


def test_with_a_max_concurrency_of_8_invocations_overlap_and_each_keeps_its_own(tables, fault_dynamodb, tmp_path):
    most, answered, lines = serve(tables, fault_dynamodb, tmp_path, concurrency=8)

    assert most > 1, "no two invocations were ever in flight at once"
    assert_each_answer_and_line_is_its_own(answered, lines)
    assert sum(1 for line in lines if line.get("cold_start") is True) == 1, "one cold start per process"


def test_without_a_max_concurrency_invocations_run_one_at_a_time(tables, fault_dynamodb, tmp_path):
    most, answered, lines = serve(tables, fault_dynamodb, tmp_path, concurrency=None)

    assert most == 1
    assert_each_answer_and_line_is_its_own(answered, lines)


def test_the_invocations_deadline_bounds_dynamodb_time_on_the_shipped_bootstrap(tables, fault_dynamodb, tmp_path):
    if not BOOTSTRAP.exists():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make lambda-check` (cargo lambda build --release)")
    env = {**tables.env, "AWS_ENDPOINT_URL_DYNAMODB": fault_dynamodb.endpoint, "METRICS": "off",
           "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    past, near = tables.put_execution("IN_PROGRESS"), tables.put_execution("IN_PROGRESS")
    log = tmp_path / "stdout.log"
    fault_dynamodb.set("slow")  # every DynamoDB call answers after 1 s
    with log.open("wb") as out, running_bootstrap(BOOTSTRAP, env, stdout=out) as (api, _):
        now_ms = int(time.time() * 1000)
        late = api.wait(api.submit(cancel_event(past, "late"), deadline_ms=now_ms - 5_000), timeout=30)
        started = time.time()
        due = api.submit(cancel_event(near, "near"), deadline_ms=int(started * 1000) + 1_200)
        bounded = api.wait(due, timeout=30)
        answered_after = time.time() - started
        time.sleep(1.5)  # the abandoned transaction still reaches DynamoDB
        fault_dynamodb.set("none")
        retry = api.wait(api.submit(cancel_event(near, "near")), timeout=30)

    for kind, payload in (late, bounded):
        answer = json.loads(payload)
        assert kind == "response" and answer["statusCode"] == 503, payload
    assert answered_after < 1.2, f"answered {answered_after:.3f} s after, past the deadline"
    assert json.loads(json.loads(retry[1])["body"]) == {"lifecycleExecutionId": near}
    assert tables.status(near) == "CANCELLING" and tables.status(past) == "IN_PROGRESS"
    summaries = [line for line in json_lines(log) if line.get("message") == "request"]
    assert [s["dynamodb_calls"] for s in summaries[:1]] == [0], summaries
    assert all("deadline" in s["cause"] for s in summaries[:2]), summaries
    # The first invocation's whole budget was under 8.5 s: one WARN says so.
    assert sum(1 for line in json_lines(log) if "Timeout" in line.get("message", "")) == 1
