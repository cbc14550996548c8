#!/usr/bin/env python3
"""DynamoDB latency per operation, fitted to published measurements (BENCHMARKS.md, "Sources").

Each distribution is a quantile curve through published percentiles: ln(latency) is linear in the
normal score z between two published points (a lognormal piece per interval). Below the
smallest published value the draw stays at it; above the largest it goes on along the last
piece's slope. Each published row summarizes 4,000 calls (400 invocations, each timing 10 calls
in a loop), so its min and max are about the 1/4,001 and 4,000/4,001 quantiles: a p99.9 lies
between the published p99 and max; only what is past the max (about the 99.975th percentile)
is an extrapolation of the curve.

The published figures (milliseconds; Lambda in the same region; 400 invocations of 10 calls each):
alexdebrie/dynamodb-performance-testing, put-batch-transaction-performance/README.md, and the
post www.alexdebrie.com/posts/dynamodb-transactions-performance/. Operations not measured there
are derived by the rules in DERIVED, each with the bound it stands for.

    latency_model.py [--profile upper|lower]   prints every curve's p50, p99, p99.9
"""
import argparse
import math
import random
from statistics import NormalDist

# min, p50, p90, p95, p99, max of 4,000 calls (400 invocations whose handler times 10 calls in a
# loop: put.py and transact_write.py, `for i in range(10)`; run.sh invokes each 400 times).
SAMPLES_PER_ROW = 400 * 10
PUBLISHED_QUANTILES = (1 / (SAMPLES_PER_ROW + 1), 0.50, 0.90, 0.95, 0.99, SAMPLES_PER_ROW / (SAMPLES_PER_ROW + 1))
PUBLISHED = {
    "PutItem": (5.47, 7.55, 11.3, 13.2, 16.2, 29.0),
    "TransactWrite5": (19.4, 25.3, 30.7, 36.4, 92.5, 218.0),
    "TransactWrite25": (23.5, 32.1, 40.5, 47.2, 97.5, 258.0),
    "TransactWrite5Failed": (19.8, 25.3, 30.6, 34.2, 84.9, 254.0),
}


def per_item_step(point):
    """What one more item adds to a transaction at this percentile, from the 5 and 25 item runs."""
    return (PUBLISHED["TransactWrite25"][point] - PUBLISHED["TransactWrite5"][point]) / 20


def two_items(base):
    """A 2-item transaction: the 5-item figures less three items' worth of the 5-to-25 slope."""
    return tuple(PUBLISHED[base][i] - 3 * per_item_step(i) for i in range(len(PUBLISHED_QUANTILES)))


def scaled(name, factor):
    return tuple(value * factor for value in PUBLISHED[name])


# Rules for what was not measured, and the bound each rule stands for (BENCHMARKS.md says why).
# "upper" takes the slower end of every uncertain rule, "lower" the faster.
DERIVED = {
    "upper": {
        # A strongly consistent read is served by the partition's leader alone; a write also
        # waits for a second replica. Upper bound: a read takes as long as a write.
        "GetItem": PUBLISHED["PutItem"],
        # Single-item writes of items under 1 KB take one path (router, leader, replication).
        "UpdateItem": PUBLISHED["PutItem"],
        "DeleteItem": PUBLISHED["PutItem"],
        # A 2-item transaction is no slower than a 5-item one.
        "TransactWriteItems": PUBLISHED["TransactWrite5"],
        "TransactWriteItemsCancelled": PUBLISHED["TransactWrite5Failed"],
    },
    "lower": {
        # Lower bound: a read takes half of a write at every percentile.
        "GetItem": scaled("PutItem", 0.5),
        "UpdateItem": PUBLISHED["PutItem"],
        "DeleteItem": PUBLISHED["PutItem"],
        # Lower bound: linear in the number of items, down to two.
        "TransactWriteItems": two_items("TransactWrite5"),
        "TransactWriteItemsCancelled": two_items("TransactWrite5Failed"),
    },
}
PROFILES = tuple(DERIVED)
OPERATIONS = tuple(DERIVED["upper"]) + ("PutItem",)
_NORMAL = NormalDist()
_Z = tuple(_NORMAL.inv_cdf(q) for q in PUBLISHED_QUANTILES)


class Curve:
    """One operation's quantile curve."""

    def __init__(self, values_ms):
        self.logs = tuple(math.log(v) for v in values_ms)

    def quantile_ms(self, q):
        z = _NORMAL.inv_cdf(min(max(q, 1e-12), 1 - 1e-12))
        if z <= _Z[0]:
            return math.exp(self.logs[0])
        for i in range(1, len(_Z)):
            if z <= _Z[i] or i == len(_Z) - 1:
                slope = (self.logs[i] - self.logs[i - 1]) / (_Z[i] - _Z[i - 1])
                return math.exp(self.logs[i - 1] + slope * (z - _Z[i - 1]))
        raise AssertionError("unreachable")

    def draw_ms(self, rng):
        return self.quantile_ms(rng.random())


class Model:
    """The curves of one profile; `draw_ms(operation, cancelled)` picks the right one."""

    def __init__(self, profile, seed=None):
        table = dict(DERIVED[profile])
        table["PutItem"] = PUBLISHED["PutItem"]
        self.profile = profile
        self.curves = {name: Curve(values) for name, values in table.items()}
        self.rng = random.Random(seed)

    def curve_for(self, operation, cancelled=False):
        if operation == "TransactWriteItems" and cancelled:
            return self.curves["TransactWriteItemsCancelled"]
        return self.curves.get(operation)

    def draw_ms(self, operation, cancelled=False):
        curve = self.curve_for(operation, cancelled)
        return None if curve is None else curve.draw_ms(self.rng)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=PROFILES, default="upper")
    args = parser.parse_args()
    model = Model(args.profile)
    print(f"profile {args.profile}: milliseconds at each percentile of the curve")
    print(f"{'operation':<30}{'p50':>9}{'p99':>9}{'p99.9':>9}")
    for name, curve in model.curves.items():
        print(f"{name:<30}" + "".join(f"{curve.quantile_ms(q):>9.2f}" for q in (0.5, 0.99, 0.999)))


if __name__ == "__main__":
    main()
