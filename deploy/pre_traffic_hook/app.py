"""CodeDeploy PreTraffic hook: before any traffic shifts to a new version of the function, send
that version synthetic requests and fail the deployment unless each gets its documented answer.

The handler never fails an invocation, so Lambda's own Errors metric cannot see a bad build; these
checks can. Each request is an API Gateway REST event signed by a made-up account that owns
nothing, so none of them changes data:

- GetLifecycleExecution of an id that does not exist      -> 400 ClientException
- CancelLifecycleExecution with a body that is not JSON   -> 400 InvalidRequestException
- CancelLifecycleExecution of an id that does not exist   -> 400 ClientException
- ListLifecycleExecutions with a token it never issued    -> 400 InvalidPaginationTokenException
"""
import json
import os
import uuid

PROBE_ACCOUNT = "000000000000"
MISSING_ID = "lce-00000000-0000-4000-8000-00000000dead"


def rest_event(method, path, body=None, query=None):
    request_id = f"pre-traffic-{uuid.uuid4()}"
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"content-type": ["application/json"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": PROBE_ACCOUNT,
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/pre-traffic{path}",
            "stage": "pre-traffic",
            "requestId": request_id,
            "identity": {"accountId": PROBE_ACCOUNT, "sourceIp": "127.0.0.1"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


CHECKS = [
    ("a read of an id that does not exist",
     rest_event("GET", "/GetLifecycleExecution", query={"lifecycleExecutionId": MISSING_ID}),
     400, "ClientException"),
    ("a malformed body",
     rest_event("PUT", "/CancelLifecycleExecution", body="{not json"),
     400, "InvalidRequestException"),
    ("a cancel of an id that does not exist",
     rest_event("PUT", "/CancelLifecycleExecution",
                body=json.dumps({"clientToken": "pre-traffic-check", "lifecycleExecutionId": MISSING_ID})),
     400, "ClientException"),
    ("a list with a token the service never issued",
     rest_event("POST", "/ListLifecycleExecutions",
                body=json.dumps({"resourceArn": f"arn:aws:imagebuilder:us-east-1:{PROBE_ACCOUNT}:lifecycle-policy/pre-traffic",
                                 "nextToken": "pre-traffic-check"})),
     400, "InvalidPaginationTokenException"),
]


def header(response, name):
    for headers in (response.get("headers") or {}, response.get("multiValueHeaders") or {}):
        for key, value in headers.items():
            if key.lower() == name:
                return value[0] if isinstance(value, list) else value
    return None


def check(invoke):
    """Runs every check with `invoke(event) -> response dict`; returns the failures (empty: pass)."""
    failures = []
    for name, event, status, error_type in CHECKS:
        try:
            response = invoke(event)
        except Exception as error:  # an invocation error is a failed check, not a crashed hook
            failures.append(f"{name}: the invocation failed: {error}")
            continue
        got = (response.get("statusCode"), header(response, "x-amzn-errortype"))
        body = json.loads(response.get("body") or "{}")
        if got != (status, error_type) or body.get("__type") != error_type:
            failures.append(f"{name}: expected {status} {error_type}, got {got[0]} {got[1]}: {response.get('body')}")
        elif not header(response, "x-amzn-requestid"):
            failures.append(f"{name}: no x-amzn-RequestId header")
    return failures


def handler(event, context):
    import boto3

    lambda_client = boto3.client("lambda")
    target = os.environ["NEW_VERSION_ARN"]

    def invoke(request):
        answer = lambda_client.invoke(FunctionName=target, Payload=json.dumps(request).encode())
        payload = answer["Payload"].read()
        if answer.get("FunctionError"):
            raise RuntimeError(payload.decode(errors="replace"))
        return json.loads(payload)

    failures = check(invoke)
    for failure in failures:
        print(json.dumps({"level": "ERROR", "message": "pre-traffic check failed", "failure": failure}))
    boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status="Failed" if failures else "Succeeded",
    )
    return {"failures": failures}
