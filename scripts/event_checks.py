"""Every event in events/ that carries an identity, in name order, through a Lambda emulator,
against its *.expected.json (equal as JSON; a request id made per call, for an event that
carries none, is compared by its shape). Used by check-cargo-lambda.sh and sam-local-check.sh.

Usage: event_checks.py cargo-lambda PORT | sam-start-lambda ENDPOINT
"""
import json
import pathlib
import subprocess
import sys
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
MASK = "<a UUID: the event carries no request id>"
FUNCTION = "CancelLifecycleExecutionFunction"


def has_identity(event):
    context = event.get("requestContext", {})
    return bool((context.get("identity") or {}).get("accountId")
                or ((context.get("authorizer") or {}).get("iam") or {}).get("accountId"))


def expected_for(event_path):
    return json.loads(event_path.with_suffix("").with_suffix(".expected.json").read_text())


def masked(event, response):
    """The response with a generated request id replaced by the expected files' mask."""
    if not event.get("requestContext", {}).get("requestId"):
        for headers in ("headers", "multiValueHeaders"):
            value = response.get(headers, {}).get("x-amzn-requestid")
            if value is not None:
                uuid.UUID(value[0] if isinstance(value, list) else value)
                response[headers]["x-amzn-requestid"] = [MASK] if isinstance(value, list) else MASK
    return response


def identity_events():
    for event_path in sorted((ROOT / "events").glob("*.json")):
        if event_path.name.endswith(".expected.json"):
            continue
        event = json.loads(event_path.read_text())
        if has_identity(event):
            yield event_path, event


def check(name, invoke):
    checked = 0
    for event_path, event in identity_events():
        printed = invoke(event_path)
        response = masked(event, json.loads(printed))
        expected = expected_for(event_path)
        assert response == expected, f"{event_path.name}: {name} answered {printed}, expected {expected}"
        checked += 1
    assert checked >= 15, f"only {checked} events checked"
    print(f"{name}: {checked} events answered exactly as events/*.expected.json says")


def cargo_lambda(port):
    def invoke(event_path):
        return subprocess.run(
            ["cargo", "lambda", "invoke", "cancel-lifecycle-execution", "--invoke-address", "127.0.0.1",
             "--invoke-port", port, "--data-file", str(event_path)],
            check=True, capture_output=True, text=True).stdout
    check("cargo lambda watch", invoke)


def sam_start_lambda(endpoint):
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="sam",
        aws_secret_access_key="local",
        config=Config(read_timeout=120, retries={"max_attempts": 0}))

    def invoke(event_path):
        answer = client.invoke(FunctionName=FUNCTION, Payload=event_path.read_bytes())
        assert "FunctionError" not in answer, f"{event_path.name}: {answer}"
        return answer["Payload"].read().decode()
    check("sam local start-lambda", invoke)


if __name__ == "__main__":
    kind, where = sys.argv[1], sys.argv[2]
    {"cargo-lambda": cargo_lambda, "sam-start-lambda": sam_start_lambda}[kind](where)
