#!/usr/bin/env bash
# Schema-driven API fuzzing: starts the debug binary on a free port with a
# temporary data dir, creates a fuzz user (a server admin) and a second
# user, and runs schemathesis against /api/openapi.json: no 5xx, answers as
# the document says (status, content type, headers, body schema), 401
# without a valid token, created things usable and deleted ones gone. Any
# finding fails the script.
#
# HEARTH_API_FUZZ_EXAMPLES: examples per operation and phase (default 15,
# about two minutes on two cores); HEARTH_API_FUZZ_SEED: a seed to replay;
# HEARTH_API_FUZZ_CHECKS: the checks (default below); HEARTH_BIN: the binary
# (default target/debug/hearth). Extra arguments go to `st run`. See
# docs/testing.md for a longer run.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${HEARTH_BIN:-target/debug/hearth}"
EXAMPLES="${HEARTH_API_FUZZ_EXAMPLES:-15}"
# Not positive_data_acceptance / negative_data_rejection: they need the
# document to restate every rule that depends on stored data or on two
# fields at once (an unknown user id in `members` is a 400, `before` and
# `after` exclude each other, …); docs/testing.md runs them.
CHECKS="${HEARTH_API_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth,use_after_free,ensure_resource_availability,missing_required_header,unsupported_method,allow_header_conformance}"
command -v st >/dev/null || { echo "schemathesis is not installed (see .ci/run)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no server binary at $BIN (cargo build -p hearth-server)" >&2; exit 1; }

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# A closed port: mail is sent in the background, so the mail flows answer
# as with SMTP set up and their sends fail quietly in the log.
SMTP_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export HEARTH_BIND="127.0.0.1:$PORT"
export HEARTH_DATA_DIR="$WORK/data"
export HEARTH_SQLITE_SYNC_FULL=false
export HEARTH_JWT_SECRET="api-fuzz-secret-api-fuzz-secret-0123456"
export HEARTH_PUBLIC_URL="http://127.0.0.1:$PORT"
export HEARTH_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
# The fuzzer floods: limits high enough that it rarely meets them (a 429
# that it does meet is documented on every operation, so it passes).
export HEARTH_AUTH_RATE_PER_MINUTE=1000000
export HEARTH_SEND_RATE_PER_SECOND=100000
export HEARTH_SEND_BURST=100000
export RUST_LOG="${RUST_LOG:-warn}"

export HEARTH_FUZZ_USER=fuzz-admin
export HEARTH_FUZZ_PASSWORD="fuzz-password-$RANDOM$RANDOM"
"$BIN" user create --username "$HEARTH_FUZZ_USER" --password "$HEARTH_FUZZ_PASSWORD" --admin >/dev/null
"$BIN" user create --username fuzz-peer --password "fuzz-peer-password" >/dev/null

"$BIN" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
export HEARTH_FUZZ_URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  curl -fsS "$HEARTH_FUZZ_URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done

token() {
  curl -fsS -H 'content-type: application/json' \
    -d "{\"username\":\"$HEARTH_FUZZ_USER\",\"password\":\"$HEARTH_FUZZ_PASSWORD\"}" \
    "$HEARTH_FUZZ_URL/api/v1/auth/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
fuzz() {
  st --config-file scripts/api-fuzz.toml run "$HEARTH_FUZZ_URL/api/openapi.json" \
    --report ndjson --report-dir target/api-fuzz \
    --checks "$CHECKS" --max-examples "$EXAMPLES" --no-color "${seed[@]}" "$@"
}
seed=()
[ -n "${HEARTH_API_FUZZ_SEED:-}" ] && seed=(--seed "$HEARTH_API_FUZZ_SEED")
status=0
# Everything but revoking a session, which would end the run's own
# session (its id is in `GET /sessions`); then that alone, as a user
# registered now: the fuzzer has met the fuzz user's name by then, and its
# failed logins have locked the account.
HEARTH_FUZZ_TOKEN="$(token)"
export HEARTH_FUZZ_TOKEN
fuzz --exclude-operation-id revoke_session "$@" || status=$?
HEARTH_FUZZ_TOKEN="$(curl -fsS -H 'content-type: application/json' \
  -d "{\"username\":\"fuzz-late-$RANDOM\",\"password\":\"$HEARTH_FUZZ_PASSWORD\"}" \
  "$HEARTH_FUZZ_URL/api/v1/auth/register" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
fuzz --include-operation-id revoke_session --include-operation-id list_sessions "$@" || status=$?

if grep -q "panicked" "$WORK/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 "panicked" "$WORK/server.log" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  mkdir -p target
  cp "$WORK/server.log" target/api-fuzz-server.log
  echo "the server's log: target/api-fuzz-server.log" >&2
fi
exit "$status"
