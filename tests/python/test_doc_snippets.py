"""docs/OPERATIONS.md's boto3 snippet, run against the local service: it must sign for execute-api."""
import importlib.util
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
SNIPPET = ROOT / "examples" / "boto3_execute_api.py"
DEMO_ID = "lce-00000000-0000-4000-8000-000000000001"


def load_snippet():
    spec = importlib.util.spec_from_file_location("boto3_execute_api", SNIPPET)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_operations_doc_shows_the_boto3_snippet_exactly_as_tested():
    readme = (ROOT / "docs" / "OPERATIONS.md").read_text()
    assert SNIPPET.read_text().strip() in readme


def test_the_boto3_snippet_signs_for_execute_api_and_the_call_succeeds(local_service, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = load_snippet().imagebuilder_for_api_gateway(local_service, "eu-west-1")
    sent = []
    client.meta.events.register(
        "before-send.imagebuilder", lambda request, **kwargs: sent.append(dict(request.headers))
    )

    answer = client.cancel_lifecycle_execution(lifecycleExecutionId=DEMO_ID)

    assert answer["lifecycleExecutionId"] == DEMO_ID
    authorization = sent[0]["Authorization"]
    if isinstance(authorization, bytes):
        authorization = authorization.decode()
    scope = re.search(r"Credential=AKIDEXAMPLE/(\d{8})/([^/]+)/([^/]+)/aws4_request", authorization)
    assert scope is not None, authorization
    assert scope.group(2, 3) == ("eu-west-1", "execute-api")


def test_without_the_hook_boto3_signs_for_imagebuilder(local_service, monkeypatch):
    """The control: proves the check above can fail."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    client = boto3.client("imagebuilder", endpoint_url=local_service, region_name="eu-west-1")
    sent = []
    client.meta.events.register(
        "before-send.imagebuilder", lambda request, **kwargs: sent.append(dict(request.headers))
    )

    client.cancel_lifecycle_execution(lifecycleExecutionId=DEMO_ID)

    authorization = sent[0]["Authorization"]
    if isinstance(authorization, bytes):
        authorization = authorization.decode()
    assert "/eu-west-1/imagebuilder/aws4_request" in authorization
