#!/usr/bin/env bash
# Starts Granary all-in-one: the gateway (REST API, web UI) and a silo with both roles (manager and agent)
# in one process. Extra arguments pass through to the gateway, e.g. --urls http://0.0.0.0:8080 or
# --Granary:Agent:Driver=simulated.
#
#   GRANARY_HTTP_PORT     port to listen on (default 8080)
#   GRANARY_HTTP_HOST     address to bind (default 127.0.0.1)
#   GRANARY_ADMIN_KEY     use this admin API key instead of the generated one
#   GRANARY_AGENT_DRIVER  container runtime of the built-in agent: docker (default) or simulated
#   GRANARY_DATA_DIR      where the generated admin key and the storage folders live (default ./.run/data)
set -euo pipefail
cd "$(dirname "$0")"

port="${GRANARY_HTTP_PORT:-8080}"
host="${GRANARY_HTTP_HOST:-127.0.0.1}"

echo "Building Granary (Release) ..."
dotnet build gateway/Granary.Gateway.csproj -c Release --nologo -v quiet -clp:ErrorsOnly

data="${GRANARY_DATA_DIR:-$PWD/.run/data}"
export Granary__DataDirectory="$data"
export Granary__Folders__Root="${Granary__Folders__Root:-$data/folders}"
if [[ -n "${GRANARY_ADMIN_KEY:-}" ]]; then
  export Granary__Auth__AdminKey="$GRANARY_ADMIN_KEY"
fi
driver="${GRANARY_AGENT_DRIVER:-docker}"
export Granary__Agent__Driver="$driver"
if [[ "$driver" == docker ]]; then
  # Real sessions: use the Docker engine at DOCKER_HOST when it answers, else install docker.io if missing and
  # start a private dockerd (own socket and data root); then build the environment images when absent.
  if [[ -z "${DOCKER_HOST:-}" ]] || ! command -v docker >/dev/null 2>&1 || ! docker -H "$DOCKER_HOST" info >/dev/null 2>&1; then
    docker_env="$(bash deploy/scripts/docker-up.sh)"
    export "$(grep -E '^DOCKER_HOST=' <<<"$docker_env" | tail -n 1)"
  fi
  DOCKER_HOST="$DOCKER_HOST" bash deploy/images/build.sh
  export Granary__Agent__Docker__Endpoint="$DOCKER_HOST"
  # The node offers this machine's CPUs and memory, and the GPUs NVML finds (none without a driver).
  export Granary__Agent__Nodes__0__CpuCores="${Granary__Agent__Nodes__0__CpuCores:-$(nproc)}"
  export Granary__Agent__Nodes__0__Memory="${Granary__Agent__Nodes__0__Memory:-$(awk '/MemTotal/ {print $2 "k"}' /proc/meminfo)}"
  export Granary__Agent__Gpus__Discovery="${Granary__Agent__Gpus__Discovery:-nvml}"
fi

echo "Granary all-in-one: http://$host:$port/ (web UI), http://$host:$port/v1 (REST API), http://$host:$port/openapi/v1.json"
if [[ -n "${GRANARY_ADMIN_KEY:-}" ]]; then
  echo "Admin API key: $GRANARY_ADMIN_KEY (from GRANARY_ADMIN_KEY)"
fi

# The content root is the gateway's source folder: its appsettings.json and wwwroot (the web UI).
exec dotnet gateway/bin/Release/net10.0/granary-gateway.dll --contentRoot "$PWD/gateway" --urls "http://$host:$port" "$@"
