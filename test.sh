#!/usr/bin/env bash
# Runs every Granary test: installs and starts what the tests need (PostgreSQL, a private dockerd,
# the kernel images, Chromium), runs each test project, and ends with "N passed, N failed".
# ./test.sh --fast: the day-to-day lane, build plus the unit, cluster and gateway tests (no dockerd,
# PostgreSQL, images or Chromium), with the same closing line.
set -uo pipefail
cd "$(dirname "$0")"
fast=false
case "${1:-}" in
  --fast) fast=true ;;
  "") ;;
  *) echo "usage: $0 [--fast]" >&2; exit 2 ;;
esac
ROOT=$PWD
RESULTS="$ROOT/.test-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\n== %s\n' "$*"; }

cleanup() {
  bash deploy/scripts/docker-down.sh >/dev/null 2>&1 || true
  bash deploy/scripts/postgres-down.sh >/dev/null 2>&1 || true
}
$fast || trap cleanup EXIT

setup_failures=0
setup() { # name, command...: a failed setup step counts as a failure and the run goes on
  local name=$1; shift
  log "setup: $name"
  if ! "$@"; then echo "setup step '$name' failed"; setup_failures=$((setup_failures + 1)); return 1; fi
}

start_postgres() { local out; out=$(bash deploy/scripts/postgres-up.sh) && eval "$(grep -E '^export ' <<<"$out")"; }
start_docker() { local out; out=$(bash deploy/scripts/docker-up.sh) && export "$(grep -E '^DOCKER_HOST=' <<<"$out" | tail -n 1)"; }
# The private dockerd keeps its containers across runs: a run killed midway (a reboot) leaves session containers
# behind, which the leak check at the end would blame on this run. Remove them first, and say so.
remove_earlier_leftovers() {
  local ids; ids=$(docker ps -aq --filter label=granary.session) || return 1
  if [ -n "$ids" ]; then
    echo "removing $(wc -l <<<"$ids") session container(s) an earlier run left:"
    docker ps -a --filter label=granary.session --format '  {{.Names}} created {{.CreatedAt}} {{.Status}}'
    xargs -r docker rm -f <<<"$ids" >/dev/null || return 1
  fi
  ids=$(docker network ls -q --filter label=granary.session-network) || return 1
  [ -z "$ids" ] || xargs -r docker network rm <<<"$ids" >/dev/null
}
if ! $fast; then
  setup postgres start_postgres
  setup docker start_docker && setup "docker: no session containers from an earlier run" remove_earlier_leftovers
  setup images bash deploy/images/build.sh
  setup browser bash deploy/scripts/browser-up.sh
  setup docker-compose bash -c 'command -v docker-compose >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose; }'
fi

log "build"
if ! dotnet build Cluster.sln -c Release -nologo -v q; then
  echo "0 passed, 1 failed"
  exit 1
fi

projects=(tests/Granary.UnitTests tests/Granary.ClusterTests tests/Granary.GatewayTests tests/Granary.CliTests tests/Granary.PlatformTests tests/Granary.IntegrationTests tests/Granary.ClusterProcessTests)
# The fast lane: the projects that need no service (a test project added above that needs none goes here too).
$fast && projects=(tests/Granary.UnitTests tests/Granary.ClusterTests tests/Granary.GatewayTests tests/Granary.CliTests)
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

e2e_passed=0; e2e_failed=0
e2e() { # name, command...: one end-to-end check, counted like a test
  local name=$1; shift
  log "e2e: $name"
  if "$@"; then e2e_passed=$((e2e_passed + 1)); echo "e2e $name: passed"
  else e2e_failed=$((e2e_failed + 1)); echo "e2e $name: FAILED"; fi
}
# The style the .editorconfig settles (the build already fails on its rules; this catches what only the
# formatter sees). The full lane only: it takes minutes on this machine.
$fast || e2e "code format (dotnet format --verify-no-changes)" dotnet format Cluster.sln --verify-no-changes --no-restore -v q

