#!/usr/bin/env bash
# `sam local` as a user runs it, through the real (pinned) SAM CLI in a Docker engine:
#  1. a Docker engine: the one that answers, else dockerd started here and stopped on exit;
#  2. the base image SAM asks for: the real one if it is here, else a stand-in made offline
#     (scripts/lambda-base-image.sh says which); never a pull (--skip-pull-image);
#  3. `sam build` of the function for this host's architecture into target/sam-<arch> (never
#     .aws-sam/build, where `sam deploy` would take it for the arm64 function);
#  4. `sam local start-lambda --warm-containers LAZY`: every event with an identity, in name
#     order, against one warm container, compared with its expected file;
#  5. one `sam local invoke` of an event whose answer depends on no earlier one;
#  6. `sam local start-api`: a cancel, its replay, a mismatch, a read after the cancel, a cancel
#     of a finished execution and a wrong method, each with its documented answer.
# Everything it starts (SAM, its containers, dockerd) is stopped on exit, failed or not.
set -euo pipefail
venv="${VENV:-.venv}" sam_venv="${SAM_VENV:-.venv-sam}"
sam="$sam_venv/bin/sam"
[ -x "$sam" ] || { echo "sam-local-check: $sam is missing: run 'make tool-venvs'" >&2; exit 2; }
export SAM_CLI_TELEMETRY=0 PATH="$PWD/$venv/bin:$PATH"
case "$(uname -m)" in x86_64) arch=x86_64 ;; aarch64) arch=arm64 ;; *) echo "sam-local-check: unknown host $(uname -m)" >&2; exit 2 ;; esac
work="${TMPDIR:-/tmp}/sam-local-check-$$"
mkdir -p "$work"
build_dir="target/sam-$arch"
overrides="Architecture=$arch"

dockerd_pid="" sam_pids=""
containers_before=""
cleanup() {
  status=$?
  for pid in $sam_pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $sam_pids; do wait "$pid" 2>/dev/null || true; done
  if docker info >/dev/null 2>&1; then
    for id in $(docker ps -aq --no-trunc); do
      case " $containers_before " in *" $id "*) ;; *) docker rm -f "$id" >/dev/null 2>&1 || true ;; esac
    done
  fi
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
    echo "sam-local-check: stopped the dockerd it started (pid $dockerd_pid)"
  fi
  [ "$status" = 0 ] || { echo "sam-local-check: failed; logs in $work" >&2; for f in "$work"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 30 "$f" >&2; }; done; }
  exit "$status"
}
trap cleanup EXIT

# 1. A Docker engine.
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || { echo "sam-local-check: no Docker engine answers and there is no dockerd: apt-get install docker.io" >&2; exit 2; }
  [ "$(id -u)" = 0 ] || { echo "sam-local-check: no Docker engine answers; start one (sudo dockerd) or run make test as root" >&2; exit 2; }
  dockerd --storage-driver=overlay2 --iptables=false --ip-forward=false \
    --pidfile "$work/dockerd.pid" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 300); do docker info >/dev/null 2>&1 && break; sleep 0.1; done
  docker info >/dev/null 2>&1 || { echo "sam-local-check: dockerd did not answer" >&2; exit 1; }
  echo "sam-local-check: started dockerd (pid $dockerd_pid)"
fi
containers_before=$(docker ps -aq --no-trunc | tr '\n' ' ')

# 2. The base image.
scripts/lambda-base-image.sh "$arch"

# 3. The build, reusing cargo's cache of the release build (cargo-lambda runs in the project).
"$sam" build CancelLifecycleExecutionFunction --build-dir "$build_dir" \
  --parameter-overrides "$overrides" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
template="$build_dir/template.yaml"
scripts/check-glibc.sh "$build_dir/CancelLifecycleExecutionFunction/bootstrap"
common=(--template "$template" --env-vars sam-local-env.json --parameter-overrides "$overrides" --skip-pull-image)

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
# Waits until the SAM process `pid` says it runs on `port` and the port answers: SAM, not
# something else that took the port.
wait_for_sam() {
  local pid=$1 port=$2 log=$3
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || { echo "sam-local-check: SAM exited: $(tail -n 20 "$log")" >&2; return 1; }
    if grep -q "Running on http://127.0.0.1:$port" "$log" && "$venv/bin/python" -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "sam-local-check: SAM did not listen on $port" >&2
  return 1
}

# 4. start-lambda: the events build on each other in one warm container.
port=$(free_port)
"$sam" local start-lambda "${common[@]}" --warm-containers LAZY --host 127.0.0.1 --port "$port" \
  >"$work/start-lambda.log" 2>&1 &
sam_pids="$sam_pids $!"
wait_for_sam "$!" "$port" "$work/start-lambda.log"
"$venv/bin/python" scripts/event_checks.py sam-start-lambda "http://127.0.0.1:$port"

# 5. One `sam local invoke`, a fresh container.
"$sam" local invoke CancelLifecycleExecutionFunction "${common[@]}" \
  -e events/14-rest-api-wrong-method.json >"$work/invoke.out" 2>"$work/invoke.log"
"$venv/bin/python" - "$work/invoke.out" <<'PY'
import json, pathlib, sys
printed = pathlib.Path(sys.argv[1]).read_text()
expected = json.loads(pathlib.Path("events/14-rest-api-wrong-method.expected.json").read_text())
assert json.loads(printed) == expected, f"sam local invoke printed {printed}, expected {expected}"
print("sam local invoke: events/14-rest-api-wrong-method.json answered as its expected file says")
PY

# 6. start-api.
port=$(free_port)
"$sam" local start-api "${common[@]}" --warm-containers LAZY --host 127.0.0.1 --port "$port" \
  >"$work/start-api.log" 2>&1 &
sam_pids="$sam_pids $!"
wait_for_sam "$!" "$port" "$work/start-api.log"
"$venv/bin/python" scripts/sam_start_api_checks.py "http://127.0.0.1:$port"
echo "sam-local-check: sam local build, start-lambda, invoke and start-api all answered as documented"
