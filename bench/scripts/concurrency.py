#!/usr/bin/env python3
"""What one process sustains at each AWS_LAMBDA_MAX_CONCURRENCY, on the latency model.

    concurrency.py --bootstrap target/lambda/cancel-lifecycle-execution/bootstrap \\
        --moto http://127.0.0.1:PORT [--requests 400] [--levels 1,8,64]

The shipped bootstrap runs under the Lambda Runtime API stand-in (scripts/lambda_runtime.py),
its DynamoDB calls held to the upper latency profile by scripts/fault_dynamodb.py, which
answers each cancel's TransactWriteItems as committed itself (`--commit-writes`): moto handles
one request at a time and would bound the rate, where DynamoDB answers in parallel. For each
level it submits `--requests` new cancels at once and prints how many answered 200, requests
per second (first poll to last answer), CPU per request (the process's user + system time over
the run, from /proc) and peak resident memory (VmHWM).
"""
import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from lambda_runtime import running_bootstrap  # noqa: E402

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, type=Path)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--levels", default="1,8,64")
    args = parser.parse_args()
    model = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "fault_dynamodb.py"), "--upstream", args.moto,
                              "--latency-model", "upper", "--seed", "7", "--commit-writes"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        endpoint = model.stdout.readline().strip().removeprefix("listening on ")
        suffix = uuid.uuid4().hex[:8]
        tables = {"EXECUTIONS_TABLE": f"bench-ex-{suffix}", "IDEMPOTENCY_TABLE": f"bench-tok-{suffix}"}
        env = {**CREDENTIALS, **tables, "AWS_ENDPOINT_URL_DYNAMODB": args.moto, "PATH": os.environ["PATH"]}
        subprocess.run([str(args.bootstrap), "create-tables"], env=env, check=True, capture_output=True)
        event = json.loads((ROOT / "events" / "01-rest-api-cancel.json").read_text())
        print("| AWS_LAMBDA_MAX_CONCURRENCY | requests | answered 200 | requests per second | CPU ms per request | peak memory (MiB) |")
        print("| --- | --- | --- | --- | --- | --- |")
        for level in [int(x) for x in args.levels.split(",")]:
            # The model endpoint commits each transaction itself: the executions need not exist.
            ids = [f"lce-{uuid.uuid4()}" for _ in range(args.requests)]
            run_env = {**CREDENTIALS, **tables, "AWS_ENDPOINT_URL_DYNAMODB": endpoint, "METRICS": "off",
                       "AWS_LAMBDA_LOG_LEVEL": "WARN", "AWS_LAMBDA_MAX_CONCURRENCY": str(level)}
            with running_bootstrap(args.bootstrap, run_env) as (api, process):
                api.invoke(json.loads(json.dumps(event)), timeout=60)  # init and the first connection
                cpu_before = cpu_seconds(process.pid)
                started = time.perf_counter()
                submitted = []
                for execution_id in ids:
                    one = json.loads(json.dumps(event))
                    one["body"] = json.dumps({"clientToken": execution_id[4:40], "lifecycleExecutionId": execution_id})
                    submitted.append(api.submit(one))
                ok = 0
                for request_id in submitted:
                    kind, payload = api.wait(request_id, timeout=600)
                    ok += kind == "response" and json.loads(payload)["statusCode"] == 200
                elapsed = time.perf_counter() - started
                cpu = cpu_seconds(process.pid) - cpu_before
                print(f"| {level} | {args.requests} | {ok} | {args.requests / elapsed:.1f} | "
                      f"{1000 * cpu / args.requests:.2f} | {peak_kib(process.pid) / 1024:.1f} |", flush=True)
    finally:
        model.kill()
        model.wait(timeout=10)


if __name__ == "__main__":
    main()
