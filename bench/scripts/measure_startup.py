#!/usr/bin/env python3
"""Cold start of the release binary, measured from process start:

  local-ready      until it prints its listening address (local mode, DynamoDB client built)
  lambda-ready     until its first poll of the Lambda runtime API (a stand-in runtime API here)
  first-answer     until its first answered cancel (local mode, on moto)

    measure_startup.py --binary target/release/cancel-lifecycle-execution --moto http://127.0.0.1:5000 [--runs 30]

Prints the median, p90 and min of each, in milliseconds. Needs boto3 (run it with .venv/bin/python).
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AWS_ENV = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "RUST_LOG": "warn"}


def base_env(moto, tables):
    return {
        "PATH": os.environ.get("PATH", ""),
        **AWS_ENV,
        "AWS_ENDPOINT_URL_DYNAMODB": moto,
        "EXECUTIONS_TABLE": tables[0],
        "IDEMPOTENCY_TABLE": tables[1],
        "DEFAULT_ACCOUNT_ID": "123456789012",
    }


def local_ready(binary, env):
    started = time.perf_counter()
    process = subprocess.Popen([binary], env={**env, "LISTEN_ADDR": "127.0.0.1:0"}, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    took = time.perf_counter() - started
    process.terminate()
    process.wait()
    assert "http://" in line, line
    return took


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def first_answer(binary, env, moto, tables):
    execution_id = "lce-%s-%s-%s-%s-%s" % tuple(uuid.uuid4().hex[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    dynamodb(moto).put_item(
        TableName=tables[0],
        Item={"lifecycleExecutionId": {"S": execution_id}, "accountId": {"S": "123456789012"}, "status": {"S": "PENDING"}},
    )
    port = free_port()
    body = json.dumps({"clientToken": execution_id[4:36], "lifecycleExecutionId": execution_id}).encode()
    started = time.perf_counter()
    process = subprocess.Popen([binary], env={**env, "LISTEN_ADDR": f"127.0.0.1:{port}"}, stdout=subprocess.DEVNULL)
    try:
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/CancelLifecycleExecution", data=body, method="PUT")
                with urllib.request.urlopen(request, timeout=5) as answer:
                    assert answer.status == 200
                    return time.perf_counter() - started
            except (ConnectionRefusedError, urllib.error.URLError) as error:
                if isinstance(error, urllib.error.HTTPError):
                    raise
                time.sleep(0.0005)
    finally:
        process.terminate()
        process.wait()


def lambda_ready(binary, env):
    polled = threading.Event()

    class RuntimeApi(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            polled.set()
            time.sleep(0.2)
            self.send_response(500)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Under Lambda with DynamoDB a default account is refused at start (docs/API.md, "Identity").
    lambda_env = {
        **{k: v for k, v in env.items() if k != "DEFAULT_ACCOUNT_ID"},
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "cancel",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/cancel",
        "AWS_LAMBDA_LOG_STREAM_NAME": "stream",
    }
    started = time.perf_counter()
    process = subprocess.Popen([binary], env=lambda_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    polled.wait(timeout=10)
    took = time.perf_counter() - started
    process.kill()
    process.wait()
    server.shutdown()
    assert polled.is_set()
    return took


def dynamodb(moto):
    import boto3  # from .venv (make venv)

    return boto3.client(
        "dynamodb", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def summary(name, seconds):
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[int(len(ms) * 0.9) - 1]
    print(f"{name:13} median {statistics.median(ms):6.2f} ms   p90 {p90:6.2f} ms   min {ms[0]:6.2f} ms   ({len(ms)} runs)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:8]
    tables = (f"startup-executions-{suffix}", f"startup-idempotency-{suffix}")
    env = base_env(args.moto, tables)
    subprocess.run([args.binary, "create-tables"], env=env, check=True, capture_output=True)
    summary("local-ready", [local_ready(args.binary, env) for _ in range(args.runs)])
    summary("lambda-ready", [lambda_ready(args.binary, env) for _ in range(args.runs)])
    summary("first-answer", [first_answer(args.binary, env, args.moto, tables) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