# The soak's short version (the full lane only): clients create sessions on the Docker driver with PostgreSQL, use
# them (terminal, Jupyter through the proxy) and delete them for 3 minutes while the agent silo is killed and
# restarted; it fails on a 5xx other than 503, an unanswered request or anything leaked. The 30-minute run is
# documented in the README (Soak).
soak() {
  dotnet tests/benchmarks/Granary.Benchmarks.Soak/bin/Release/net10.0/Granary.Benchmarks.Soak.dll \
    --minutes 3 --clients 2 --restart-every-seconds 60 --logs "$RESULTS/soak"
}
$fast || e2e "soak: 3 minutes of sessions with agent restarts, nothing leaked" soak

# The deployment benchmark's short version (the full lane only): separate processes on PostgreSQL, sessions through
# REST to RUNNING; it fails when any session fails (a 5xx, or not RUNNING in time). Figures: README (Throughput of
# a deployment).
$fast || e2e "deployment benchmark: 200 sessions through REST on PostgreSQL, none failed" \
  dotnet tests/benchmarks/Granary.Benchmarks.Deployment/bin/Release/net10.0/Granary.Benchmarks.Deployment.dll \
    --nodes 100 --sessions 100 --runs 1 --warmup 0 --rate 50 --synchronous-commit on

# The browser tests' Chromium runs in a network namespace of its own that sees none of dockerd's interface changes
# (which abort its requests in flight with net::ERR_NETWORK_CHANGED); see the wrapper.
browser_in_netns=(GRANARY_CHROMIUM="$PWD/tests/browser/chromium-in-netns.sh")

end_to_end() { # the full lane only
log "end-to-end: the all-in-one (./run.sh, Docker driver) driven by curl and by Chromium"
e2e_port=18090
e2e_key="e2e-admin-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
e2e_base="http://127.0.0.1:$e2e_port"
GRANARY_HTTP_PORT=$e2e_port GRANARY_ADMIN_KEY=$e2e_key GRANARY_DATA_DIR="$RESULTS/e2e-data" \
  ./run.sh >"$RESULTS/run.log" 2>&1 &
e2e_pid=$!
up() { for _ in $(seq 1 300); do curl -sf "$e2e_base/healthz" >/dev/null 2>&1 && return 0; kill -0 "$e2e_pid" 2>/dev/null || break; sleep 1; done; tail -n 30 "$RESULTS/run.log"; return 1; }
# A delete stops the container gracefully: Docker waits up to the agent's StopGrace (10 s) for SIGTERM to end it,
# so the last session deleted may still be stopping. Anything still there after 30 s has leaked.
no_leaked_containers() {
  local left
  for _ in $(seq 1 30); do
    left=$(docker ps -aq --filter label=granary.session 2>/dev/null | wc -l)
    [ "$left" -eq 0 ] && break; sleep 1
  done
  echo "containers left with a granary.session label: $left"
  docker ps -a --filter label=granary.session --format '{{.Names}} {{.Status}} session={{.Label "granary.session"}}'
  [ "$left" -eq 0 ]
}
if e2e "all-in-one starts" up; then
  e2e "curl session create → RUNNING → list → delete → TERMINATED" env SMOKE_IMAGE=granary/python:3.11 bash tests/smoke/curl-session.sh "$e2e_base" "$e2e_key"
  e2e "CLI session ssh: the real ssh with the session's key, exit code passed through" bash tests/cli/session-ssh.sh "$e2e_base" "$e2e_key"
  e2e "web UI workflow: START, terminal and Jupyter on the app origin, attacker page, key, trash, axe" \
    env SCREENSHOTS="$RESULTS/ui-workflow" "${browser_in_netns[@]}" GRANARY_BROWSER_PORTS=$e2e_port node tests/browser/ui-workflow.js "$e2e_base" "$e2e_key"
  e2e "Jupyter cell and web terminal through the app proxy" \
    env "${browser_in_netns[@]}" GRANARY_BROWSER_PORTS=$e2e_port node tests/e2e/jupyter-and-terminal.js "$e2e_base" "$e2e_key"
  e2e "no container leaked" no_leaked_containers
fi
kill "$e2e_pid" 2>/dev/null; wait "$e2e_pid" 2>/dev/null
}
$fast || end_to_end

