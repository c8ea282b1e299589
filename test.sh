#!/usr/bin/env bash
# Runs every Granary test: installs and starts what the tests need (PostgreSQL, a private dockerd,
# the kernel images, Chromium), runs each test project, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
RESULTS="$ROOT/.test-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\n== %s\n' "$*"; }

cleanup() {
  bash deploy/scripts/docker-down.sh >/dev/null 2>&1 || true
  bash deploy/scripts/postgres-down.sh >/dev/null 2>&1 || true
}
trap cleanup EXIT

setup_failures=0
setup() { # name, command...: a failed setup step counts as a failure and the run goes on
  local name=$1; shift
  log "setup: $name"
  if ! "$@"; then echo "setup step '$name' failed"; setup_failures=$((setup_failures + 1)); return 1; fi
}

start_postgres() { local out; out=$(bash deploy/scripts/postgres-up.sh) && eval "$(grep -E '^export ' <<<"$out")"; }
start_docker() { local out; out=$(bash deploy/scripts/docker-up.sh) && export "$(grep -E '^DOCKER_HOST=' <<<"$out" | tail -n 1)"; }
setup postgres start_postgres
setup docker start_docker
setup images bash deploy/images/build.sh
setup browser bash deploy/scripts/browser-up.sh

log "build"
if ! dotnet build Cluster.sln -c Release -nologo -v q; then
  echo "0 passed, 1 failed"
  exit 1
fi

projects=(tests/Granary.UnitTests tests/Granary.ClusterTests tests/Granary.GatewayTests tests/Granary.PlatformTests tests/Granary.IntegrationTests)
crashed=0
for project in "${projects[@]}"; do
  [ -d "$project" ] || { echo "missing test project $project"; crashed=$((crashed + 1)); continue; }
  name=$(basename "$project")
  log "test: $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$RESULTS/$name.trx" --logger "console;verbosity=normal" \
    || true
  [ -f "$RESULTS/$name.trx" ] || { echo "$name produced no results"; crashed=$((crashed + 1)); }
done

log "summary"
passed=0; failed=0
for trx in "$RESULTS"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters"); t=$(sed -n 's/.* timeout="\([0-9]*\)".*/\1/p' <<<"$counters")
  a=$(sed -n 's/.* aborted="\([0-9]*\)".*/\1/p' <<<"$counters")
  echo "$(basename "$trx" .trx): ${p:-0} passed, $(( ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0} )) failed"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
done
failed=$((failed + crashed + setup_failures))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
