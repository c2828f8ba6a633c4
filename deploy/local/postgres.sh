#!/usr/bin/env bash
# A private PostgreSQL for FuzzFarm: the machine's own binaries, a project-local data folder, loopback only.
#   postgres.sh start    start it (idempotent), print the Npgsql connection string on stdout
#   postgres.sh stop     stop it (idempotent)
#   postgres.sh status   say whether it runs (exit 0 when running, 3 when not)
#   postgres.sh url      print the Npgsql connection string
# Environment: FUZZFARM_PG_PORT (default 54329), FUZZFARM_PGDATA (default <repo>/.run/pgdata).
# Everything but the connection string goes to stderr, so `FUZZFARM_PG=$(postgres.sh start)` works.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
port="${FUZZFARM_PG_PORT:-54329}"
superuser="fuzzfarm"
database="fuzzfarm"

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

case "$port" in
  '' | *[!0-9]*) say "FUZZFARM_PG_PORT must be a port number, got '$port'"; exit 2 ;;
esac

find_bindir() {
  local dir
  for dir in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
    if [[ -x "$dir/postgres" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

bindir="$(find_bindir || true)"
if [[ -z "$bindir" ]]; then
  if [[ "$(id -u)" == 0 ]]; then
    say "PostgreSQL binaries missing: installing Debian's postgresql"
    # The package's own cluster is not used; apt must not wait for a prompt.
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; }
    bindir="$(find_bindir)" || die "no PostgreSQL binaries under /usr/lib/postgresql/*/bin after installing"
  else
    die "no PostgreSQL binaries under /usr/lib/postgresql/*/bin: run 'apt-get install -y postgresql' as root"
  fi
fi

# PostgreSQL refuses to run as root: as root, run the server as the postgres user, which owns the data folder.
if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (created by Debian's postgresql package)"
  as_owner() { runuser -u postgres -- "$@"; }
  switch_user=postgres
else
  as_owner() { "$@"; }
  switch_user=""
fi

data="${FUZZFARM_PGDATA:-$root/.run/pgdata}"
# A checkout under a private folder (e.g. /root) is out of the postgres user's reach: keep the data beside it instead.
if [[ -z "${FUZZFARM_PGDATA:-}" && -n "$switch_user" ]] && ! runuser -u postgres -- test -x "$root" 2>/dev/null; then
  data="/var/tmp/fuzzfarm-pg-$(printf '%s' "$root" | md5sum | cut -c1-12)/pgdata"
  say "user postgres cannot reach $root: the data folder is $data"
fi
run_dir="$(dirname "$data")"
log="$run_dir/postgres-$port.log"
password_file="$run_dir/pg-password"

# A server already holding the data folder may listen on another port (started with another FUZZFARM_PG_PORT): the
# port it runs on is the one to connect to.
adopt_running_port() {
  local running
  running="$(as_owner sed -n 4p "$data/postmaster.pid" 2>/dev/null || true)"
  if [[ "$running" =~ ^[0-9]+$ && "$running" != "$port" ]]; then
    say "the server holding $data listens on $running, not $port: using $running"
    port="$running"
  fi
}

connection_string() {
  echo "Host=127.0.0.1;Port=$port;Username=$superuser;Password=$(cat "$password_file");Database=$database"
}

is_running() { as_owner "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1; }

psql_admin() {
  PGPASSWORD="$(cat "$password_file")" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$port" -U "$superuser" -d postgres "$@"
}

init_cluster() {
  mkdir -p "$run_dir"
  if [[ -n "$switch_user" ]]; then
    chown postgres: "$run_dir"
    # The server process must be able to walk down to the data folder.
    runuser -u postgres -- test -x "$run_dir" \
      || die "user postgres cannot reach $run_dir (a parent folder is not searchable); set FUZZFARM_PGDATA to a reachable folder"
  fi
  if [[ ! -s "$password_file" ]]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$password_file")
  fi
  chmod 600 "$password_file"
  say "initialising a new cluster in $data"
  local pwfile="$run_dir/.initdb-pw"
  (umask 077 && cat "$password_file" >"$pwfile")
  [[ -z "$switch_user" ]] || chown postgres: "$pwfile"
  as_owner "$bindir/initdb" -D "$data" -U "$superuser" --pwfile="$pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2 \
    || { rm -f "$pwfile"; die "initdb failed"; }
  rm -f "$pwfile"
}

start() {
  if [[ ! -s "$data/PG_VERSION" ]]; then
    init_cluster
  fi
  [[ -s "$password_file" ]] || die "$password_file is missing: the cluster in $data cannot be used (remove $data to start afresh)"
  if is_running; then
    adopt_running_port
    say "already running on 127.0.0.1:$port (data $data)"
  else
    touch "$log" && { [[ -z "$switch_user" ]] || chown postgres: "$log"; }
    # No Unix socket: its default folder may not exist or be writable; TCP on loopback is all we need.
    # 9>&-: the server must not inherit (and hold forever) the start lock.
    as_owner "$bindir/pg_ctl" start -D "$data" -l "$log" -w -t 60 9>&- \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='' -c max_connections=200" >&2 \
      || { tail -n 20 "$log" >&2 || true; die "could not start PostgreSQL on port $port (log: $log)"; }
    say "started on 127.0.0.1:$port (data $data, log $log)"
  fi
  if ! psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    psql_admin -c "CREATE DATABASE $database" >&2
  fi
  connection_string
}

stop() {
  if [[ -s "$data/PG_VERSION" ]] && is_running; then
    as_owner "$bindir/pg_ctl" stop -D "$data" -m fast -w >&2
    say "stopped"
  else
    say "not running"
  fi
}

status() {
  if [[ -s "$data/PG_VERSION" ]] && is_running; then
    adopt_running_port
    say "running on 127.0.0.1:$port (data $data)"
    return 0
  fi
  say "not running (data $data)"
  return 3
}

url() {
  [[ -s "$password_file" ]] || die "no cluster yet: run '$0 start' first"
  if [[ -s "$data/PG_VERSION" ]] && is_running; then
    adopt_running_port
  fi
  connection_string
}

# Test processes may all ask for the server at once: one start (initdb especially) at a time.
lock_starts() {
  mkdir -p "$run_dir"
  exec 9>>"$run_dir/.lock"
  flock 9
}

case "${1:-}" in
  start) lock_starts; start ;;
  stop) stop ;;
  status) status ;;
  url) url ;;
  *) say "usage: $0 start|stop|status|url"; exit 2 ;;
esac
