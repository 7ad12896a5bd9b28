#!/usr/bin/env bash
# Two `hearth` nodes in cluster mode (PostgreSQL + Redis) for benchmarking,
# both pinned to CPU 0 like bench-server.sh, on 127.0.0.1:$PORT1 and :$PORT2
# (default 8091, 8092). Each run gets a fresh PostgreSQL database
# (hearth_bench_<random>, on 127.0.0.1:5432 as postgres, trust auth) and a
# Redis key prefix of the same name on 127.0.0.1:6379, so other users of
# those servers are not disturbed. The nodes share one JWT secret.
#
#   crates/hearth-bench/scripts/bench-cluster.sh start DIR [extra env VAR=value ...]
#       prints "PID1 PID2"; remembers the database in DIR/cluster.env
#   crates/hearth-bench/scripts/bench-cluster.sh stop DIR
#       stops both nodes, drops the database, deletes the Redis keys
#
# Then: hearth-bench --url http://127.0.0.1:8091,http://127.0.0.1:8092 …
# (the first URL is the senders' node in fanout). Logs: DIR/n1.log, DIR/n2.log.
set -euo pipefail
cmd=${1:?usage: bench-cluster.sh start|stop DIR [VAR=value ...]}
dir=${2:?usage: bench-cluster.sh start|stop DIR [VAR=value ...]}
shift 2
here=$(dirname "$0")
pg_host=${PG_HOST:-127.0.0.1}
redis_host=${REDIS_HOST:-127.0.0.1}
port1=${PORT1:-8091}
port2=${PORT2:-8092}

case "$cmd" in
start)
    mkdir -p "$dir"
    if [ -f "$dir/cluster.env" ]; then
        echo "$dir/cluster.env exists: run 'bench-cluster.sh stop $dir' first" >&2
        exit 1
    fi
    db="hearth_bench_$(date +%s)_$$"
    createdb -h "$pg_host" -U postgres "$db"
    secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    common=(
        HEARTH_DATABASE_URL="postgres://postgres@$pg_host:5432/$db"
        HEARTH_REDIS_URL="redis://$redis_host:6379"
        HEARTH_REDIS_PREFIX="$db"
        HEARTH_JWT_SECRET="$secret"
    )
    echo "DB=$db" >"$dir/cluster.env"
    pid1=$(PORT=$port1 "$here/bench-server.sh" "$dir/n1" "${common[@]}" HEARTH_NODE_ID=n1 "$@")
    echo "PID1=$pid1" >>"$dir/cluster.env"
    pid2=$(PORT=$port2 "$here/bench-server.sh" "$dir/n2" "${common[@]}" HEARTH_NODE_ID=n2 "$@")
    echo "PID2=$pid2" >>"$dir/cluster.env"
    echo "$pid1 $pid2"
    ;;
stop)
    # shellcheck disable=SC1091
    . "$dir/cluster.env"
    for pid in ${PID1:-} ${PID2:-}; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in ${PID1:-} ${PID2:-}; do
        for _ in $(seq 1 200); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    dropdb -h "$pg_host" -U postgres --if-exists "$DB"
    redis-cli -h "$redis_host" --scan --pattern "$DB:*" | xargs -r redis-cli -h "$redis_host" del >/dev/null
    rm -f "$dir/cluster.env"
    ;;
*)
    echo "usage: bench-cluster.sh start|stop DIR [VAR=value ...]" >&2
    exit 1
    ;;
esac
