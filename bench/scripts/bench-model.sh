#!/usr/bin/env bash
# The latency model run (BENCHMARKS.md, "Latency on DynamoDB's published figures"): moto, the
# model endpoint in front of it (scripts/fault_dynamodb.py --latency-model), and the harness
# (bench/src, `compare_designs`) with the real bootstrap beside the three designs.
# Usage: bench/scripts/bench-model.sh BOOTSTRAP OUT_PREFIX   (env: MODEL_PROFILE, SAMPLES, BATCH, CONCURRENCY,
#   WITHOUT_IN_PROCESS=1 to leave out the harness's own copy of this service,
#   BINARY_ONLY=1 as well to run the real binary alone)
set -euo pipefail
bootstrap=$1 out=$2
venv="${VENV:-.venv}"
if [ -z "${MOTO_ENDPOINT:-}" ]; then
  exec scripts/with-moto.sh "$0" "$@"
fi
log="$out.endpoint.log"
"$venv/bin/python" scripts/fault_dynamodb.py --upstream "$MOTO_ENDPOINT" \
  --latency-model "${MODEL_PROFILE:-upper}" --seed 7 >"$log" 2>&1 &
endpoint_pid=$!
trap 'kill "$endpoint_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$log" && break
  sleep 0.1
done
model=$(sed -n 's/^listening on //p' "$log")
[ -n "$model" ] || { echo "bench-model: the model endpoint did not start: $(cat "$log")" >&2; exit 2; }
MODEL_ENDPOINT="$model" target/release/compare_designs \
  --samples "${SAMPLES:-4000}" --batch "${BATCH:-100}" --concurrency "${CONCURRENCY:-1}" \
  ${WITHOUT_IN_PROCESS:+--without-in-process} ${BINARY_ONLY:+--binary-only} \
  --binary "$bootstrap" --json "$out.json" | tee "$out.md"
