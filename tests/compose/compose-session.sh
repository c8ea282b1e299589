#!/usr/bin/env bash
# docker-compose.yml brought up for real with Debian's docker-compose (the Docker driver, images of
# deploy/images/cluster/build.sh): waits until both gateways see the agent alive, then runs
# tests/smoke/curl-session.sh (create → RUNNING → list → delete → TERMINATED) through gateway 1, checks the session
# through gateway 2 and that its container is gone, and always takes the whole deployment down (volumes too).
# Needs DOCKER_HOST (the engine compose and the agent use) and the images; its own compose project name and
# loopback ports, so it leaves every other container alone.
set -euo pipefail
cd "$(dirname "$0")/../.."

export DOCKER_HOST="${DOCKER_HOST:?set DOCKER_HOST}"
export COMPOSE_PROJECT_NAME="granary-compose-test"
export GRANARY_DOCKER_SOCKET="${DOCKER_HOST#unix://}"
export GRANARY_ADMIN_KEY="compose-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export GRANARY_GATEWAY_1_PORT="${GRANARY_GATEWAY_1_PORT:-18180}" GRANARY_GATEWAY_2_PORT="${GRANARY_GATEWAY_2_PORT:-18181}"
# Apps are not opened here: published on the engine host's loopback (its default bridge may not exist).
export GRANARY_PUBLISH_HOST="${GRANARY_PUBLISH_HOST:-127.0.0.1}"
export GRANARY_FOLDERS="${GRANARY_FOLDERS:-$(mktemp -d /tmp/granary-compose-folders.XXXXXX)}"
logs="${GRANARY_COMPOSE_LOGS:-.test-results/compose.log}"
mkdir -p "$(dirname "$logs")"
gw1="http://127.0.0.1:$GRANARY_GATEWAY_1_PORT" gw2="http://127.0.0.1:$GRANARY_GATEWAY_2_PORT"

fail() { echo "FAIL: $*" >&2; exit 1; }
down() {
  docker-compose logs --no-color >"$logs" 2>&1 || true
  docker-compose down -v --remove-orphans >/dev/null 2>&1 || echo "compose down failed (see docker ps -a)" >&2
  # The firewall session-firewall installed on this host, unless another deployment's session bridges are left.
  docker run --rm --network host --userns host --cap-add NET_ADMIN granary/silo:dev firewall remove || echo "removing the session firewall failed" >&2
  rm -rf "$GRANARY_FOLDERS"
}
trap down EXIT

command -v docker-compose >/dev/null || fail "docker-compose is not installed (apt-get install docker-compose)"
for image in granary/silo:dev granary/gateway:dev granary/postgres:15 granary/python:3.11; do
  docker image inspect "$image" >/dev/null 2>&1 || fail "image $image missing (deploy/images/cluster/build.sh, deploy/images/build.sh)"
done

echo "docker-compose up (project $COMPOSE_PROJECT_NAME)"
docker-compose up -d

# alive GATEWAY: the gateway lists the compose agent's node as alive and reaches a manager's grains (the session
# list); until then it answers 503, which a client retries.
alive() {
  curl -sf -H "Authorization: Bearer $GRANARY_ADMIN_KEY" "$1/v1/agents" 2>/dev/null \
    | python3 -c 'import json,sys; sys.exit(0 if any(a["id"] == "compose-node-1" and a["status"] == "alive" for a in json.load(sys.stdin)) else 1)' 2>/dev/null \
    && curl -sf -o /dev/null -H "Authorization: Bearer $GRANARY_ADMIN_KEY" "$1/v1/sessions"
}
deadline=$((SECONDS + 300))
until alive "$gw1" && alive "$gw2"; do
  (( SECONDS < deadline )) || { docker-compose ps; docker-compose logs --tail 40 --no-color; fail "the agent is not alive, or sessions not listed, through both gateways after 300 s"; }
  sleep 2
done
echo "both gateways see compose-node-1 alive and list sessions after ${SECONDS} s"

# While the session runs, the Docker host must refuse its connections (the session firewall, which session-firewall
# installs in the host's namespace).
out="$(SMOKE_IMAGE=granary/python:3.11 SMOKE_WHILE_RUNNING="bash tests/compose/host-closed-from-session.sh" \
  bash tests/smoke/curl-session.sh "$gw1" "$GRANARY_ADMIN_KEY")" || { echo "$out"; fail "session through gateway 1"; }
echo "$out"
id="$(sed -n 's/^  created \([^ ]*\) .*/\1/p' <<<"$out")"
[[ -n "$id" ]] || fail "no session id in the smoke output"
status="$(curl -sf -H "Authorization: Bearer $GRANARY_ADMIN_KEY" "$gw2/v1/sessions/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
[[ "$status" == TERMINATED ]] || fail "gateway 2 sees session $id as $status, not TERMINATED"
left="$(docker ps -aq --filter "label=granary.session=$id" | wc -l)"
[[ "$left" -eq 0 ]] || fail "session $id left $left container(s)"

echo "OK: compose deployment: session $id created through gateway 1, RUNNING, deleted, TERMINATED through gateway 2, no container left; the host is closed to sessions"
