#!/usr/bin/env bash
# Installs what the showcase needs and serves it under `metamon dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
cargo build -p metamon
exec target/debug/metamon dev examples/showcase "$@"
