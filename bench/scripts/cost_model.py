#!/usr/bin/env python3
"""Cost per million requests of each path and design, and of the stack at 1, 10 and 100 rps.

Prices: US East (N. Virginia), as published on the pages in PRICES (read 2026-11-30); units per
path by DynamoDB's documented rules (UNITS). Durations come from the latency model's run
(compare_designs --json), memory from template.yaml, log bytes from cold_start_by_memory.py.

    cost_model.py --latency target/bench/model-upper.json [--log-bytes 821] [--memory 256]
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
    # aws.amazon.com/lambda/pricing/: Arm, first 7.5 billion GB-s a month; requests.
    "lambda_arm_gb_second": 0.0000133334,
    "lambda_requests_per_million": 0.20,
    # aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand prices halved on 2024-11-01).
    "dynamodb_wru_per_million": 0.625,
    "dynamodb_rru_per_million": 0.125,
    # aws.amazon.com/cloudwatch/pricing/: logs ingested (standard), custom metrics (first
    # 10,000), alarm metrics (standard resolution), dashboards (after 3 free).
    "logs_ingested_per_gb": 0.50,
    "custom_metric_month": 0.30,
    "alarm_metric_month": 0.10,
    "dashboard_month": 3.00,
    # aws.amazon.com/xray/pricing/: traces recorded (after 100,000 free a month).
    "xray_traces_per_million": 5.00,
}

# Units per request, items under 1 KB (docs.aws.amazon.com/amazondynamodb/latest/developerguide/
# read-write-operations.html): a strongly consistent read of up to 4 KB is 1 RRU; a write of up
# to 1 KB is 1 WRU, 2 in a transaction ("consumed even when the transaction is canceled"); a
# write whose condition fails still consumes its units (WorkingWithItems.html, "Capacity units
# consumed by conditional writes"). ReturnValuesOnConditionCheckFailure costs no read units.
UNITS = {  # design -> path -> (WRU, RRU)
    "one transaction (this service)": {
        "new cancel": (4, 0), "replay": (4, 0), "mismatch": (4, 0), "refusal": (4, 0), "get": (0, 1)},
    "three calls": {
        "new cancel": (2, 1), "replay": (0, 1), "mismatch": (0, 1), "refusal": (1, 1), "get": (0, 1)},
    "token first": {
        "new cancel": (2, 0), "replay": (1, 0), "mismatch": (1, 0), "refusal": (3, 0), "get": (0, 1)},
}
PATHS = ("new cancel", "replay", "mismatch", "refusal", "get")
MONTH_SECONDS = 30 * 24 * 3600
# API Gateway's access log line (template.yaml's Format, with typical values) and Lambda's own
# platform.start and platform.report records (LogFormat JSON, with X-Ray's fields), in bytes.
ACCESS_LOG_BYTES = 417
PLATFORM_LOG_BYTES = 668
# template.yaml: 10 alarms reading 15 metrics, 1 dashboard.
ALARM_METRICS, DASHBOARDS = 15, 1
# Custom metrics a month: 3 metrics for each (operation, outcome) seen (about 8), plus
# Requests per version for each (operation, outcome) and version live that month (about 2).
CUSTOM_METRICS = 3 * 8 + 1 * 8 * 2


def template_memory():
    text = (ROOT / "template.yaml").read_text()
    return int(re.search(r"^      MemorySize: (\d+)", text, re.M).group(1))


def per_million(path_units, duration_ms, memory_mb, log_bytes, api):
    wru, rru = path_units
    billed_ms = math.ceil(duration_ms)
    return {
        "api": PRICES[f"{api}_api_per_million"],
        "lambda": PRICES["lambda_requests_per_million"]
        + 1e6 * billed_ms / 1000 * memory_mb / 1024 * PRICES["lambda_arm_gb_second"],
        "dynamodb": wru * PRICES["dynamodb_wru_per_million"] + rru * PRICES["dynamodb_rru_per_million"],
        "logs": 1e6 * (log_bytes + PLATFORM_LOG_BYTES + ACCESS_LOG_BYTES) / 1e9 * PRICES["logs_ingested_per_gb"],
    }


def xray_traces_per_second(rps):
    """X-Ray's default rule: the first request each second, then 5% of the rest."""
    return min(rps, 1) + 0.05 * max(0.0, rps - 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", required=True, type=Path, help="compare_designs --json output")
    parser.add_argument("--log-bytes", type=float, default=821, help="function log bytes per request")
    parser.add_argument("--memory", type=int, default=None, help="MB (default: template.yaml's)")
    args = parser.parse_args()
    memory = args.memory or template_memory()
    cells = json.loads(args.latency.read_text())["cells"]
    mean = {(c["design"], c["path"]): c["mean_ms"] for c in cells}
    # This service's duration is the real binary's where the run had it.
    for path in PATHS:
        measured = mean.get(("one transaction, real binary", path))
        if measured is not None:
            mean[("one transaction (this service)", path)] = measured

    print(f"Per million requests, USD, us-east-1, Lambda arm64 at {memory} MB, REST API")
    print("| design | path | WRU | RRU | API Gateway | Lambda | DynamoDB | logs | total | with an HTTP API |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for design, paths in UNITS.items():
        for path in PATHS:
            duration = mean.get((design, path))
            if duration is None:
                continue
            rest = per_million(paths[path], duration, memory, args.log_bytes, "rest")
            http = per_million(paths[path], duration, memory, args.log_bytes, "http")
            print(f"| {design} | {path} | {paths[path][0]} | {paths[path][1]} | {rest['api']:.2f} | "
                  f"{rest['lambda']:.3f} | {rest['dynamodb']:.3f} | {rest['logs']:.3f} | "
                  f"{sum(rest.values()):.2f} | {sum(http.values()):.2f} |")

    design = "one transaction (this service)"
    cancel = per_million(UNITS[design]["new cancel"], mean[(design, "new cancel")], memory, args.log_bytes, "rest")
    fixed = (ALARM_METRICS * PRICES["alarm_metric_month"] + DASHBOARDS * PRICES["dashboard_month"]
             + CUSTOM_METRICS * PRICES["custom_metric_month"])
    print()
    print(f"The template's defaults a month (every request a new cancel; {CUSTOM_METRICS} custom metrics, "
          f"{ALARM_METRICS} alarm metrics, {DASHBOARDS} dashboard: {fixed:.2f} USD a month whatever the traffic)")
    print("| rps | requests a month | per request (API GW, Lambda, DynamoDB, logs) | X-Ray traces | fixed | total |")
    print("| --- | --- | --- | --- | --- | --- |")
    for rps in (1, 10, 100):
        requests = rps * MONTH_SECONDS
        variable = requests / 1e6 * sum(cancel.values())
        traces = xray_traces_per_second(rps) * MONTH_SECONDS
        xray = max(0.0, traces - 100_000) / 1e6 * PRICES["xray_traces_per_million"]
        print(f"| {rps} | {requests / 1e6:.1f} M | {variable:.2f} | {xray:.2f} ({traces / 1e6:.2f} M traces) | "
              f"{fixed:.2f} | {variable + xray + fixed:.2f} |")


if __name__ == "__main__":
    main()
