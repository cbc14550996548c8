#!/usr/bin/env python3
"""Cold start of a bootstrap under the CPU share Lambda gives each memory size.

Lambda scales CPU with memory: one vCPU at 1,769 MB. Here a cgroup v1 CPU quota stands for it:
cpu.cfs_quota_us = cpu.cfs_period_us * memory / 1769, on a group made for the run and removed
after it. Each run starts the bootstrap under a stand-in Lambda runtime API
(scripts/lambda_runtime.py) and times, from the spawn:

  init          until its first poll of the runtime API (Lambda's Init Duration)
  invoke        from that poll until it has posted the answer to its first event (Duration):
                a REST API cancel that goes to DynamoDB
  first answer  init + invoke: what the caller of a cold start waits, beyond Lambda's own
                placement of the environment
  billed        init + invoke, rounded up to the ms: a custom runtime's cold start is billed
                for both phases

in two CPU regimes: `throttled` puts the process in the group before it starts (init gets
the invocation's share), `init-free` starts it with the whole machine and moves it into the
group at its first poll (init unthrottled, as community reports say Lambda's init is). Each
row runs with the start-up check (DescribeTable on both tables: the TLS connection to DynamoDB
is opened in init and reused by the first request) and without it (BENCH_SKIP_STARTUP_CHECK=1:
the first request opens it).

DynamoDB is moto behind scripts/fault_dynamodb.py served over HTTPS with a certificate of a
CA made for the run. The SDK trusts it through SSL_CERT_FILE, pointed at the system's CA bundle
with that CA added, so that the process loads a full trust store as it does on Lambda. Then 50
warm events at template.yaml's memory give the log bytes each request writes to stdout (what
CloudWatch Logs ingests from the function).

    cold_start_by_memory.py --bootstrap target/lambda/cancel-lifecycle-execution/bootstrap \
        --moto http://127.0.0.1:5000 [--runs 20] [--memory 128,256,512,1024]

Needs root and the cgroup v1 cpu hierarchy (/sys/fs/cgroup/cpu), openssl, and boto3 (run it
with .venv/bin/python).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from lambda_runtime import LAMBDA_VARIABLES, RuntimeApi  # noqa: E402
from cost_model import ARM_GB_SECOND, template_memory  # noqa: E402
from measure_startup import dynamodb  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CGROUP_CPU = Path("/sys/fs/cgroup/cpu")
FULL_VCPU_MB = 1769
ACCOUNT = "123456789012"
REGIMES = ("throttled", "init-free")


def fail(message):
    print(f"cold_start_by_memory: {message}", file=sys.stderr)
    sys.exit(2)


SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def make_ca(directory):
    """A CA and a certificate for 127.0.0.1 signed by it; returns (trust bundle, cert, key)."""
    d = Path(directory)
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=bench CA",
        "-keyout", d / "ca.key", "-out", d / "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", d / "server.key",
        "-out", d / "server.csr")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", d / "server.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
        "-CAcreateserial", "-days", "2", "-out", d / "server.pem", "-extfile", d / "ext.cnf")
    if not SYSTEM_BUNDLE.exists():
        fail(f"{SYSTEM_BUNDLE} is missing: apt-get install ca-certificates")
    (d / "bundle.pem").write_text(SYSTEM_BUNDLE.read_text() + (d / "ca.pem").read_text())
    return d / "bundle.pem", d / "server.pem", d / "server.key"


def start_endpoint(moto, tls=None):
    args = [sys.executable, str(ROOT / "scripts" / "fault_dynamodb.py"), "--upstream", moto]
    if tls:
        args += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        fail(f"the DynamoDB endpoint did not start: {line!r}")
    return process, line.removeprefix("listening on ")


class CpuGroup:
    """A cgroup v1 cpu group with a CFS quota, removed on exit."""

    def __init__(self, memory_mb):
        self.path = CGROUP_CPU / f"cancel-cold-start-{os.getpid()}-{memory_mb}"
        self.memory_mb = memory_mb

    def __enter__(self):
        self.path.mkdir()
        period = int((self.path / "cpu.cfs_period_us").read_text())
        quota = max(1000, period * self.memory_mb // FULL_VCPU_MB)
        (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        self.share = quota / period
        return self

    def __exit__(self, *exc):
        # Empty the group before removing it.
        for pid in (self.path / "cgroup.procs").read_text().split():
            try:
                (CGROUP_CPU / "cgroup.procs").write_text(pid)
            except OSError:
                pass
        self.path.rmdir()

    def enter_from_child(self):
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def enter(self, pid):
        (self.path / "cgroup.procs").write_text(str(pid))


EVENT = (ROOT / "events" / "01-rest-api-cancel.json").read_text()


def cancel_event(execution_id):
    event = json.loads(EVENT)
    event["body"] = json.dumps({"clientToken": uuid.uuid4().hex[:32], "lifecycleExecutionId": execution_id})
    return event


def new_execution(client, tables):
    h = uuid.uuid4().hex
    execution_id = f"lce-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    client.put_item(TableName=tables[0], Item={"lifecycleExecutionId": {"S": execution_id},
                                               "accountId": {"S": ACCOUNT}, "status": {"S": "IN_PROGRESS"}})
    return execution_id


class Run:
    """One fresh process: init, invoke and first answer in seconds; stdout bytes per warm event."""

    def __init__(self, init, invoke, warm=(), log_bytes=None):
        self.init, self.invoke, self.first_answer = init, invoke, init + invoke
        self.billed_ms = math.ceil((init + invoke) * 1000)
        self.warm, self.log_bytes = list(warm), log_bytes


def one_cold_start(bootstrap, env, group, regime, client, tables, warm_events=0):
    api = RuntimeApi().start()
    execution_id = new_execution(client, tables)
    api_env = {**env, **LAMBDA_VARIABLES, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(group.memory_mb),
               "AWS_LAMBDA_RUNTIME_API": api.address}
    log = tempfile.TemporaryFile()
    throttled = regime == "throttled"
    spawned = []
    if not throttled:
        def enter_group():
            # Init is over: into the group before the event is handed over.
            while not spawned:
                time.sleep(0.001)
            group.enter(spawned[0].pid)
        api.on_first_poll = enter_group
    started = time.perf_counter()
    process = subprocess.Popen([str(bootstrap)], env=api_env, stdout=log, stderr=subprocess.STDOUT,
                               preexec_fn=group.enter_from_child if throttled else None)
    spawned.append(process)
    try:
        kind, body = api.invoke(cancel_event(execution_id), timeout=30)
        answered = time.perf_counter()
        status = json.loads(body).get("statusCode") if kind == "response" else None
        if status != 200:
            fail(f"the first event was answered {kind} {body[:300]}")
        per_event, warm = None, []
        if warm_events:
            time.sleep(0.2)
            before = log.seek(0, os.SEEK_END)
            for _ in range(warm_events):
                event = cancel_event(new_execution(client, tables))
                sent = time.perf_counter()
                api.invoke(event, timeout=30)
                warm.append(time.perf_counter() - sent)
            time.sleep(0.2)
            per_event = (log.seek(0, os.SEEK_END) - before) / warm_events
        return Run(api.first_poll_at - started, answered - api.first_poll_at, warm, per_event)
    finally:
        process.kill()
        process.wait(timeout=10)
        api.stop()


def describe(values_s):
    ms = sorted(v * 1000 for v in values_s)
    p90 = ms[max(0, int(len(ms) * 0.9) - 1)]
    return f"{statistics.median(ms):8.1f} {p90:8.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, type=Path)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--memory", default="128,256,512,1024")
    args = parser.parse_args()
    if os.geteuid() != 0 or not (CGROUP_CPU / "cpu.cfs_quota_us").exists():
        fail("needs root and the cgroup v1 cpu hierarchy at /sys/fs/cgroup/cpu (run as root on a host that mounts it)")
    if not args.bootstrap.exists():
        fail(f"{args.bootstrap} is missing: build it with `cargo lambda build --release`")
    client = dynamodb(args.moto)
    suffix = uuid.uuid4().hex[:8]
    tables = (f"cold-executions-{suffix}", f"cold-idempotency-{suffix}")
    base = {"PATH": os.environ.get("PATH", ""), "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "EXECUTIONS_TABLE": tables[0], "IDEMPOTENCY_TABLE": tables[1],
            # As template.yaml sets them, so that the log bytes are the deployed function's.
            "STORE": "dynamodb", "METRICS": "on", "METRICS_NAMESPACE": "ImageBuilder/CancelLifecycleExecution",
            "METRICS_DIMENSIONS": "Operation,Outcome,FunctionVersion", "AWS_LAMBDA_LOG_FORMAT": "JSON"}
    subprocess.run([str(args.bootstrap), "create-tables"], env={**base, "AWS_ENDPOINT_URL_DYNAMODB": args.moto},
                   check=True, capture_output=True)
    checks = {"with": {}, "without": {"BENCH_SKIP_STARTUP_CHECK": "1"}}
    with tempfile.TemporaryDirectory() as directory:
        ca, cert, key = make_ca(directory)
        https, https_url = start_endpoint(args.moto, (cert, key))
        try:
            env = {**base, "AWS_ENDPOINT_URL_DYNAMODB": https_url, "SSL_CERT_FILE": str(ca)}
            print(f"{args.runs} cold starts per row over HTTPS; median and p90 in ms; "
                  f"cost of the billed duration per million cold starts, Arm at {ARM_GB_SECOND} USD per GB-s")
            print(f"| memory MB | vCPU | init CPU | start-up check | init p50 | init p90 | invoke p50 | invoke p90 "
                  f"| first answer p50 | first answer p90 | billed ms p50 | USD per million cold starts |")
            print("| --- " * 12 + "|")
            for memory in [int(m) for m in args.memory.split(",")]:
                with CpuGroup(memory) as group:
                    for regime in REGIMES:
                        for check, extra in checks.items():
                            runs = [one_cold_start(args.bootstrap, {**env, **extra}, group, regime, client, tables)
                                    for _ in range(args.runs)]
                            billed = statistics.median(r.billed_ms for r in runs)
                            cost = billed / 1000 * memory / 1024 * ARM_GB_SECOND * 1e6
                            init, invoke, answer = (describe([getattr(r, f) for r in runs]).split()
                                                    for f in ("init", "invoke", "first_answer"))
                            print(f"| {memory} | {group.share:.3f} | {regime} | {check} | {' | '.join(init)} | "
                                  f"{' | '.join(invoke)} | {' | '.join(answer)} | {billed:.0f} | {cost:.2f} |",
                                  flush=True)
            with CpuGroup(template_memory()) as group:
                run = one_cold_start(args.bootstrap, env, group, "throttled", client, tables, 50)
            print(f"warm cancels after the first (50 in one process at {group.memory_mb} MB), median and p90 in ms, "
                  f"moto answering at once: {describe(run.warm)}")
            print(f"log bytes written to stdout per warm cancel: {run.log_bytes:.0f}")
        finally:
            https.kill()


if __name__ == "__main__":
    main()
