#!/usr/bin/env bash
# From inside a running session the Docker host is closed (the session firewall): a listener on every host address
# is refused when the session connects to it through its network's gateway, which is one of the host's addresses.
# Without the firewall the connection opens. Usage: host-closed-from-session.sh SESSION_ID (needs DOCKER_HOST).
# Run by compose-session.sh through tests/smoke/curl-session.sh's SMOKE_WHILE_RUNNING.
set -euo pipefail
id="${1:?usage: $0 SESSION_ID}"
port="${GRANARY_COMPOSE_PROBE_PORT:-18189}"

python3 -c 'import socket, sys, time
server = socket.create_server(("0.0.0.0", int(sys.argv[1])))
server.settimeout(1)
end = time.time() + 120
while time.time() < end:
    try:
        server.accept()[0].close()
    except TimeoutError:
        pass' "$port" &
listener=$!
trap 'kill "$listener" 2>/dev/null || true' EXIT
# Listening before the probe, so that "refused" can only come from the firewall.
for _ in $(seq 1 50); do
  python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$port" 2>/dev/null && break
  sleep 0.1
done

container="$(docker ps -q --filter "label=granary.session=$id")"
[[ -n "$container" ]] || { echo "FAIL: no container of session $id" >&2; exit 1; }
outcome="$(docker exec "$container" python3 -c 'import socket, struct, sys
routes = [line.split() for line in open("/proc/net/route").readlines()[1:]]
gateway = next(socket.inet_ntoa(struct.pack("<L", int(r[2], 16))) for r in routes if r[1] == "00000000")
try:
    socket.create_connection((gateway, int(sys.argv[1])), timeout=5).close()
    print("open", gateway)
except ConnectionRefusedError:
    print("refused", gateway)
except OSError as error:
    print("error", gateway, error)' "$port" 2>&1)" || true
echo "from inside session $id, the host's port $port on the session's gateway: $outcome"
[[ "$outcome" == refused* ]] || { echo "FAIL: a session reached (or could not be refused by) the Docker host: $outcome" >&2; exit 1; }
