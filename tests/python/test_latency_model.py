"""The latency model of the benchmarks: its curves and how the model endpoint holds a call."""
import json
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from latency_model import OPERATIONS, PROFILES, PUBLISHED, PUBLISHED_QUANTILES, Model  # noqa: E402


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


@pytest.mark.parametrize("profile", PROFILES)
def test_the_model_endpoint_holds_a_call_to_its_draw_and_not_to_the_draw_plus_upstream(moto_endpoint, profile):
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "fault_dynamodb.py"), "--upstream", moto_endpoint,
         "--latency-model", profile, "--seed", "3"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        endpoint = process.stdout.readline().strip().removeprefix("listening on ")
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        client.list_tables()  # opens the connection; not modelled, so not held or counted
        started = time.perf_counter()
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_item(TableName="no-such-table", Key={"k": {"S": "v"}})
        elapsed_ms = (time.perf_counter() - started) * 1000
        with urllib.request.urlopen(endpoint + "/__model__", timeout=5) as answer:
            report = json.load(answer)
        entry = report["calls"]["GetItem"]
        assert report["profile"] == profile
        assert entry["calls"] == 1
        held_ms = max(entry["drawn_ms"], entry["upstream_ms"])
        # At least the draw; and well short of draw + upstream when upstream took a while.
        assert elapsed_ms >= entry["drawn_ms"]
        assert elapsed_ms < held_ms + 25, (elapsed_ms, entry)
        assert entry["excess_ms"] == pytest.approx(max(0.0, entry["upstream_ms"] - entry["drawn_ms"]))
    finally:
        process.kill()
        process.wait(timeout=10)
