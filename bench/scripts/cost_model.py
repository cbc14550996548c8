#!/usr/bin/env python3
"""What the service costs: per million requests of each path and design, per front door, its
custom metrics before and after the cut, and the stack a month at 0.1, 1, 10 and 100 rps.

Prices: US East (N. Virginia), as published on the pages named in PRICES and FREE_TIER (read
2026-11-30 and 2026-12-02; BENCHMARKS.md, "Sources"); units per path by DynamoDB's documented
rules (UNITS). Durations come from the latency model's run (compare_designs --json), memory and
the alarms from template.yaml, the function's log bytes from cold_start_by_memory.py; Lambda's
platform lines and the access log line are rendered here from their documented formats.

    cost_model.py --latency target/bench/model-upper.json --log-bytes 720
"""
import argparse
import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# US East (N. Virginia), USD. Each with where it was read.
PRICES = {
    # aws.amazon.com/api-gateway/pricing/: REST APIs, first 333 million a month.
    "rest_api_per_million": 3.50,
    # The same page: HTTP APIs, first 300 million a month (metered in 512 KB units).
    "http_api_per_million": 1.00,
    # aws.amazon.com/lambda/pricing/: a function URL has no charge of its own.
    "function_url_per_million": 0.0,
    # aws.amazon.com/lambda/pricing/: Arm, first 7.5 billion GB-s a month; requests.
    "lambda_arm_gb_second": 0.0000133334,
    "lambda_requests_per_million": 0.20,
    # aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand prices halved on 2024-11-01).
    "dynamodb_wru_per_million": 0.625,
    "dynamodb_rru_per_million": 0.125,
    # aws.amazon.com/cloudwatch/pricing/: logs ingested (standard); custom metrics (first
    # 10,000), a month each, prorated by the hours in which the metric is published; alarm
    # metrics (standard resolution; each metric of a metric-math alarm counts); dashboards.
    "logs_ingested_per_gb": 0.50,
    "custom_metric_month": 0.30,
    "alarm_metric_month": 0.10,
    "dashboard_month": 3.00,
    # aws.amazon.com/xray/pricing/: traces recorded.
    "xray_traces_per_million": 5.00,
    # Lambda Managed Instances (aws.amazon.com/lambda/pricing/, "Lambda Managed Instances"):
    # the request fee above, the instances' EC2 price, and a management fee of 15% of the
    # instances' EC2 On-Demand price; no duration charge.
    "managed_instances_fee_share": 0.15,
    # m7g.large (2 vCPU, 8 GiB, Graviton3), Linux On-Demand, us-east-1 (factualminds.com, "Amazon
    # EC2 On-Demand Pricing ... (2026)", read 2026-12-07; BENCHMARKS.md, "Sources").
    "m7g_large_hour": 0.0816,
}

# What the always-free tier covers a month, per account (shared with everything else in it):
# Lambda (aws.amazon.com/lambda/pricing/), CloudWatch (aws.amazon.com/cloudwatch/pricing/),
# X-Ray (aws.amazon.com/xray/pricing/). API Gateway's and DynamoDB's free tiers are for new
# accounts' first 12 months or provisioned capacity only, so not counted.
FREE_TIER = {
    "lambda_requests": 1e6,
    "lambda_gb_seconds": 400_000,
    "custom_metrics": 10,
    "alarm_metrics": 10,
    "dashboards": 3,
    "logs_gb": 5,
    "xray_traces": 100_000,
}

# Units per request, items under 1 KB (docs.aws.amazon.com/amazondynamodb/latest/developerguide/
# read-write-operations.html): a strongly consistent read of up to 4 KB is 1 RRU; a write of up
# to 1 KB is 1 WRU, 2 in a transaction ("consumed even when the transaction is canceled"); a
# write whose condition fails still consumes its units (WorkingWithItems.html, "Capacity units
# consumed by conditional writes"). ReturnValuesOnConditionCheckFailure costs no read units.
# A status change also writes the byPolicy index (GSI.html, "Provisioned throughput
# considerations": an update of a projected attribute is one write to the index, 1 WRU up to
# 1 KB, not transactional): +1 WRU on every design's new cancel, and on nothing that writes no
# status.
INDEX_WRU = 1
UNITS = {  # design -> path -> (WRU, RRU)
    "one transaction (this service)": {
        "new cancel": (4 + INDEX_WRU, 0), "replay": (4, 0), "mismatch": (4, 0), "refusal": (4, 0),
        "get": (0, 1)},
    "three calls": {
        "new cancel": (2 + INDEX_WRU, 1), "replay": (0, 1), "mismatch": (0, 1), "refusal": (1, 1),
        "get": (0, 1)},
    "token first": {
        "new cancel": (2 + INDEX_WRU, 0), "replay": (1, 0), "mismatch": (1, 0), "refusal": (3, 0),
        "get": (0, 1)},
}

