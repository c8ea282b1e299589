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
#   GRANARY_MOCK_GPUS     made-up GPUs for the built-in node: a mock GPU file, or 1 for deploy/gpus/mock-h100.json
#   GRANARY_POSTGRES      a PostgreSQL connection string: a durable all-in-one (clustering, grain storage and
#                         reminders in PostgreSQL; the schema is migrated first). Unset: embedded, in memory
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
  # Real sessions: the Docker engine at DOCKER_HOST, or a private dockerd (docker.io installed when missing),
  # the environment images (built when absent), and a node that is this machine (its CPUs, memory, NVML GPUs).
  eval "$(GRANARY_FOLDERS_ROOT="$Granary__Folders__Root" bash deploy/scripts/docker-agent-env.sh)"
fi

if [[ -n "${GRANARY_MOCK_GPUS:-}" ]]; then
  mock="$GRANARY_MOCK_GPUS"
  [[ "$mock" == 1 ]] && mock="$PWD/deploy/gpus/mock-h100.json"
  export Granary__Agent__Gpus__Discovery=mock Granary__Agent__Gpus__MockFile="$mock"
  echo "GPUs: made up, from $mock (shown as mock in the API)"
fi

echo "Granary all-in-one: http://$host:$port/ (web UI), http://$host:$port/v1 (REST API), http://$host:$port/openapi/v1.json"
if [[ -n "${GRANARY_ADMIN_KEY:-}" ]]; then
  echo "Admin API key: from GRANARY_ADMIN_KEY"
fi

# The content root is the gateway's source folder: its appsettings.json and wwwroot (the web UI).
if [[ -n "${GRANARY_POSTGRES:-}" ]]; then
  echo "GRANARY_POSTGRES is set: sessions, users and keys are kept in PostgreSQL"
  dotnet silo/bin/Release/net10.0/granary-silo.dll migrate || exit 1
fi
exec dotnet gateway/bin/Release/net10.0/granary-gateway.dll --contentRoot "$PWD/gateway" --urls "http://$host:$port" "$@"
