"""scripts/fault_dynamodb.py's model mode, which the benchmarks run: it holds a call to the
latency drawn for it, not to the draw plus moto's own time."""
import json
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from latency_model import PROFILES  # noqa: E402


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
