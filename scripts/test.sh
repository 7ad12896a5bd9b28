#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, store conformance, API and
# gateway integration, durability, fuzz targets), the schema-driven API
# fuzzing of the debug binary, then the browser tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --locked

# Schemathesis against the debug binary `cargo test` just built.
./scripts/api-fuzz.sh

# The browser tests drive the debug binary that `cargo test` just built.
cd e2e
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
HEARTH_BIN="$(pwd)/../target/debug/hearth" npm test
