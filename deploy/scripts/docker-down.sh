#!/usr/bin/env bash
# Stops Granary's private Docker daemon started by docker-up.sh. Keeps its data root (the image cache).
set -euo pipefail

dir="${GRANARY_DOCKER_DIR:-/var/lib/granary/docker}"
pidfile="$dir/dockerd.pid"

# A live dockerd with that pid (a killed daemon may linger as a zombie until its parent reaps it).
live_dockerd() {
  local pid="$1" state
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state="$(awk '{ print $3 }' "/proc/$pid/stat")"
  [ "$state" != Z ] && grep -qx dockerd "/proc/$pid/comm"
}

if [ ! -f "$pidfile" ]; then
  echo "docker-down: no private dockerd ($pidfile absent)" >&2
  exit 0
fi

pid="$(cat "$pidfile")"
if ! live_dockerd "$pid"; then
  echo "docker-down: dockerd pid $pid is not running; removing stale pid file" >&2
  rm -f "$pidfile" "$dir/docker.sock"
  exit 0
fi

kill -TERM "$pid"
for _ in $(seq 1 60); do
  if ! live_dockerd "$pid"; then
    echo "docker-down: dockerd pid $pid stopped" >&2
    exit 0
  fi
  sleep 0.5
done
echo "docker-down: dockerd pid $pid did not stop within 30 s; killing it" >&2
kill -KILL "$pid" 2>/dev/null || true
rm -f "$pidfile" "$dir/docker.sock"