# One ListLifecycleExecutions page: an eventually consistent Query of the index reads the
# projected items (25 shown and one more, to know whether more follow); DynamoDB sums their
# sizes, rounds the sum up to 4 KB and charges half a read unit per 4 KB (read-write-operations
# .html, "Read operations"; Query.html, "Capacity unit consumption"). An item's size is its
# attribute names' UTF-8 bytes plus its values': a string's UTF-8 bytes, a number's significant
# digits halved plus one byte, a boolean one byte (CapacityUnitCalculations.html).
LISTED_ITEM = {  # one projected item of the documented size (docs/API.md, "Schema")
    "lifecycleExecutionId": "lce-00000000-0000-4000-8000-000000000001",
    "accountId": "123456789012",
    "lifecyclePolicyArn": "arn:aws:imagebuilder:us-east-1:123456789012:lifecycle-policy/demo-keep-latest-5",
    "startTime": 1764460800,
    "status": "IN_PROGRESS",
    "statusReason": "Cancellation requested by CancelLifecycleExecution.",
    "endTime": 1764461400,
    "hasImpactedResources": True,
}


def item_bytes(item):
    def value_bytes(value):
        if isinstance(value, bool):
            return 1
        if isinstance(value, (int, float)):
            digits = str(value).replace("-", "").replace(".", "").strip("0")
            return (len(digits) + 1) // 2 + 1
        return len(value.encode())
    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def list_page(shown=25):
    """Bytes of one listed item, bytes a page reads, read units and USD per million pages."""
    size = item_bytes(LISTED_ITEM)
    read = size * (shown + 1)
    units = math.ceil(read / 4096) * 0.5
    return size, read, units, units * PRICES["dynamodb_rru_per_million"]
PATHS = ("new cancel", "replay", "mismatch", "refusal", "get")
MONTH_HOURS = 30 * 24
MONTH_SECONDS = MONTH_HOURS * 3600

# Every (Operation, Outcome) the service can publish (src/error.rs, src/telemetry/summary.rs):
# a Get never mismatches a token or finds an execution in use; an unknown path is refused
# before anything else.
ERRORS = ("InvalidRequestException", "ClientException", "ForbiddenException",
          "CallRateLimitExceededException", "ServiceException", "ServiceUnavailableException")
OUTCOMES = {
    "CancelLifecycleExecution": ("Cancelled", "Replayed", "IdempotentParameterMismatchException",
                                 "ResourceInUseException") + ERRORS,
    "GetLifecycleExecution": ("Returned",) + ERRORS,
    "Unknown": ("InvalidRequestException",),
}
FAULTS = ("ServiceException", "ServiceUnavailableException")
# Metric names per dimension set: before the cut, and now (src/telemetry/metrics.rs).
BEFORE = {"across": ("Requests", "Latency", "DynamoDBCalls"), "per_version": ("Requests",), "faults_only": False}
AFTER = {"across": ("Requests", "Latency"), "per_version": ("Requests",), "faults_only": True}

