#!/usr/bin/env bash
# `make demo`: the second command after `make up` — loads the classifieds demo data (seed 003:
# the demo accounts, 3 ads each with 3 photos, all published through the real upload and
# publication path) into the running stack. `make demo ARGS=remove-demo` removes it;
# `make demo ARGS="load-demo --accounts 5"` loads fewer.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .andes/local.env ]; then
  echo "no .andes/local.env: start the stack first with \`make up\`" >&2
  exit 1
fi
set -a
# shellcheck disable=SC1091
source .andes/local.env
set +a
cargo build -q -p classifieds --bin classifieds-admin
if [ "$#" -eq 0 ]; then
  set -- load-demo
fi
# The running stack says where its binaries are (honours CARGO_TARGET_DIR, like `make up`).
exec "${ANDES_TARGET_DIR:-target/debug}/classifieds-admin" "$@"
