#!/usr/bin/env bash
# `make test`: every test. Unit tests, template checks, then the end-to-end suite against a
# local platform started here on its own ports (so a running `make up` is not disturbed).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each phase ends saying how long it took: where `make test`'s time goes, measured.
phase_started=$SECONDS
phase() {
  if [ -n "${phase_name:-}" ]; then echo "-- $phase_name: $((SECONDS - phase_started)) s"; fi
  phase_name=$1 phase_started=$SECONDS
  echo "== $1"
}
trap 'phase done' EXIT

phase "setup (venv, tools)"
scripts/bootstrap.sh --dev

phase "build"
# The functions' binaries are thin mains without tests: building a test harness for each of them
# (what a plain `--tests` or `cargo test` does) would double the disk a build takes for nothing.
cargo build --workspace --bins --examples
cargo test --workspace --lib --test '*' --no-run
# The end-to-end suites run from the executables this build made. `cargo test -p andes-tests`
# would resolve features for that one package and rebuild the AWS SDKs, dynoxide and the
# platform first (measured: 35 crates); the suites' names and executables go to a list.
suites="$(mktemp)"
cargo test --workspace --lib --test '*' --no-run --message-format=json 2>/dev/null \
  | .venv/bin/python -c '
import json, sys
for line in sys.stdin:
    artifact = json.loads(line)
    if artifact.get("reason") == "compiler-artifact" and artifact.get("executable") \
            and "andes-tests" in artifact["package_id"]:
        print(artifact["target"]["name"], artifact["executable"])
' > "$suites"
# Runs end-to-end suites (a name, or `all`) from the package directory, as cargo would, with
# the test harness's arguments after `--`; every suite runs even after one failed.
run_suites() {
  local wanted=$1 failed=0 name executable
  shift
  # The list is read on its own descriptor: a suite reading standard input must not eat it.
  while read -r -u 3 name executable; do
    if [ "$wanted" != all ] && [ "$name" != "$wanted" ]; then continue; fi
    echo "     Running $name"
    (cd tests && ANDES_ENV_FILE="$env_file" "$executable" "$@") </dev/null || { failed=1; echo "FAILED: $name" >&2; }
  done 3< "$suites"
  if [ "$wanted" != all ] && ! grep -q "^$wanted " "$suites"; then echo "no suite $wanted was built" >&2; return 1; fi
  return $failed
}

phase "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

phase "unit and component tests"
cargo test --workspace --exclude andes-tests --lib --test '*'

phase "template checks"
SAM_CLI_TELEMETRY=0 .venv/bin/sam validate --lint --template template.yaml
.venv/bin/cfn-lint template.yaml
.venv/bin/python local/python/template_budget.py template.yaml --budget 450

phase "end-to-end tests (local platform)"
source scripts/lib/platform.sh
env_file="$PWD/.andes/test.env"
log="$PWD/.andes/test-platform.log"
trap 'stop_platform; phase done' EXIT
# Short visibility timeout: failed messages come back, and reach their DLQ, within seconds.
# Stage throttling and per-address abuse limits far above anything the suites send, so no
# test is throttled; the per-address limits are tested afterwards at their real figures.
start_platform "${ANDES_TEST_PORT:-3900}" "${ANDES_TEST_BACKEND_PORT:-5900}" "$env_file" "$log" \
  --parameter-overrides QueueVisibilityTimeoutSeconds=5 PublicationVisibilityTimeoutSeconds=5 \
  ApiThrottlingBurstLimit=100000 ApiThrottlingRateLimit=100000 \
  SignupsPerIpPerHour=100000 AnonymousMessagesPerIpPerHour=100000 ResendsPerIpPerHour=100000

if ! run_suites all; then
  echo "end-to-end tests failed; last lines of the platform log ($log):" >&2
  tail -n 150 "$log" >&2
  exit 1
fi
echo "resident memory after the suites (measured, not asserted):"
.venv/bin/python local/python/measure_memory.py "$PLATFORM_PID" "after the end-to-end suites"

phase "deliveries: every order stream replayed equals the live read models (quiet stack)"
# The projector may be a moment behind the last test's events: a few tries, then it must agree.
rebuilt=""
for _ in 1 2 3 4 5; do
  if rebuilt=$(set -a; . "$env_file"; set +a; "${CARGO_TARGET_DIR:-target}/debug/deliveries-admin" rebuild-projections --dry-run 2>/dev/null); then
    break
  fi
  rebuilt=""
  sleep 2
done
if [ -z "$rebuilt" ]; then
  echo "deliveries-admin rebuild-projections --dry-run found differences after the suites:" >&2
  (set -a; . "$env_file"; set +a; "${CARGO_TARGET_DIR:-target}/debug/deliveries-admin" rebuild-projections --dry-run) >&2 || true
  exit 1
fi
echo "${rebuilt##*$'\n'}"

phase "every API fuzzed against its OpenAPI document (schemathesis, tests/schemathesis.toml)"
if ! run_suites openapi_fuzz --ignored --nocapture; then
  echo "schemathesis found answers that differ from the documents; last lines of the platform log ($log):" >&2
  tail -n 150 "$log" >&2
  exit 1
fi

phase "per-address abuse limits at the template's figures (a fresh platform)"
stop_platform
start_platform "${ANDES_TEST_PORT:-3900}" "${ANDES_TEST_BACKEND_PORT:-5900}" "$env_file" "$log" \
  --parameter-overrides QueueVisibilityTimeoutSeconds=5 PublicationVisibilityTimeoutSeconds=5 \
  ApiThrottlingBurstLimit=100000 ApiThrottlingRateLimit=100000
if ! run_suites abuse_limits_per_address --ignored; then
  echo "abuse-limit tests failed; last lines of the platform log ($log):" >&2
  tail -n 150 "$log" >&2
  exit 1
fi
