#!/usr/bin/env bash
# Starts a release `hearth` for benchmarking: pinned to CPU 0, on
# 127.0.0.1:$PORT (default 8080), with every rate limit out of the way and
# day-long access tokens (so the bench's state file can reuse them across runs).
#
#   [PORT=8090] crates/hearth-bench/scripts/bench-server.sh DATA_DIR [extra env VAR=value ...]
#
# Prints the server's pid (pass it to hearth-bench --server-pid) and leaves
# the server running in the background; its log is appended to DATA_DIR.log.
set -euo pipefail
data_dir=${1:?usage: bench-server.sh DATA_DIR [VAR=value ...]}
shift
bin=${HEARTH_BIN:-target/release/hearth}
cpu=${SERVER_CPU:-0}
port=${PORT:-8080}
mkdir -p "$(dirname "$data_dir")"
env HEARTH_BIND="127.0.0.1:$port" \
    HEARTH_DATA_DIR="$data_dir" \
    HEARTH_AUTH_RATE_PER_MINUTE=1000000 \
    HEARTH_SEND_RATE_PER_SECOND=1000000 \
    HEARTH_SEND_BURST=1000000 \
    HEARTH_GATEWAY_OPS_PER_SECOND=1000000 \
    HEARTH_WRITE_RATE_PER_MINUTE=1000000 \
    HEARTH_MAX_SESSIONS_PER_USER=1000 \
    HEARTH_ACCESS_TOKEN_TTL=86400 \
    "$@" \
    taskset -c "$cpu" "$bin" >>"$data_dir.log" 2>&1 &
pid=$!
for _ in $(seq 1 400); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then
        echo "$pid"
        exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        break
    fi
    sleep 0.05
done
echo "hearth did not become ready on port $port; see $data_dir.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
