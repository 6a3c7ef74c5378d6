#!/usr/bin/env bash
# Installs what a fresh machine lacks, and nothing twice: a project-local Python venv with the
# pinned local backend (moto server) and, with --dev, the pinned template/deploy tools
# (sam, cfn-lint, cargo-lambda). The Rust toolchain comes with the machine (rustup).
set -euo pipefail
cd "$(dirname "$0")/.."

with_dev=false
[ "${1:-}" = "--dev" ] && with_dev=true

apt_install() {
  echo "bootstrap: installing Debian packages: $*"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$@"; else sudo apt-get update -qq && sudo apt-get install -y -qq "$@"; fi
}

command -v cargo >/dev/null || { echo "bootstrap: cargo not found; install Rust with rustup first" >&2; exit 1; }
command -v python3 >/dev/null || apt_install python3 python3-venv
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv 2>/dev/null || { rm -rf .venv; apt_install python3-venv; python3 -m venv .venv; }
fi

requirements=(local/python/requirements.txt)
$with_dev && requirements+=(local/python/requirements-dev.txt)
stamp=".venv/.andes-$(basename "${requirements[-1]}").sha256"
wanted=$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "bootstrap: installing pinned Python tools into .venv (${requirements[*]})"
  args=()
  for file in "${requirements[@]}"; do args+=(-r "$file"); done
  .venv/bin/pip install -q --disable-pip-version-check "${args[@]}"
  echo "$wanted" > "$stamp"
fi
