"""boto3 and the AWS CLI against the service: each documented outcome as the modeled one."""
import hashlib
import json
import os
import pathlib
import subprocess

import boto3
import botocore.config
import pytest

from conftest import ACCOUNT, new_id, running_service

AWS_CLI = pathlib.Path(__file__).resolve().parents[2] / ".venv" / "bin" / "aws"


def imagebuilder(url):
    """A boto3 client without retries, so each call is one request."""
    return boto3.client(
        "imagebuilder",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def test_boto3_cancel_returns_the_id_and_a_request_id(service_on_moto, tables):
    execution_id = tables.put_execution("IN_PROGRESS")

    answer = imagebuilder(service_on_moto).cancel_lifecycle_execution(lifecycleExecutionId=execution_id)

    assert answer["lifecycleExecutionId"] == execution_id
    assert answer["ResponseMetadata"]["RequestId"]
    assert tables.status(execution_id) == "CANCELLING"


def test_boto3_cancels_with_a_sha256_hex_digest_as_its_token_as_image_builder_accepts(service_on_moto, tables):
    execution_id = tables.put_execution("IN_PROGRESS")
    token = hashlib.sha256(execution_id.encode()).hexdigest()
    client = imagebuilder(service_on_moto)

    first = client.cancel_lifecycle_execution(lifecycleExecutionId=execution_id, clientToken=token)
    again = client.cancel_lifecycle_execution(lifecycleExecutionId=execution_id, clientToken=token)

    assert len(token) == 64
    assert first["lifecycleExecutionId"] == again["lifecycleExecutionId"] == execution_id
    assert tables.status(execution_id) == "CANCELLING"


def test_boto3_sees_each_refusal_as_its_modeled_exception(service_on_moto, tables):
    client = imagebuilder(service_on_moto)
    open_id, busy_id, done_id = (tables.put_execution(s) for s in ("PENDING", "CANCELLING", "SUCCESS"))
    client.cancel_lifecycle_execution(lifecycleExecutionId=open_id, clientToken="used")
    cases = [
        (client.exceptions.ClientException, {"lifecycleExecutionId": new_id()}),
        (client.exceptions.ResourceInUseException, {"lifecycleExecutionId": busy_id}),
        (client.exceptions.IdempotentParameterMismatchException, {"lifecycleExecutionId": busy_id, "clientToken": "used"}),
        (client.exceptions.InvalidRequestException, {"lifecycleExecutionId": done_id}),
    ]
    for exception, params in cases:
        with pytest.raises(exception) as raised:
            client.cancel_lifecycle_execution(**params)
        error = raised.value.response["Error"]
        assert error["Message"], error
        assert raised.value.response["ResponseMetadata"]["RequestId"]


def test_boto3_sees_a_caller_without_identity_as_forbidden(tables):
    with running_service(**tables.env) as url:
        client = imagebuilder(url)
        with pytest.raises(client.exceptions.ForbiddenException):
            client.cancel_lifecycle_execution(lifecycleExecutionId=new_id())


def test_boto3_sees_each_database_failure_as_its_modeled_exception(faulty_service, tables):
    url, fault = faulty_service
    client = imagebuilder(url)
    execution_id = tables.put_execution("PENDING")
    for mode, exception in [
        ("throttling", client.exceptions.CallRateLimitExceededException),
        ("internal-error", client.exceptions.ServiceUnavailableException),
        ("access-denied", client.exceptions.ServiceException),
    ]:
        fault.set(mode)
        with pytest.raises(exception) as raised:
            client.cancel_lifecycle_execution(lifecycleExecutionId=execution_id, clientToken="t")
        assert "secret-table-name" not in raised.value.response["Error"]["Message"]
    fault.set("none")
    assert client.cancel_lifecycle_execution(lifecycleExecutionId=execution_id, clientToken="t")["lifecycleExecutionId"] == execution_id


def aws(url, *args):
    return cli(url, "cancel-lifecycle-execution", *args)


def cli(url, command, *args):
    """`aws imagebuilder COMMAND` against `url`, one attempt, no local AWS configuration."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    return subprocess.run(
        [str(AWS_CLI), "imagebuilder", command, "--endpoint-url", url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def cli_failure_code():
    answer = subprocess.run([str(AWS_CLI), "--version"], capture_output=True, text=True)
    version = answer.stdout + answer.stderr
    return 254 if version.startswith("aws-cli/2") else 255


def test_the_aws_cli_prints_the_json_answer_and_exits_0(service_on_moto, tables):
    execution_id = tables.put_execution("IN_PROGRESS")

    result = aws(service_on_moto, "--lifecycle-execution-id", execution_id)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"lifecycleExecutionId": execution_id}


def assert_cli_error(result, name):
    assert result.returncode == cli_failure_code(), (result.returncode, result.stderr)
    assert f"({name})" in result.stderr, result.stderr
    assert result.stdout == ""


def test_the_aws_cli_exits_non_zero_with_each_refusals_name_on_stderr(service_on_moto, tables):
    open_id, busy_id, done_id = (tables.put_execution(s) for s in ("PENDING", "CANCELLING", "FAILED"))
    assert aws(service_on_moto, "--lifecycle-execution-id", open_id, "--client-token", "used").returncode == 0
    for args, name in [
        (["--lifecycle-execution-id", new_id()], "ClientException"),
        (["--lifecycle-execution-id", "lce-123"], "ClientException"),
        (["--lifecycle-execution-id", busy_id], "ResourceInUseException"),
        (["--lifecycle-execution-id", busy_id, "--client-token", "used"], "IdempotentParameterMismatchException"),
        (["--lifecycle-execution-id", done_id], "InvalidRequestException"),
    ]:
        assert_cli_error(aws(service_on_moto, *args), name)


def test_the_aws_cli_reports_a_caller_without_identity_as_forbidden(tables):
    with running_service(**tables.env) as url:
        assert_cli_error(aws(url, "--lifecycle-execution-id", new_id()), "ForbiddenException")


def test_the_aws_cli_reports_each_database_failure_by_name(faulty_service, tables):
    url, fault = faulty_service
    execution_id = tables.put_execution("PENDING")
    for mode, name in [
        ("throttling", "CallRateLimitExceededException"),
        ("internal-error", "ServiceUnavailableException"),
        ("access-denied", "ServiceException"),
    ]:
        fault.set(mode)
        assert_cli_error(aws(url, "--lifecycle-execution-id", execution_id), name)


def test_boto3_get_shows_the_status_before_and_after_a_cancel(service_on_moto, tables):
    client = imagebuilder(service_on_moto)
    execution_id = tables.put_execution("IN_PROGRESS")

    before = client.get_lifecycle_execution(lifecycleExecutionId=execution_id)["lifecycleExecution"]
    client.cancel_lifecycle_execution(lifecycleExecutionId=execution_id)
    after = client.get_lifecycle_execution(lifecycleExecutionId=execution_id)["lifecycleExecution"]

    assert before["lifecycleExecutionId"] == execution_id
    assert before["state"] == {"status": "IN_PROGRESS"}
    assert after["state"]["status"] == "CANCELLING"
    with pytest.raises(client.exceptions.ClientException):
        client.get_lifecycle_execution(lifecycleExecutionId=new_id())


def get_with_cli(url, *args):
    return cli(url, "get-lifecycle-execution", *args)


def test_the_aws_cli_gets_the_status_after_a_cancel_and_reports_unknown_ids(service_on_moto, tables):
    execution_id = tables.put_execution("PENDING")
    assert aws(service_on_moto, "--lifecycle-execution-id", execution_id).returncode == 0

    result = get_with_cli(service_on_moto, "--lifecycle-execution-id", execution_id)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["lifecycleExecution"]["state"]["status"] == "CANCELLING"
    assert_cli_error(get_with_cli(service_on_moto, "--lifecycle-execution-id", new_id()), "ClientException")


@pytest.mark.parametrize("start, end", [("1764460800000", "1764460900"), ("1e125", "-5"), ("1764460800", "1764460800000")])
def test_boto3_parses_an_answer_whose_stored_timestamps_are_no_plausible_instant(service_on_moto, tables, start, end):
    """An engine that writes epoch milliseconds (or garbage) must not break the SDK's parser."""
    execution_id = new_id()
    tables.dynamodb.put_item(
        TableName=tables.executions,
        Item={"lifecycleExecutionId": {"S": execution_id}, "accountId": {"S": ACCOUNT},
              "status": {"S": "IN_PROGRESS"}, "startTime": {"N": start}, "endTime": {"N": end}},
    )

    answer = imagebuilder(service_on_moto).get_lifecycle_execution(lifecycleExecutionId=execution_id)

    shown = answer["lifecycleExecution"]
    assert shown["state"]["status"] == "IN_PROGRESS"
    for member, stored in (("startTime", start), ("endTime", end)):
        plausible = 0 <= float(stored) <= 253402300799
        assert (member in shown) == plausible, (member, stored, shown)


POLICY = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:lifecycle-policy/keep-5"


def seeded_policy(tables, count=7):
    """`count` executions of POLICY (two share a start time), newest first as the service lists them."""
    starts = [1_700_000_000 + 60 * n for n in range(count)]
    if count > 3:
        starts[3] = starts[2]
    seeded = [(start, tables.put_policy_execution(POLICY, start)) for start in starts]
    tables.put_policy_execution(POLICY, 1_700_000_999, account="444455556666")
    return [execution_id for _, execution_id in sorted(seeded, reverse=True)]


def test_boto3_pages_through_a_policys_executions_with_its_paginator(service_on_moto, tables):
    expected = seeded_policy(tables)
    client = imagebuilder(service_on_moto)
    paginator = client.get_paginator("list_lifecycle_executions")

    for page_size, pages in ((1, 7), (3, 3), (100, 1), (None, 1)):
        config = {"PageSize": page_size} if page_size else {}
        answers = list(paginator.paginate(resourceArn=POLICY, PaginationConfig=config))
        listed = [e["lifecycleExecutionId"] for answer in answers for e in answer["lifecycleExecutions"]]
        assert listed == expected, page_size
        assert len(answers) == pages, page_size
        assert all(e["lifecyclePolicyArn"] == POLICY for a in answers for e in a["lifecycleExecutions"])


def test_boto3_lists_an_execution_cancels_it_and_sees_it_cancelling(service_on_moto, tables):
    seeded_policy(tables, count=3)
    client = imagebuilder(service_on_moto)

    first = client.list_lifecycle_executions(resourceArn=POLICY, maxResults=1)["lifecycleExecutions"][0]
    client.cancel_lifecycle_execution(lifecycleExecutionId=first["lifecycleExecutionId"])
    seen = client.get_lifecycle_execution(lifecycleExecutionId=first["lifecycleExecutionId"])

    assert first["state"]["status"] == "IN_PROGRESS"
    assert seen["lifecycleExecution"]["state"]["status"] == "CANCELLING"


def test_boto3_sees_each_list_refusal_as_its_modeled_exception(service_on_moto, tables):
    seeded_policy(tables, count=3)
    client = imagebuilder(service_on_moto)
    token = client.list_lifecycle_executions(resourceArn=POLICY, maxResults=1)["nextToken"]
    theirs = "arn:aws:imagebuilder:us-east-1:444455556666:lifecycle-policy/keep-5"

    assert client.list_lifecycle_executions(resourceArn=theirs)["lifecycleExecutions"] == []
    cases = [
        (client.exceptions.InvalidRequestException, {"resourceArn": POLICY.replace("lifecycle-policy", "image-pipeline")}),
        (client.exceptions.ClientException, {"resourceArn": "arn:aws:imagebuilder:us-east-1:1:lifecycle-policy/k"}),
        (client.exceptions.InvalidPaginationTokenException, {"resourceArn": POLICY, "nextToken": "forged"}),
        (client.exceptions.InvalidPaginationTokenException, {"resourceArn": POLICY + "-other", "nextToken": token}),
        (client.exceptions.InvalidPaginationTokenException, {"resourceArn": theirs, "nextToken": token}),
    ]
    for exception, arguments in cases:
        with pytest.raises(exception) as raised:
            client.list_lifecycle_executions(**arguments)
        assert raised.value.response["ResponseMetadata"]["RequestId"], arguments


def test_the_aws_cli_pages_through_a_policys_executions_by_itself(service_on_moto, tables):
    expected = seeded_policy(tables)

    listed = cli(service_on_moto, "list-lifecycle-executions", "--resource-arn", POLICY, "--page-size", "2",
                 "--query", "lifecycleExecutions[].lifecycleExecutionId", "--output", "json")

    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == expected
