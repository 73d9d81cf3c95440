#!/usr/bin/env bash
# Side-by-side benchmark (issues 12 and 22): one command for every figure of the README's
# Performance table. Under the same load generator and connection count it runs
#   1. pure ingest (no Discord work queued): the official Node SDK's webhook listener, our
#      /healthz and our signed, durably committed vote.create, one after the other;
#   2. the same with one announcement queued per vote;
#   3. votes offered at a fixed 1,000/s (the ack latency tail at ordinary load);
#   4. pure ingest on Postgres (skipped with a message when it cannot be reached);
# each printing throughput, latency, CPU per request, server RSS (idle after start-up, peak)
# and the ratios; then all of them again as one table.
# Usage: bench/side-by-side.sh [loadgen options, e.g. --duration 6]
# The options apply to every run, except those a run fixes (the rate run's --rate, the
# Postgres run's --backend, ...). Postgres: --postgres-url (default
# postgres://postgres@127.0.0.1:5432/test); SKIP_POSTGRES=1 skips that run.
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
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

# Whether option $1 is among the rest ("--x v" or "--x=v").
given() { local a; for a in "${@:2}"; do [[ $a == "$1" || $a == "$1="* ]] && return 0; done; return 1; }
# The user's options without those in $1 (space-separated; each followed by a value unless
# it is --no-announce), as the array `kept`.
without() {
  local drop=" $1 " skip=0 a
  kept=()
  for a in "${@:2}"; do
    if ((skip)); then skip=0; continue; fi
    local name=${a%%=*}
    if [[ $drop == *" $name "* ]]; then
      [[ $a == *=* || $name == --no-announce ]] || skip=1
      continue
    fi
    kept+=("$a")
  done
}
# Runs the load generator: label, the run's own options, then the user's.
run() {
  local label=$1; shift
  local fixed=() defaults=() user=()
  while [ "$1" != "--" ]; do fixed+=("$1"); shift; done
  shift
  user=("$@")
  # Options given on the command line replace these defaults (clap refuses repeated options).
  for default in "--backend sqlite" "--concurrency 32" "--duration 10" "--probe 0"; do
    given "${default%% *}" "${fixed[@]}" "${user[@]}" || defaults+=($default)
  done
  echo
  echo "== $label"
  target/release/examples/loadgen "${defaults[@]}" "${fixed[@]}" "${user[@]}" \
    --summary "$summary" --label "$label"
}

# The server logs at its default level (info): votes are summed up in one info line per 10 s.
without "--no-announce --peer" "$@"
run "SQLite, pure ingest" --no-announce "${peer[@]}" -- "${kept[@]}"
without "--no-announce --peer" "$@"
run "SQLite, announcements queued" "${peer[@]}" -- "${kept[@]}"
without "--rate --concurrency --probe --no-announce --peer" "$@"
run "SQLite, 1,000 votes/s offered" --rate 1000 --probe 0 --no-announce -- "${kept[@]}"
if [ "${SKIP_POSTGRES:-0}" = 1 ]; then
  echo "SKIP_POSTGRES=1: the Postgres run is skipped"
else
  without "--backend --probe --no-announce --peer" "$@"
  run "Postgres, pure ingest" --backend postgres --probe 0 --no-announce -- "${kept[@]}" ||
    echo "the Postgres run failed (is Postgres at --postgres-url reachable?): skipped"
fi

echo
echo "== summary ($(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); RSS in MB of 10^6 bytes)"
column -t -s $'\t' "$summary"