# An assumed traffic mix for the prorated metric bill (not measured: say so where it is used):
# shares of all requests per (operation, outcome).
ASSUMED_MIX = {
    ("CancelLifecycleExecution", "Cancelled"): 0.35, ("CancelLifecycleExecution", "Replayed"): 0.10,
    ("CancelLifecycleExecution", "ResourceInUseException"): 0.02,
    ("CancelLifecycleExecution", "InvalidRequestException"): 0.01,
    ("CancelLifecycleExecution", "ClientException"): 0.01,
    ("CancelLifecycleExecution", "IdempotentParameterMismatchException"): 0.005,
    ("CancelLifecycleExecution", "ForbiddenException"): 0.002,
    ("CancelLifecycleExecution", "CallRateLimitExceededException"): 0.001,
    ("CancelLifecycleExecution", "ServiceException"): 0.0005,
    ("CancelLifecycleExecution", "ServiceUnavailableException"): 0.0005,
    ("GetLifecycleExecution", "Returned"): 0.48, ("GetLifecycleExecution", "ClientException"): 0.01,
    ("GetLifecycleExecution", "InvalidRequestException"): 0.005,
    ("GetLifecycleExecution", "ForbiddenException"): 0.002,
    ("GetLifecycleExecution", "CallRateLimitExceededException"): 0.001,
    ("GetLifecycleExecution", "ServiceException"): 0.0005,
    ("GetLifecycleExecution", "ServiceUnavailableException"): 0.0005,
    ("Unknown", "InvalidRequestException"): 0.001,
}


ARM_GB_SECOND = PRICES["lambda_arm_gb_second"]
FRONT_DOOR_PRICE = {"rest": "rest_api_per_million", "http": "http_api_per_million",
                    "function_url": "function_url_per_million"}


def template_text():
    return (ROOT / "template.yaml").read_text()


def template_memory():
    """The function's MemorySize on standard Lambda (ComputeType's default)."""
    return int(re.search(r"^      MemorySize: !If \[OnManagedInstances, \d+, (\d+)\]", template_text(), re.M).group(1))


def template_alarms():
    """(alarms, alarm metrics, dashboards) of template.yaml: each alarm's MetricName lines."""
    text = template_text()
    blocks = re.split(r"^  (?=\w+:\s*$)", text.split("\nResources:\n", 1)[1], flags=re.M)
    alarms = [b for b in blocks if re.search(r"^    Type: AWS::CloudWatch::Alarm\s*$", b, re.M)]
    metrics = sum(max(1, len(re.findall(r"^\s+MetricName: ", b, re.M))) for b in alarms)
    dashboards = sum(1 for b in blocks if re.search(r"^    Type: AWS::CloudWatch::Dashboard\s*$", b, re.M))
    return len(alarms), metrics, dashboards


def platform_lines():
    """Lambda's platform.start and platform.report in the JSON log format, with X-Ray's tracing
    context (Tracing: Active), as the Telemetry API's schema reference documents the records;
    at SystemLogLevel INFO these are the two Lambda writes per invocation."""
    trace = {"spanId": "2dce4a0e24bfc86d", "type": "X-Amzn-Trace-Id",
             "value": "Root=1-6745a7b1-3f7e5b2c1d0a9e8f7a6b5c4d;Parent=53995c3f42cd8ad8;Sampled=1"}
    request = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    start = {"time": "2026-12-01T12:00:00.000Z", "type": "platform.start",
             "record": {"requestId": request, "version": "42", "tracing": trace}}
    report = {"time": "2026-12-01T12:00:00.031Z", "type": "platform.report",
              "record": {"requestId": request,
                         "metrics": {"durationMs": 30.918, "billedDurationMs": 31, "memorySizeMB": 512,
                                     "maxMemoryUsedMB": 21},
                         "tracing": trace, "status": "success"}}
    return [json.dumps(line, separators=(",", ":")) for line in (start, report)]


def access_log_line():
    """template.yaml's access log Format, filled from a captured REST API event
    (events/01-rest-api-cancel.json; its request id is a placeholder, so a 36-character one as
    API Gateway's) and a 200 answered in 45 ms."""
    fmt = re.search(r"^        Format: '(.*)'\s*$", template_text(), re.M).group(1)
    event = json.loads((ROOT / "events" / "01-rest-api-cancel.json").read_text())
    context = event["requestContext"]
    values = {
        "context.requestId": "c6af9ac6-7b61-11e6-9a41-93e812345678", "context.identity.accountId": context["identity"]["accountId"],
        "context.identity.caller": context["identity"]["caller"],
        "context.identity.sourceIp": context["identity"]["sourceIp"], "context.httpMethod": event["httpMethod"],
        "context.path": "/prod" + event["path"], "context.resourcePath": event["resource"],
        "context.status": "200", "context.responseLatency": "45", "context.integrationLatency": "38",
        "context.integrationStatus": "200", "context.integrationErrorMessage": "-",
        "context.error.responseType": "-", "context.requestTime": "01/Dec/2026:12:00:00 +0000",
    }
    return re.sub(r"\$(context(?:\.\w+)+)", lambda m: values[m.group(1)], fmt)


