"""The latency model of the benchmarks (scripts/latency_model.py): its curves against the
published figures they are fitted to. `make test` runs these beside tests/python."""
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from latency_model import OPERATIONS, PUBLISHED, PUBLISHED_QUANTILES, Model  # noqa: E402


def test_the_put_item_curve_passes_through_every_published_percentile():
    curve = Model("upper").curves["PutItem"]
    for q, published in zip(PUBLISHED_QUANTILES, PUBLISHED["PutItem"]):
        assert curve.quantile_ms(q) == pytest.approx(published)


def test_the_lower_profile_is_never_slower_than_the_upper_one():
    upper, lower = Model("upper"), Model("lower")
    for operation in OPERATIONS:
        for q in (0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999):
            assert lower.curves[operation].quantile_ms(q) <= upper.curves[operation].quantile_ms(q) + 1e-9


def test_a_curve_stays_at_its_minimum_below_it_and_keeps_rising_above_its_maximum():
    curve = Model("upper").curves["TransactWriteItems"]
    assert curve.quantile_ms(0.00001) == pytest.approx(PUBLISHED["TransactWrite5"][0])
    assert curve.quantile_ms(0.99999) > curve.quantile_ms(0.9999) > PUBLISHED["TransactWrite5"][-1]


def test_the_published_extremes_are_those_of_4000_calls_so_a_p99_9_lies_inside_them():
    # 400 invocations, each timing 10 calls: the max is the 4,000/4,001 quantile, not 400/401.
    assert PUBLISHED_QUANTILES[0] == pytest.approx(1 / 4001)
    assert PUBLISHED_QUANTILES[-1] == pytest.approx(4000 / 4001)
    for name, published in (("TransactWriteItems", "TransactWrite5"), ("PutItem", "PutItem")):
        p99_9 = Model("upper").curves[name].quantile_ms(0.999)
        assert PUBLISHED[published][4] < p99_9 < PUBLISHED[published][-1]


def test_a_cancelled_transaction_draws_from_the_failing_configuration():
    model = Model("upper")
    assert model.curve_for("TransactWriteItems", cancelled=True) is model.curves["TransactWriteItemsCancelled"]
    assert model.curve_for("ListTables") is None
