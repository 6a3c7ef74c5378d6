#!/usr/bin/env bash
# The SAM CLI as the README's deploy commands use it: the pinned tools from .venv, with
# .venv/bin on PATH so that SAM's rust-cargolambda builder finds `cargo lambda` (and its zig).
# Usage: scripts/sam.sh build [FunctionLogicalId] | deploy [--guided] | any other sam command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
export PATH="$PWD/.venv/bin:$PATH" SAM_CLI_TELEMETRY=0
exec sam "$@"
