#!/usr/bin/env bash
# `make test-deploy`: the README's deploy build, as a new user runs it, for one function:
# `sam build IdentityLoginFunction` must leave an arm64 `bootstrap` in .aws-sam. Slow (a
# release arm64 build with fat LTO), so it is not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
function_id="${1:-IdentityLoginFunction}"
rm -rf ".aws-sam/build/$function_id"
scripts/sam.sh build "$function_id"
bootstrap=".aws-sam/build/$function_id/bootstrap"
[ -x "$bootstrap" ] || { echo "test-deploy: no executable $bootstrap after sam build" >&2; exit 1; }
description=$(file -b "$bootstrap" 2>/dev/null || od -An -tx1 -N20 "$bootstrap")
case "$description" in
  *aarch64*|*ARM\ aarch64*) ;;
  # Without file(1): ELF e_machine 0xb7 (AArch64) at byte 18.
  *" b7 00"*) ;;
  *) echo "test-deploy: $bootstrap is not an arm64 executable: $description" >&2; exit 1 ;;
esac
echo "test-deploy: sam build $function_id → $bootstrap ($(du -h "$bootstrap" | cut -f1), arm64)"
echo "1 passed, 0 failed"
