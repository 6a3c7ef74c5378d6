#!/usr/bin/env bash
# `make bench`: measured, never asserted. Release builds with the deploy profile (fat LTO):
# init time (exec → first /next) and peak RSS of an identity function against a hello-world
# lambda_runtime binary, then the arm64 zip size of that function as `sam deploy` ships it,
# then the AWS calls each request of an identity, infractions and classifieds session makes, and
# of a rides, a deliveries and a dining session.
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

echo "== AWS calls per request (local platform, debug builds; counted by the backend per function)"
source scripts/lib/platform.sh
trap stop_platform EXIT
start_platform "${ANDES_BENCH_PORT:-3800}" "${ANDES_BENCH_BACKEND_PORT:-5800}" "$PWD/.andes/bench.env" "$PWD/.andes/bench-platform.log"
.venv/bin/python local/python/measure_calls.py "$PWD/.andes/bench.env"
.venv/bin/python local/python/measure_calls_rides.py "$PWD/.andes/bench.env"
.venv/bin/python local/python/measure_calls_deliveries.py "$PWD/.andes/bench.env"
.venv/bin/python local/python/measure_calls_dining.py "$PWD/.andes/bench.env"
