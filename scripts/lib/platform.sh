# Starts `andes-local up` in the background on its own ports and waits until it is healthy.
# Usage: start_platform PORT BACKEND_PORT ENV_FILE LOG [extra `up` arguments...]
# Sets PLATFORM_PID; stop_platform stops it (install it as an EXIT trap).
start_platform() {
  local port=$1 backend_port=$2 env_file=$3 log=$4
  shift 4
  mkdir -p "$(dirname "$env_file")" "$(dirname "$log")"
  rm -f "$env_file"
  local debug_dir="${CARGO_TARGET_DIR:-target}/debug"
  "$debug_dir/andes-local" up --target-dir "$debug_dir" --port "$port" --backend-port "$backend_port" --env-file "$env_file" "$@" >"$log" 2>&1 &
  PLATFORM_PID=$!
  if ! .venv/bin/python local/python/wait_healthy.py "http://127.0.0.1:$port/_local/health" 180 "$PLATFORM_PID"; then
    echo "the local platform did not become healthy; its log:" >&2
    tail -n 200 "$log" >&2
    return 1
  fi
}

stop_platform() {
  if [ -n "${PLATFORM_PID:-}" ]; then
    kill "$PLATFORM_PID" 2>/dev/null || true
    wait "$PLATFORM_PID" 2>/dev/null || true
  fi
}
