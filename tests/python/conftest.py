"""Shared fixtures: the service binary on a free loopback port, moto, the fault endpoint."""
import contextlib
import json
import os
import pathlib
import subprocess
import sys
import urllib.request
import uuid

import boto3
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "cancel-lifecycle-execution"
ACCOUNT = "123456789012"
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}


def json_lines(path):
    """The JSON lines a process wrote to `path` (its other lines skipped)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def new_id():
    hex_ = uuid.uuid4().hex
    return f"lce-{hex_[0:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:32]}"


@contextlib.contextmanager
def running_service(**env):
    """The binary in local mode with `env` added; yields its base URL."""
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `cargo build` first (`make test` does)")
    full_env = {"PATH": os.environ.get("PATH", ""), "LISTEN_ADDR": "127.0.0.1:0", "RUST_LOG": "warn", **env}
    process = subprocess.Popen([str(BINARY)], env=full_env, stdout=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()
        if "http://" not in first_line:
            pytest.fail(f"the service did not start: {first_line!r}")
        yield "http://" + first_line.split("http://")[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def local_service():
    """The binary with the embedded demo store, as `cargo run` starts it."""
    with running_service() as url:
        yield url


@pytest.fixture(scope="session")
def moto_endpoint():
    endpoint = os.environ.get("MOTO_ENDPOINT")
    if not endpoint:
        pytest.fail(
            "MOTO_ENDPOINT is not set: run `make test`, or start moto yourself "
            "(`.venv/bin/moto_server -H 127.0.0.1 -p 5000`) and set MOTO_ENDPOINT=http://127.0.0.1:5000"
        )
    return endpoint


class Tables:
    """A fresh pair of tables on moto, created by the binary's own `create-tables`."""

    def __init__(self, moto_endpoint):
        suffix = uuid.uuid4().hex[:12]
        self.executions = f"py-executions-{suffix}"
        self.idempotency = f"py-idempotency-{suffix}"
        self.env = {
            **TEST_CREDENTIALS,
            "AWS_ENDPOINT_URL_DYNAMODB": moto_endpoint,
            "EXECUTIONS_TABLE": self.executions,
            "IDEMPOTENCY_TABLE": self.idempotency,
        }
        subprocess.run(
            [str(BINARY), "create-tables"],
            env={"PATH": os.environ.get("PATH", ""), **self.env},
            check=True,
            capture_output=True,
        )
        self.dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def put_execution(self, status, account=ACCOUNT, **attributes):
        """An execution of `account` in `status`, with any other attributes as DynamoDB values."""
        execution_id = new_id()
        self.dynamodb.put_item(
            TableName=self.executions,
            Item={
                "lifecycleExecutionId": {"S": execution_id},
                "accountId": {"S": account},
                "status": {"S": status},
                **attributes,
            },
        )
        return execution_id

    def put_policy_execution(self, policy_arn, start_time, status="IN_PROGRESS", account=ACCOUNT):
        """An execution of `policy_arn` as an engine writes it: `startTime` a number."""
        return self.put_execution(
            status, account, lifecyclePolicyArn={"S": policy_arn}, startTime={"N": str(start_time)}
        )

    def status(self, execution_id):
        item = self.dynamodb.get_item(
            TableName=self.executions, Key={"lifecycleExecutionId": {"S": execution_id}}, ConsistentRead=True
        )["Item"]
        return item["status"]["S"]


@pytest.fixture
def tables(moto_endpoint):
    return Tables(moto_endpoint)


@pytest.fixture
def service_on_moto(tables):
    with running_service(**tables.env, DEFAULT_ACCOUNT_ID=ACCOUNT) as url:
        yield url


class FaultyDynamoDb:
    def __init__(self, endpoint):
        self.endpoint = endpoint

    def set(self, mode):
        request = urllib.request.Request(self.endpoint + "/__fault__", data=mode.encode(), method="PUT")
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 204


@pytest.fixture
def fault_dynamodb(moto_endpoint):
    """scripts/fault_dynamodb.py in front of moto, forwarding until told otherwise."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "fault_dynamodb.py"), "--upstream", moto_endpoint],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield FaultyDynamoDb(process.stdout.readline().strip().removeprefix("listening on "))
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def faulty_service(tables, fault_dynamodb):
    """The service in front of scripts/fault_dynamodb.py in front of moto; yields (url, fault)."""
    env = {**tables.env, "AWS_ENDPOINT_URL_DYNAMODB": fault_dynamodb.endpoint, "DEFAULT_ACCOUNT_ID": ACCOUNT}
    with running_service(**env) as url:
        yield url, fault_dynamodb
