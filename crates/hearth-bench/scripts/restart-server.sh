#!/usr/bin/env bash
# Restarts a server started by bench-server.sh: SIGTERM to the pid in
# PID_FILE, wait for it to exit, start it again on the same data directory
# (same PORT and VAR=value arguments), write the new pid to PID_FILE.
# Returns once the new server answers /readyz. For `hearth-bench storm`:
#
#   PORT=8090 crates/hearth-bench/scripts/bench-server.sh /tmp/hbS/data > /tmp/hbS/pid
#   hearth-bench --url http://127.0.0.1:8090 storm \
#     --restart-cmd 'PORT=8090 crates/hearth-bench/scripts/restart-server.sh /tmp/hbS/pid /tmp/hbS/data'
#
#   [PORT=…] restart-server.sh PID_FILE DATA_DIR [VAR=value ...]
set -euo pipefail
pid_file=${1:?usage: restart-server.sh PID_FILE DATA_DIR [VAR=value ...]}
data_dir=${2:?usage: restart-server.sh PID_FILE DATA_DIR [VAR=value ...]}
shift 2
here=$(dirname "$0")
pid=$(cat "$pid_file")
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 400); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.025
done
if kill -0 "$pid" 2>/dev/null; then
    echo "hearth $pid did not stop within 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.1
fi
"$here/bench-server.sh" "$data_dir" "$@" >"$pid_file.new"
mv "$pid_file.new" "$pid_file"
