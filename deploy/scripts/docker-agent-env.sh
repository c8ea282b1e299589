#!/usr/bin/env bash
# Makes this machine ready to run real sessions with the all-in-one's built-in agent, and prints the
# environment the gateway (or granary-silo) needs, as `export` lines to eval:
#   1. the Docker engine at DOCKER_HOST when one answers there, else the private Docker daemon
#      (docker-up.sh: installs docker.io if missing, reuses a running one);
#   2. the session images (deploy/images/build.sh: cached; seconds when nothing changed);
#   3. the node described as this machine: the Docker driver, all CPU cores, the memory less a reserve
#      for the host, GPUs from NVML (none without an NVIDIA driver; configured fake GPUs are dropped),
#      storage folders under GRANARY_FOLDERS_ROOT.
# Progress goes to stderr. Usage:  eval "$(bash deploy/scripts/docker-agent-env.sh)"
#   GRANARY_FOLDERS_ROOT     where storage folders live (default /var/lib/granary/folders)
#   GRANARY_HOST_RESERVE_MB  memory kept for the host, not offered to sessions (default 1024)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ -n "${DOCKER_HOST:-}" ] && command -v docker >/dev/null 2>&1 && docker -H "$DOCKER_HOST" info >/dev/null 2>&1; then
  echo "docker-agent-env: using the Docker engine at $DOCKER_HOST" >&2
  docker_host="DOCKER_HOST=$DOCKER_HOST"
else
  docker_host="$(bash "$here/docker-up.sh" | grep '^DOCKER_HOST=' | tail -n 1)"
fi
[ -n "$docker_host" ] || { echo "docker-agent-env: docker-up.sh printed no DOCKER_HOST" >&2; exit 1; }
export "${docker_host?}"
bash "$here/../images/build.sh" >&2

cores="$(nproc)"
total_kb="$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
reserve_kb=$(( ${GRANARY_HOST_RESERVE_MB:-1024} * 1024 ))
[ "$total_kb" -gt $(( reserve_kb * 2 )) ] || reserve_kb=$(( total_kb / 2 ))
memory_bytes=$(( (total_kb - reserve_kb) * 1024 ))
folders="${GRANARY_FOLDERS_ROOT:-/var/lib/granary/folders}"
mkdir -p "$folders"

echo "docker-agent-env: node = this machine: $cores CPU cores, $(( memory_bytes / 1024 / 1024 )) MiB for sessions, GPUs from NVML, folders in $folders" >&2
cat <<ENV
export $docker_host
export Granary__Agent__Driver=docker
export Granary__Agent__Gpus__Discovery=nvml
export Granary__Agent__Nodes__0__CpuCores=$cores
export Granary__Agent__Nodes__0__Memory=$memory_bytes
export Granary__Folders__Root=$folders
ENV