def log_bytes_per_request(function_bytes, access_log=True):
    platform = sum(len(line) for line in platform_lines())
    return function_bytes + platform + (len(access_log_line()) if access_log else 0)


def duration_per_million(billed_ms, memory_mb):
    """Lambda's duration charge, USD, of a million invocations billed `billed_ms` each (Arm)."""
    return 1e6 * billed_ms / 1000 * memory_mb / 1024 * PRICES["lambda_arm_gb_second"]


def per_million(path_units, duration_ms, memory_mb, log_bytes, front_door="rest"):
    wru, rru = path_units
    billed_ms = math.ceil(duration_ms)
    return {
        "front door": PRICES[FRONT_DOOR_PRICE[front_door]],
        "lambda": PRICES["lambda_requests_per_million"] + duration_per_million(billed_ms, memory_mb),
        "dynamodb": wru * PRICES["dynamodb_wru_per_million"] + rru * PRICES["dynamodb_rru_per_million"],
        "logs": 1e6 * log_bytes / 1e9 * PRICES["logs_ingested_per_gb"],
    }


# Lambda Managed Instances: Lambda keeps at least three instances up (one per Availability
# Zone) and adds instances when the environments' CPU passes its target (lambda-managed-
# instances.html, "Scaling"). Priced here on m7g.large; the target is taken as 50%.
MANAGED_MIN_INSTANCES = 3
MANAGED_INSTANCE_VCPUS = 2
MANAGED_CPU_TARGET = 0.5


def managed_instances_usd(instances):
    """A month of `instances` m7g.large with Managed Instances' management fee, USD."""
    return instances * MONTH_HOURS * PRICES["m7g_large_hour"] * (1 + PRICES["managed_instances_fee_share"])


def managed_instances_month(rps, cpu_ms):
    """(instances, USD) of a month at `rps` on Managed Instances, request fee included."""
    vcpus = rps * cpu_ms / 1000 / MANAGED_CPU_TARGET
    instances = max(MANAGED_MIN_INSTANCES, math.ceil(vcpus / MANAGED_INSTANCE_VCPUS))
    millions = rps * MONTH_SECONDS / 1e6
    return instances, managed_instances_usd(instances) + millions * PRICES["lambda_requests_per_million"]


def standard_lambda_month(rps, billed_ms, memory_mb):
    """USD of a month at `rps` on standard Lambda: requests and duration, no free tier."""
    millions = rps * MONTH_SECONDS / 1e6
    return millions * (PRICES["lambda_requests_per_million"] + duration_per_million(billed_ms, memory_mb))


def print_managed_instances(billed_ms, cpu_ms, memory):
    print(f"Lambda's part of a month, USD, us-east-1, arm64: standard Lambda at {memory} MB and "
          f"{billed_ms:g} ms billed a request against Managed Instances on m7g.large at {cpu_ms:g} ms "
          f"CPU a request (API Gateway and DynamoDB cost the same both ways)")
    print("| rps | requests a month | standard Lambda | Managed Instances (instances) | difference |")
    print("| --- | --- | --- | --- | --- |")
    for rps in (1, 10, 100, 1000):
        standard = standard_lambda_month(rps, billed_ms, memory)
        instances, managed = managed_instances_month(rps, cpu_ms)
        print(f"| {rps:g} | {rps * MONTH_SECONDS / 1e6:,.1f} M | {standard:,.2f} | "
              f"{managed:,.2f} ({instances}) | {managed - standard:+,.2f} |")
    floor = managed_instances_usd(MANAGED_MIN_INSTANCES)
    duration = duration_per_million(billed_ms, memory)
    print(f"Break-even: the three instances' {floor:,.2f} a month against standard Lambda's duration "
          f"({duration:.3f} a million requests): {floor / duration / (MONTH_SECONDS / 1e6):,.0f} "
          "requests a second")


def metric_count(scheme, versions=1):
    """Custom metrics at the full outcome spread: every pair published, `versions` live."""
    pairs = [(op, outcome) for op, outcomes in OUTCOMES.items() for outcome in outcomes]
    per_version = [p for p in pairs if not scheme["faults_only"] or p[1] in FAULTS]
    return len(scheme["across"]) * len(pairs) + versions * len(scheme["per_version"]) * len(per_version)


