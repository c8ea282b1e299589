# Sourced by docker-up.sh and docker-down.sh: where Granary's private Docker daemon lives, and how to tell it runs.

dir="${GRANARY_DOCKER_DIR:-/var/lib/granary/docker}"
pidfile="$dir/dockerd.pid"

# A live dockerd with that pid (a killed daemon may linger as a zombie until its parent reaps it).
live_dockerd() {
  local pid="$1" state
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state="$(awk '{ print $3 }' "/proc/$pid/stat")"
  [ "$state" != Z ] && grep -qx dockerd "/proc/$pid/comm"
}
