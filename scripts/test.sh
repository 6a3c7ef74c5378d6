#!/usr/bin/env bash
# `make test`: every test. Unit tests, template checks, then the end-to-end suite against a
# local platform started here on its own ports (so a running `make up` is not disturbed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev

echo "== build"
cargo build --workspace --bins --tests

echo "== unit and component tests"
cargo test --workspace --exclude andes-tests

echo "== template checks"
SAM_CLI_TELEMETRY=0 .venv/bin/sam validate --lint --template template.yaml
.venv/bin/cfn-lint template.yaml

echo "== end-to-end tests (local platform)"
port=${ANDES_TEST_PORT:-3900}
backend_port=${ANDES_TEST_BACKEND_PORT:-5900}
env_file="$PWD/.andes/test.env"
log="$PWD/.andes/test-platform.log"
mkdir -p .andes
rm -f "$env_file"
# Short visibility timeout: failed messages come back, and reach their DLQ, within seconds.
target/debug/andes-local up --port "$port" --backend-port "$backend_port" --env-file "$env_file" \
  --parameter-overrides QueueVisibilityTimeoutSeconds=5 >"$log" 2>&1 &
platform=$!
stop_platform() { kill "$platform" 2>/dev/null || true; wait "$platform" 2>/dev/null || true; }
trap stop_platform EXIT

if ! .venv/bin/python local/python/wait_healthy.py "http://127.0.0.1:$port/_local/health" 180 "$platform"; then
  echo "the local platform did not become healthy; its log:" >&2
  tail -n 200 "$log" >&2
  exit 1
fi

if ! ANDES_ENV_FILE="$env_file" cargo test -p andes-tests; then
  echo "end-to-end tests failed; last lines of the platform log ($log):" >&2
  tail -n 150 "$log" >&2
  exit 1
fi
