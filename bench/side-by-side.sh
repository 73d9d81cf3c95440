#!/usr/bin/env bash
# Side-by-side ingest benchmark (issue 12): the official Node SDK's webhook listener, our
# /healthz and our signed, durably committed vote.create, one after the other, under the same
# load generator and connection count; prints throughput, latency, RSS and the ratios.
# Usage: bench/side-by-side.sh [loadgen options, e.g. --concurrency 64 --duration 10]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin topgg-bot --example loadgen
peer=()
if command -v node >/dev/null && command -v npm >/dev/null; then
  [ -d bench/peer/node_modules/@top-gg/sdk ] || npm ci --prefix bench/peer --no-audit --no-fund
  peer=(--peer bench/peer)
else
  echo "node/npm not found: the peer (@top-gg/sdk) run is skipped"
fi
# The server logs at its default level (info): votes are summed up in one info line per 10 s.
# Options given on the command line replace these defaults (clap refuses repeated options).
common=()
given() { local a; for a in "${@:2}"; do [[ $a == "$1" || $a == "$1="* ]] && return 0; done; return 1; }
for default in "--backend sqlite" "--concurrency 32" "--duration 10" "--probe 0"; do
  given "${default%% *}" "$@" || common+=($default)
done
echo "== pure ingest (no Discord work queued)"
target/release/examples/loadgen "${common[@]}" --no-announce "${peer[@]}" "$@"
echo "== ingest with announcements queued"
target/release/examples/loadgen "${common[@]}" "${peer[@]}" "$@"
