#!/usr/bin/env bash
# Starts Granary's private Docker daemon (own socket, data root, exec root, pid file) and prints
# DOCKER_HOST=unix://… on its last line. Idempotent: reuses a private daemon that already answers.
# Installs docker.io with apt-get when dockerd is missing.
#   GRANARY_DOCKER_DIR   where the daemon keeps everything (default /var/lib/granary/docker);
#                        images persist there across runs on the same machine.
#   GRANARY_DOCKERD_ARGS dockerd flags (default "--userns-remap=default": container uid N is host uid 100000+N,
#                        so root in a session is not root on the host; set it empty for an engine without user
#                        namespaces, as an MPS node needs, or add "--bridge=none" for a second daemon beside the
#                        first). A running daemon started with other flags is restarted (its containers stop);
#                        with the same flags it is reused. Images live per mapping: a remapped engine keeps its
#                        own under the data root's 100000.100000, and deploy/images/build.sh fills it.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/dockerd-common.sh"
sock="$dir/docker.sock"
log="$dir/dockerd.log"
host="unix://$sock"

answers() { DOCKER_HOST="$host" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  echo "docker-up: installing docker.io" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends docker.io >&2
fi

mkdir -p "$dir/data" "$dir/exec"
extra="${GRANARY_DOCKERD_ARGS---userns-remap=default}"
argsfile="$dir/dockerd.args"

if [ -S "$sock" ] && answers && [ "$(cat "$argsfile" 2>/dev/null || true)" != "$extra" ] && [ -f "$pidfile" ]; then
  old="$(cat "$pidfile")"
  echo "docker-up: the private dockerd (pid $old) runs with flags '$(cat "$argsfile" 2>/dev/null || true)', not '$extra'; restarting it" >&2
  if live_dockerd "$old"; then
    kill -TERM "$old"
    for _ in $(seq 1 60); do live_dockerd "$old" || break; sleep 0.5; done
  fi
  rm -f "$pidfile" "$sock"
fi

if [ -S "$sock" ] && answers; then
  echo "docker-up: reusing the private dockerd at $sock (pid $(cat "$pidfile" 2>/dev/null || echo '?'))" >&2
  echo "DOCKER_HOST=$host"
  exit 0
fi

# A stale pid file or socket from a daemon that died: clear them (only if that pid is not a live dockerd).
if [ -f "$pidfile" ]; then
  old="$(cat "$pidfile")"
  if live_dockerd "$old"; then
    echo "docker-up: dockerd pid $old exists but does not answer on $sock; waiting for it" >&2
  else
    rm -f "$pidfile" "$sock"
  fi
fi

if [ ! -f "$pidfile" ]; then
  # setsid: the daemon must outlive this script and the shell that ran it.
  echo "$extra" >"$argsfile"
  # shellcheck disable=SC2086 # the extra flags are words
  setsid dockerd \
    -H "$host" \
    --data-root "$dir/data" \
    --exec-root "$dir/exec" \
    --pidfile "$pidfile" \
    $extra \
    >>"$log" 2>&1 </dev/null &
fi

for _ in $(seq 1 120); do
  if [ -S "$sock" ] && answers; then
    echo "docker-up: private dockerd ready at $sock (pid $(cat "$pidfile"), log $log)" >&2
    echo "DOCKER_HOST=$host"
    exit 0
  fi
  sleep 0.5
done

echo "docker-up: dockerd did not answer on $sock within 60 s; last log lines:" >&2
tail -n 30 "$log" >&2 || true
exit 1
