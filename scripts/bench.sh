#!/usr/bin/env bash
# The full benchmark in one command: Vite and its framework plugins installed as the bench's own
# dev dependencies, the release binary built, then metamon and Vite measured side by side.
# Arguments go to bench/run.mjs (e.g. --apps react,react-10k, --rounds 20, --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/playwright-core ] || npm ci
[ -d bench/node_modules/vite ] || npm ci --prefix bench
cargo build --release -p metamon
node bench/run.mjs "$@"
