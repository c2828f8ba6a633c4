#!/usr/bin/env bash
# A private Prometheus (Debian's package) on loopback that scrapes the local silos.
# usage: deploy/local/prometheus.sh start [TARGET...] | stop | status | url | targets TARGET...
#   TARGET is host:port of a silo's metrics endpoint (default 127.0.0.1:9464).
# Targets live in a file_sd file, so `targets` changes them without a restart.
# Environment: FUZZFARM_PROM_PORT (default 19090), FUZZFARM_PROM_RUN (state folder, default <repo>/.run/prometheus:
# give each private instance, e.g. a test's, its own), PROMETHEUS_BIN.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
run="${FUZZFARM_PROM_RUN:-$here/.run/prometheus}"
port="${FUZZFARM_PROM_PORT:-19090}"
bin="${PROMETHEUS_BIN:-$(command -v prometheus || echo /usr/bin/prometheus)}"

write_targets() {
  local list=""
  for t in "$@"; do list="$list\"$t\","; done
  printf '[{"targets":[%s],"labels":{"job":"fuzzfarm"}}]\n' "${list%,}" >"$run/targets.json.tmp"
  mv "$run/targets.json.tmp" "$run/targets.json"
}

running() { [ -f "$run/pid" ] && kill -0 "$(cat "$run/pid")" 2>/dev/null; }

case "${1:-}" in
  start)
    shift
    if [ ! -x "$bin" ]; then
      echo "prometheus.sh: prometheus is not installed (apt-get install prometheus)" >&2; exit 1
    fi
    mkdir -p "$run/data"
    [ "$#" -gt 0 ] || set -- 127.0.0.1:9464
    write_targets "$@"
    sed "s|@TARGETS_FILE@|$run/targets.json|" "$here/deploy/prometheus/prometheus.local.yml" >"$run/prometheus.yml"
    if running; then echo "http://127.0.0.1:$port"; exit 0; fi
    nohup "$bin" --config.file="$run/prometheus.yml" --storage.tsdb.path="$run/data" \
      --web.listen-address="127.0.0.1:$port" --web.enable-lifecycle >"$run/prometheus.log" 2>&1 &
    echo $! >"$run/pid"
    for _ in $(seq 1 100); do
      if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then echo "http://127.0.0.1:$port"; exit 0; fi
      sleep 0.2
    done
    echo "prometheus.sh: Prometheus did not become ready; see $run/prometheus.log" >&2; exit 1 ;;
  targets)
    shift; mkdir -p "$run"; write_targets "$@" ;;
  stop)
    if running; then kill "$(cat "$run/pid")"; rm -f "$run/pid"; fi ;;
  status)
    if running; then echo "running: http://127.0.0.1:$port"; else echo "stopped"; exit 3; fi ;;
  url)
    echo "http://127.0.0.1:$port" ;;
  *)
    echo "usage: $0 start [HOST:PORT...] | targets HOST:PORT... | stop | status | url" >&2; exit 2 ;;
esac
