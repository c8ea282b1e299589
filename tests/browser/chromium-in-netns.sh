#!/usr/bin/env bash
# Chromium in a network namespace of its own that reaches the host only through the ports named in
# GRANARY_BROWSER_PORTS (each forwarded over a unix socket). Playwright starts this as the browser (executablePath)
# and drives it over the pipes it inherits.
# Why: Chromium fails every request in flight with net::ERR_NETWORK_CHANGED when an address of its network namespace
# changes, and the private dockerd adds and removes a bridge and veths whenever a session under test starts or stops
# (CI, 2026-12-04: a notebook's POST in the Jupyter test). A person's browser is on another machine and never sees
# those; in a namespace with only its loopback, this one does not either.
set -euo pipefail
: "${GRANARY_BROWSER_PORTS:?name the host ports the browser may reach, e.g. GRANARY_BROWSER_PORTS=18090}"
chromium=${GRANARY_CHROMIUM_BINARY:-/usr/bin/chromium}

# A wrapper killed with its process group (Playwright's last resort) leaves its namespace: remove those first.
for stale in $(ip netns list | sed -n 's/^\(granary-browser-[0-9]*\).*/\1/p'); do
  kill -0 "${stale#granary-browser-}" 2>/dev/null || ip netns delete "$stale"
done

ns=granary-browser-$$
sockets=$(mktemp -d)
forwarders=()
cleanup() {
  [ ${#forwarders[@]} -eq 0 ] || kill "${forwarders[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns delete "$ns" 2>/dev/null || true
  rm -rf "$sockets"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up

for port in ${GRANARY_BROWSER_PORTS//,/ }; do
  socat UNIX-LISTEN:"$sockets/$port.sock",fork TCP:127.0.0.1:"$port" &
  forwarders+=($!)
  ip netns exec "$ns" socat TCP-LISTEN:"$port",bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:"$sockets/$port.sock" &
  forwarders+=($!)
done
for port in ${GRANARY_BROWSER_PORTS//,/ }; do
  for attempt in $(seq 1 50); do
    [ -S "$sockets/$port.sock" ] && ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && break
    [ "$attempt" -lt 50 ] || { echo "chromium-in-netns: port $port not forwarded after 5 s" >&2; exit 1; }
    sleep 0.1
  done
done

ip netns exec "$ns" "$chromium" "$@"
