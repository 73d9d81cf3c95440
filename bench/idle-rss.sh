#!/usr/bin/env bash
# Idle RSS of a server binary, broken down (issue 22): starts BINARY as the load generator
# does (fresh SQLite file, no gateway, Discord REST aimed at a closed port: nothing is sent
# at idle), waits for /healthz, sleeps 1 s, prints VmRSS, RssAnon, RssFile and the threads,
# and saves /proc/PID/smaps in OUT. KEEP=1 leaves the server running (its pid in OUT/pid),
# e.g. for `bench/resident-code.py PID BINARY`.
# Usage: bench/idle-rss.sh BINARY [OUT]     (BINARY: e.g. target/release/topgg-bot)
set -euo pipefail
bin=${1:?binary}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -i PATH="$PATH" DATABASE_URL="sqlite://$out/db.sqlite" \
  TOPGG_INTEGRATION_SECRET=secret_abcdefghijklmnop DISCORD_TOKEN=standin.token.x \
  TOPGG_BOT__DISCORD__API_URL=http://127.0.0.1:9/api/v10 TOPGG_BOT__DISCORD__GATEWAY=false \
  TOPGG_BOT__HTTP__LISTEN="127.0.0.1:$port" TOPGG_BOT__HTTP__PUBLIC_URL="http://127.0.0.1:$port" \
  TOPGG_BOT__HTTP__MAX_CONNECTIONS_PER_IP=0 "$bin" >/dev/null 2>"$out/log" &
pid=$!
echo "$pid" >"$out/pid"
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
sleep 1
grep -E 'VmRSS|RssAnon|RssFile|Threads' "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' '
echo
for t in /proc/"$pid"/task/*; do cat "$t/comm"; done | sort | uniq -c | tr -s ' \n' ' '
echo
cp "/proc/$pid/smaps" "$out/smaps"
echo "smaps: $out/smaps"
if [ "${KEEP:-0}" != 1 ]; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