compose_deployment() { # the full lane only: docker-compose.yml for real (images from this build, the Docker driver)
if e2e "compose: silo, gateway and PostgreSQL images (deploy/images/cluster/build.sh)" bash deploy/images/cluster/build.sh; then
  e2e "compose: docker-compose up, a session through gateway 1, seen through gateway 2, down" \
    env GRANARY_COMPOSE_LOGS="$RESULTS/compose.log" bash tests/compose/compose-session.sh
fi
}
$fast || compose_deployment

# The CLI as a .NET tool: packed, installed with --tool-path from the local package, `granary --help` lists the verbs
# (the full lane does this in web_pages, where the installed granary also runs every verb against an all-in-one).
$fast && e2e "CLI installs as a .NET tool (dotnet pack, tool install --tool-path, granary --help)" bash tests/cli/tool-install.sh

# The web UI: its JavaScript type-checked, and every page (simulated GPUs: an fGPU launch) with axe-core and
# screenshots at 1280 and 390 px kept in .test-results/ui.
web_typecheck() { (cd gateway && npm install --no-audit --no-fund --silent && npx tsc --noEmit -p tsconfig.json); }
e2e "web UI type-checks (tsc --noEmit, checkJs)" web_typecheck
web_pages() { # the full lane only: needs Chromium
ui_port=18091
ui_base="http://127.0.0.1:$ui_port"
GRANARY_HTTP_PORT=$ui_port GRANARY_ADMIN_KEY=$e2e_key GRANARY_DATA_DIR="$RESULTS/ui-data" GRANARY_AGENT_DRIVER=simulated \
  ./run.sh --Granary:SiloPort=11191 --Granary:GatewayPort=30091 >"$RESULTS/run-ui.log" 2>&1 &
ui_pid=$!
ui_up() { for _ in $(seq 1 300); do curl -sf "$ui_base/healthz" >/dev/null 2>&1 && return 0; kill -0 "$ui_pid" 2>/dev/null || break; sleep 1; done; tail -n 30 "$RESULTS/run-ui.log"; return 1; }
if e2e "all-in-one with simulated GPUs starts" ui_up; then
  e2e "web UI pages: fGPU launch, pending reason, admin pages, axe, screenshots" \
    env SCREENSHOTS="$RESULTS/ui" "${browser_in_netns[@]}" GRANARY_BROWSER_PORTS=$ui_port node tests/browser/ui-pages.js "$ui_base" "$e2e_key"
  e2e "CLI installed as a .NET tool: every verb against the all-in-one, --json parsed, exit codes" bash tests/cli/tool-install.sh "$ui_base" "$e2e_key"
fi
kill "$ui_pid" 2>/dev/null; wait "$ui_pid" 2>/dev/null
}
$fast || web_pages

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
# The failed tests by name, with the first line of each message: CI shows only the tail of this output.
for trx in "$RESULTS"/*.trx; do
  [ -f "$trx" ] || continue
  python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") not in ("Passed", "NotExecuted"):
        message = r.findtext("t:Output/t:ErrorInfo/t:Message", "", ns).strip().splitlines()
        print(f"FAILED {r.get('testName')} ({r.get('duration')}): {message[0][:300] if message else ''}")
PY
done
echo "end-to-end: $e2e_passed passed, $e2e_failed failed"
passed=$((passed + e2e_passed)); failed=$((failed + e2e_failed + crashed + setup_failures))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
