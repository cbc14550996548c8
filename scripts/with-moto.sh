#!/usr/bin/env bash
# Runs a command with moto's DynamoDB server on a free loopback port, exported as MOTO_ENDPOINT.
# Usage: scripts/with-moto.sh COMMAND [ARGS...]
set -euo pipefail

venv="${VENV:-.venv}"
if [ ! -x "$venv/bin/moto_server" ]; then
  echo "with-moto: moto is not installed in $venv: run 'make venv' (it installs requirements-test.txt)" >&2
  exit 2
fi

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log="${TMPDIR:-/tmp}/moto-$port.log"
# moto, one request at a time (scripts/moto_server.py says why).
"$venv/bin/python" scripts/moto_server.py -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT

endpoint="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$endpoint/moto-api/', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    echo "with-moto: moto exited; its log ($log):" >&2
    cat "$log" >&2
    exit 2
  fi
  sleep 0.1
done

export MOTO_ENDPOINT="$endpoint"
echo "with-moto: moto's DynamoDB on $MOTO_ENDPOINT" >&2
"$@"
