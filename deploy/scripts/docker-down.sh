#!/usr/bin/env bash
# Stops Granary's private Docker daemon started by docker-up.sh. Keeps its data root (the image cache).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/dockerd-common.sh"

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
