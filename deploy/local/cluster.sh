#!/usr/bin/env bash
# A FuzzFarm cluster on loopback: N `fuzzfarm silo` processes clustered through the farm's PostgreSQL.
#   cluster.sh N        build fuzzfarm (Release) and start N silos (silo ports 11111+i, gateways 30000+i)
#   cluster.sh stop     stop the silos this script started (SIGTERM, then SIGKILL after 15 s)
#   cluster.sh status   list them
# Environment: FUZZFARM_PG (else deploy/local/postgres.sh starts the private server), FUZZFARM_SILO_PORT_BASE,
# FUZZFARM_GATEWAY_PORT_BASE, FUZZFARM_ARTIFACTS (build output, default <repo>/artifacts).
# Then: dotnet run --project silos/FuzzFarm.Silo -- campaign start NAME --profile v5.7 --machines 3
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="$root/.run/cluster"
silo_base="${FUZZFARM_SILO_PORT_BASE:-11111}"
gateway_base="${FUZZFARM_GATEWAY_PORT_BASE:-30000}"
artifacts="${FUZZFARM_ARTIFACTS:-$root/artifacts}"

say() { echo "cluster.sh: $*" >&2; }
usage() { say "usage: cluster.sh N | stop | status"; exit 2; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_all() {
  shopt -s nullglob
  local pidfile pids=()
  for pidfile in "$state"/silo-*.pid; do
    if alive "$pidfile"; then
      pids+=("$(cat "$pidfile")")
      kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    fi
  done
  for _ in $(seq 1 30); do
    local running=0 pid
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
    [[ $running == 0 ]] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$state"/silo-*.pid
  say "stopped ${#pids[@]} silo(s)"
}

status_all() {
  shopt -s nullglob
  local pidfile found=0
  for pidfile in "$state"/silo-*.pid; do
    found=1
    if alive "$pidfile"; then echo "$(basename "$pidfile" .pid): running (pid $(cat "$pidfile"))"; else echo "$(basename "$pidfile" .pid): dead"; fi
  done
  [[ $found == 1 ]] || echo "no silos"
}

start_all() {
  local count="$1"
  if [[ -z "${FUZZFARM_PG:-}" ]]; then
    FUZZFARM_PG="$("$root/deploy/local/postgres.sh" start)"
    export FUZZFARM_PG
  fi
  say "building fuzzfarm"
  FUZZFARM_ARTIFACTS="$artifacts" dotnet build "$root/silos/FuzzFarm.Silo" -c Release -nologo -v q >&2
  local dll="$artifacts/bin/FuzzFarm.Silo/release/fuzzfarm.dll"
  [[ -f "$dll" ]] || { say "build output $dll is missing"; exit 1; }
  mkdir -p "$state"
  local i
  for ((i = 0; i < count; i++)); do
    local pidfile="$state/silo-$i.pid" log="$state/silo-$i.log"
    if alive "$pidfile"; then
      say "silo $i already running (pid $(cat "$pidfile"))"
      continue
    fi
    nohup dotnet "$dll" silo --port $((silo_base + i)) --gateway $((gateway_base + i)) >"$log" 2>&1 &
    echo $! >"$pidfile"
    say "silo $i: pid $!, silo port $((silo_base + i)), gateway $((gateway_base + i)), log $log"
  done
}

case "${1:-}" in
  stop) stop_all ;;
  status) status_all ;;
  '' | *[!0-9]*) usage ;;
  *)
    [[ "$1" -ge 1 && "$1" -le 64 ]] || { say "N must be between 1 and 64"; exit 2; }
    start_all "$1"
    ;;
esac
