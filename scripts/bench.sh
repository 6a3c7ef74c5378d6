#!/usr/bin/env bash
# `make bench`: measured, never asserted. Release builds with the deploy profile (fat LTO):
# init time (exec → first /next) and peak RSS of an identity function against a hello-world
# lambda_runtime binary, then the arm64 zip size of that function as `sam deploy` ships it,
# then latency and throughput of a GetItem route, the infractions report and signup, the AWS
# calls each request of an identity, infractions and classifieds session makes, and of a rides,
# a deliveries and a dining session, and the resident memory of the stack after them and once
# its idle instances are retired.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
scripts/bootstrap.sh --dev
cargo build --workspace --bins
cargo build --release --bin hello-lambda --bin identity-login --bin identity-authorizer

echo "== init and memory (x86_64 release, this machine)"
"$target"/debug/andes-local measure-init --runs 30 \
  --env AWS_REGION=us-east-1 --env AWS_ACCESS_KEY_ID=test --env AWS_SECRET_ACCESS_KEY=test \
  --env IDENTITY_TABLE=bench --env JWT_SECRET=bench-secret-bench-secret-bench-secret \
  "$target"/release/hello-lambda "$target"/release/identity-login "$target"/release/identity-authorizer

echo "== arm64 zip (cargo lambda, as deployed)"
rustup target list --installed | grep -q aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
PATH="$PWD/.venv/bin:$PATH" cargo lambda build --release --arm64 --output-format zip --bin identity-login --bin hello-lambda >/dev/null
for name in hello-lambda identity-login; do
  printf '| %s | %s bytes |\n' "$name" "$(stat -c %s "$target/lambda/$name/bootstrap.zip")"
done

echo "== latency and throughput (local platform, debug builds)"
source scripts/lib/platform.sh
trap stop_platform EXIT
# Throttling and per-address limits out of the way of the throughput runs; idle instances
# retired after 20 s instead of 5 min, so that the idle figure comes within the run.
idle_seconds=20
start_platform "${ANDES_BENCH_PORT:-3800}" "${ANDES_BENCH_BACKEND_PORT:-5800}" "$PWD/.andes/bench.env" "$PWD/.andes/bench-platform.log" \
  --idle-timeout-seconds "$idle_seconds" \
  --parameter-overrides ApiThrottlingBurstLimit=100000 ApiThrottlingRateLimit=100000 SignupsPerIpPerHour=100000
.venv/bin/python local/python/measure_latency.py "$PWD/.andes/bench.env"

echo "== AWS calls per request (counted by the backend's front door per function)"
.venv/bin/python local/python/measure_calls.py "$PWD/.andes/bench.env"
.venv/bin/python local/python/measure_calls_rides.py "$PWD/.andes/bench.env"
.venv/bin/python local/python/measure_calls_deliveries.py "$PWD/.andes/bench.env"
.venv/bin/python local/python/measure_calls_dining.py "$PWD/.andes/bench.env"

echo "== resident memory"
echo "| when | andes-local (with DynamoDB) | moto (S3, SQS) | function instances | total |"
echo "|---|---|---|---|---|"
.venv/bin/python local/python/measure_memory.py "$PLATFORM_PID" "after the sessions above"
sleep $((idle_seconds * 2))
.venv/bin/python local/python/measure_memory.py "$PLATFORM_PID" "idle (instances retired after ${idle_seconds} s)"
