#!/usr/bin/env bash
# `make up`: build every function, then run the whole stack locally with its demo data.
# Extra arguments go to `andes-local up` (see `target/debug/andes-local up --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cargo build --workspace --bins
debug_dir="${CARGO_TARGET_DIR:-target}/debug"
# One developer's curl session and demo loads come from one address: the per-address abuse
# limits are raised (arguments given to `make up ARGS=...` come later and win).
exec "$debug_dir/andes-local" up --target-dir "$debug_dir" \
  --parameter-overrides SignupsPerIpPerHour=1000 AnonymousMessagesPerIpPerHour=1000 ResendsPerIpPerHour=1000 "$@"
