"""Shared fixtures: the service binary, started on a free loopback port."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "cancel-lifecycle-execution"


@pytest.fixture
def local_service():
    """The binary in local mode with the embedded demo store; yields its base URL."""
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `cargo build` first (`make test` does)")
    env = {"PATH": os.environ.get("PATH", ""), "LISTEN_ADDR": "127.0.0.1:0", "RUST_LOG": "warn"}
    process = subprocess.Popen([str(BINARY)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()
        address = first_line.split("http://")[1].split()[0]
        yield f"http://{address}"
    finally:
        process.terminate()
        process.wait(timeout=10)
