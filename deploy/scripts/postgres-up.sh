#!/usr/bin/env bash
# Starts a private PostgreSQL 15 cluster for Granary and prints its Npgsql connection string on
# stdout as a shell export (everything else goes to stderr), so callers can write:
#
#   eval "$(bash deploy/scripts/postgres-up.sh)"     # sets GRANARY_PG_CONNECTION
#
# and then e.g. `granary-silo migrate --connection "$GRANARY_PG_CONNECTION"`.
#
# Installs PostgreSQL 15 with apt-get when it is missing. The cluster belongs to the OS user
# `postgres`, trusts local connections (a development and test database: never expose it), listens
# on 127.0.0.1 only, and keeps its data, socket and log under one directory. Idempotent: an
# initialised cluster is reused, a running one is left running.
#
# Options (or environment):
#   --data DIR       data root (GRANARY_PG_DATA, default /var/lib/granary/pg)
#   --port PORT      TCP port on 127.0.0.1 (GRANARY_PG_PORT, default 55432)
#   --database NAME  database to create if missing (GRANARY_PG_DATABASE, default granary)
set -euo pipefail

root="${GRANARY_PG_DATA:-/var/lib/granary/pg}"
port="${GRANARY_PG_PORT:-55432}"
database="${GRANARY_PG_DATABASE:-granary}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) root="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --database) database="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "postgres-up: unknown option $1" >&2; exit 2 ;;
  esac
done

log() { echo "postgres-up: $*" >&2; }

bin=/usr/lib/postgresql/15/bin
if [[ ! -x "$bin/pg_ctl" || ! -x "$bin/initdb" ]] || ! command -v psql >/dev/null; then
  log "installing PostgreSQL 15 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql-15 postgresql-client-15 >&2
fi

if ! id postgres >/dev/null 2>&1; then
  log "creating OS user postgres"
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

as_postgres() {
  if [[ "$(id -un)" == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

data="$root/data"
sock="$root/run"
logfile="$root/postgres.log"
mkdir -p "$data" "$sock"
chown postgres: "$root" "$data" "$sock"
chmod 700 "$data"

if [[ ! -f "$data/PG_VERSION" ]]; then
  log "initdb $data"
  as_postgres "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >&2
fi

if as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  log "already running ($data)"
else
  log "starting on 127.0.0.1:$port"
  # 300 connections, not 100: the test run's process clusters are seven processes with a pool each, and a soak or
  # an all-in-one may run beside them; an agent refused a connection at start exits ("too many clients").
  as_postgres "$bin/pg_ctl" -D "$data" -l "$logfile" -w -t 60 \
    -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c max_connections=300" start >&2
fi

# A cluster that was already running may listen elsewhere: postmaster.pid line 4 is its port.
port="$(sed -n 4p "$data/postmaster.pid")"

psql_admin() { psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
if [[ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]]; then
  log "creating database $database"
  psql_admin -c "CREATE DATABASE \"$database\"" >&2
fi

echo "export GRANARY_PG_CONNECTION='Host=127.0.0.1;Port=$port;Username=postgres;Database=$database'"