def metric_months(scheme, mix, rps):
    """Custom metric-months at `rps` with this mix and one version: each metric is billed for
    the hours in which at least one request publishes it (Poisson arrivals)."""
    total = 0.0
    for (op, outcome), share in mix.items():
        published = 1 - math.exp(-rps * 3600 * share)
        metrics = len(scheme["across"])
        if not scheme["faults_only"] or outcome in FAULTS:
            metrics += len(scheme["per_version"])
        total += metrics * published
    return total


def xray_traces_per_second(rps):
    """X-Ray's default rule: the first request each second, then 5% of the rest."""
    return min(rps, 1) + 0.05 * max(0.0, rps - 1)


def monthly(rps, cancel, get, mix, memory, duration_ms, log_bytes, alarm_metrics, dashboards):
    """List price and always-free credit of a month at `rps`, USD, by part."""
    requests = rps * MONTH_SECONDS
    cancel_share = sum(s for (op, _), s in mix.items() if op != "GetLifecycleExecution")
    per_request = cancel_share * sum(cancel.values()) + (1 - cancel_share) * sum(get.values())
    gb_seconds = requests * math.ceil(duration_ms) / 1000 * memory / 1024
    traces = xray_traces_per_second(rps) * MONTH_SECONDS
    months = metric_months(AFTER, mix, rps)
    ingested_gb = requests * log_bytes / 1e9
    price = {
        "requests": requests / 1e6 * per_request,
        "xray": traces / 1e6 * PRICES["xray_traces_per_million"],
        "metrics": months * PRICES["custom_metric_month"],
        "alarms": alarm_metrics * PRICES["alarm_metric_month"],
        "dashboards": dashboards * PRICES["dashboard_month"],
    }
    free = (min(requests, FREE_TIER["lambda_requests"]) / 1e6 * PRICES["lambda_requests_per_million"]
            + min(gb_seconds, FREE_TIER["lambda_gb_seconds"]) * PRICES["lambda_arm_gb_second"]
            + min(ingested_gb, FREE_TIER["logs_gb"]) * PRICES["logs_ingested_per_gb"]
            + min(traces, FREE_TIER["xray_traces"]) / 1e6 * PRICES["xray_traces_per_million"]
            + min(months, FREE_TIER["custom_metrics"]) * PRICES["custom_metric_month"]
            + min(alarm_metrics, FREE_TIER["alarm_metrics"]) * PRICES["alarm_metric_month"]
            + min(dashboards, FREE_TIER["dashboards"]) * PRICES["dashboard_month"])
    return requests, months, price, free


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list-page", action="store_true",
                        help="print one ListLifecycleExecutions page's read cost and stop")
    parser.add_argument("--latency", type=Path, help="compare_designs --json output")
    parser.add_argument("--log-bytes", type=float,
                        help="function log bytes per request (cold_start_by_memory.py)")
    parser.add_argument("--memory", type=int, default=None, help="MB (default: template.yaml's)")
    parser.add_argument("--managed-instances", action="store_true",
                        help="print Lambda's part of a month, standard against Managed Instances, and stop")
    parser.add_argument("--billed-ms", type=float, help="standard Lambda's billed ms a request (--managed-instances)")
    parser.add_argument("--cpu-ms", type=float, help="CPU ms a request in one busy process (--managed-instances)")
    args = parser.parse_args()
    if args.managed_instances:
        if args.billed_ms is None or args.cpu_ms is None:
            parser.error("--managed-instances needs --billed-ms and --cpu-ms")
        print_managed_instances(args.billed_ms, args.cpu_ms, args.memory or template_memory())
        return
    if args.list_page:
        for shown in (25, 100):
            size, read, units, usd = list_page(shown)
            print(f"ListLifecycleExecutions page of {shown} ({shown + 1} read): {size} bytes an "
                  f"item, {read} bytes read, {units:g} RRU, ${usd:.4f} per million pages "
                  "(DynamoDB alone)")
        return
    if args.latency is None or args.log_bytes is None:
        parser.error("--latency and --log-bytes are required (or --list-page)")
    memory = args.memory or template_memory()
    cells = json.loads(args.latency.read_text())["cells"]
    mean = {(c["design"], c["path"]): c["mean_ms"] for c in cells}
    # This service's duration is the real binary's where the run had it.
    for path in PATHS:
        measured = mean.get(("one transaction, real binary", path))
        if measured is not None:
            mean[("one transaction (this service)", path)] = measured
    logs = log_bytes_per_request(args.log_bytes)
    platform = sum(len(line) for line in platform_lines())
    print(f"Log bytes per request: {args.log_bytes:.0f} the function's (measured), {platform} Lambda's "
          f"platform.start + platform.report, {len(access_log_line())} the access log line: {logs:.0f}")
    for line in platform_lines() + [access_log_line()]:
        print(f"    {line}")

    print(f"\nPer million requests, USD, us-east-1, Lambda arm64 at {memory} MB, REST API")
    print("| design | path | WRU | RRU | API Gateway | Lambda | DynamoDB | logs | total |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for design, paths in UNITS.items():
        for path in PATHS:
            duration = mean.get((design, path))
            if duration is None:
                continue
            cost = per_million(paths[path], duration, memory, logs)
            print(f"| {design} | {path} | {paths[path][0]} | {paths[path][1]} | {cost['front door']:.2f} | "
                  f"{cost['lambda']:.3f} | {cost['dynamodb']:.3f} | {cost['logs']:.3f} | {sum(cost.values()):.2f} |")

    design = "one transaction (this service)"
    print("\nPer million new cancels by front door, USD (a function URL writes no access log line)")
    print("| front door | front door | Lambda | DynamoDB | logs | total |")
    print("| --- | --- | --- | --- | --- | --- |")
    for door, label in (("rest", "REST API, AWS_IAM (template)"), ("http", "HTTP API, IAM authorization"),
                        ("function_url", "function URL, AWS_IAM")):
        door_logs = log_bytes_per_request(args.log_bytes, access_log=door != "function_url")
        cost = per_million(UNITS[design]["new cancel"], mean[(design, "new cancel")], memory, door_logs, door)
        print(f"| {label} | {cost['front door']:.2f} | {cost['lambda']:.3f} | {cost['dynamodb']:.3f} | "
              f"{cost['logs']:.3f} | {sum(cost.values()):.2f} |")

    pairs = sum(len(o) for o in OUTCOMES.values())
    print(f"\nCustom metrics at the full outcome spread ({pairs} (Operation, Outcome) pairs, every one published "
          f"every hour), one version live / two (a deployment in the month):")
    for name, scheme in (("before", BEFORE), ("after", AFTER)):
        print(f"  {name}: {metric_count(scheme, 1)} / {metric_count(scheme, 2)} "
              f"({metric_count(scheme, 1) * PRICES['custom_metric_month']:.2f} USD a month at one version)")

    alarms, alarm_metrics, dashboards = template_alarms()
    cancel = per_million(UNITS[design]["new cancel"], mean[(design, "new cancel")], memory, logs)
    get = per_million(UNITS[design]["get"], mean[(design, "get")], memory, logs)
    duration = mean[(design, "new cancel")]
    for title, mix in (("every request a new cancel", {("CancelLifecycleExecution", "Cancelled"): 1.0}),
                       ("the assumed mix of ASSUMED_MIX (not measured)", ASSUMED_MIX)):
        print(f"\nA month, {title}; {alarms} alarms on {alarm_metrics} alarm metrics, {dashboards} dashboard; USD")
        print("| rps | requests | per request (API GW, Lambda, DynamoDB, logs) | X-Ray | custom metrics (metric-months) "
              "| the same before the cut | alarms + dashboard | list price | always-free tier | after the free tier |")
        print("| --- " * 10 + "|")
        for rps in (0.1, 1, 10, 100):
            requests, months, price, free = monthly(rps, cancel, get, mix, memory, duration, logs,
                                                    alarm_metrics, dashboards)
            total = sum(price.values())
            before = metric_months(BEFORE, mix, rps)
            print(f"| {rps:g} | {requests / 1e6:.2f} M | {price['requests']:.2f} | {price['xray']:.2f} | "
                  f"{price['metrics']:.2f} ({months:.1f}) | {before * PRICES['custom_metric_month']:.2f} ({before:.1f}) | "
                  f"{price['alarms'] + price['dashboards']:.2f} | {total:.2f} | -{free:.2f} | {total - free:.2f} |")


if __name__ == "__main__":
    main()
