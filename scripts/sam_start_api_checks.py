"""The documented answers through `sam local start-api` (events from SAM's own API emulation,
with no IAM identity: the caller is sam-local-env.json's DEFAULT_ACCOUNT_ID).

Usage: sam_start_api_checks.py BASE_URL
"""
import json
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1]
RUNNING = "lce-00000000-0000-4000-8000-000000000002"
OTHER = "lce-00000000-0000-4000-8000-000000000001"
FINISHED = "lce-00000000-0000-4000-8000-000000000004"


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    assert headers.get("x-amzn-RequestId"), f"{method} {path}: no x-amzn-RequestId: {dict(headers)}"
    return status, headers, raw


def error_of(status, headers, raw, expected_status, name):
    assert status == expected_status, (status, raw)
    assert headers.get("x-amzn-ErrorType") == name, dict(headers)
    assert json.loads(raw)["__type"] == name, raw


cancel = {"clientToken": "sam-start-api-1", "lifecycleExecutionId": RUNNING}
status, _, first = call("PUT", "/CancelLifecycleExecution", cancel)
assert (status, json.loads(first)) == (200, {"lifecycleExecutionId": RUNNING}), (status, first)
status, _, again = call("PUT", "/CancelLifecycleExecution", cancel)
assert (status, again) == (200, first), f"the replay is not the same bytes: {again!r} vs {first!r}"
error_of(*call("PUT", "/CancelLifecycleExecution", {**cancel, "lifecycleExecutionId": OTHER}),
         400, "IdempotentParameterMismatchException")
status, _, raw = call("GET", f"/GetLifecycleExecution?lifecycleExecutionId={RUNNING}")
assert status == 200 and json.loads(raw)["lifecycleExecution"]["state"]["status"] == "CANCELLING", raw
error_of(*call("PUT", "/CancelLifecycleExecution",
               {"clientToken": "sam-start-api-2", "lifecycleExecutionId": FINISHED}),
         400, "InvalidRequestException")
error_of(*call("DELETE", "/CancelLifecycleExecution"), 400, "InvalidRequestException")
print("sam local start-api: cancel, replay (same bytes), mismatch, read after cancel, finished, "
      "wrong method: each its documented answer with x-amzn-RequestId")
