#!/usr/bin/env bash
# Stops the private PostgreSQL cluster started by postgres-up.sh (fast shutdown). Keeps its data;
# pass --purge to delete the data directory too. Idempotent: a stopped cluster stays stopped.
#
# Options (or environment):
#   --data DIR   data root (GRANARY_PG_DATA, default /var/lib/granary/pg)
#   --purge      remove the data root after stopping
set -euo pipefail

root="${GRANARY_PG_DATA:-/var/lib/granary/pg}"
purge=false

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) root="$2"; shift 2 ;;
    --purge) purge=true; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "postgres-down: unknown option $1" >&2; exit 2 ;;
  esac
done

bin=/usr/lib/postgresql/15/bin
data="$root/data"

as_postgres() {
  if [[ "$(id -un)" == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

if [[ -x "$bin/pg_ctl" && -f "$data/PG_VERSION" ]] && as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  echo "postgres-down: stopping $data" >&2
  as_postgres "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2
else
  echo "postgres-down: not running ($data)" >&2
fi

if $purge; then
  echo "postgres-down: removing $root" >&2
  rm -rf "$root"
fi
