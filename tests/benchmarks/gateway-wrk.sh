#!/usr/bin/env bash
# Gateway load with wrk, side by side with a bare ASP.NET Core app on the same machine:
# requests/s and p99 of GET /v1/sessions/{id}, GET /v1/sessions (100 sessions) and POST /v1/sessions (concurrent
# creates), for the all-in-one gateway (simulated agent, so only the gateway, grains and scheduler are measured)
# and for tests/benchmarks/Granary.Benchmarks.Bare (the same routes and JSON shape, no auth, no grains).
# Each case runs N rounds, each against both, interleaved; the medians over the rounds and their ratio are printed.
#
#   tests/benchmarks/gateway-wrk.sh [--rounds N] [--seconds S] [--connections C]   (defaults 3, 10, 32)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=3; seconds=10; connections=32
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--connections C]" >&2; exit 2 ;;
  esac
done

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2 || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2; }
fi
dotnet build gateway/Granary.Gateway.csproj -c Release -nologo -v q -clp:ErrorsOnly >&2
dotnet build tests/benchmarks/Granary.Benchmarks.Bare -c Release -nologo -v q -clp:ErrorsOnly >&2

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
work=$(mktemp -d /tmp/granary-wrk-XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

admin="wrk-admin-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
gport=$(free_port); bport=$(free_port)
gateway="http://127.0.0.1:$gport"; bare="http://127.0.0.1:$bport"
Granary__Auth__AdminKey=$admin Granary__DataDirectory=$work/data Granary__Folders__Root=$work/data/folders \
  Granary__Agent__Driver=simulated Granary__Agent__Simulated__StartDelay=00:00:00 \
  Granary__Agent__Nodes__0__CpuCores=1000000 Granary__Agent__Nodes__0__Memory=1000000g \
  Granary__SiloPort=$(free_port) Granary__GatewayPort=$(free_port) \
  Granary__RateLimit__PermitsPerSecond=10000000 Granary__RateLimit__Burst=10000000 \
  Logging__LogLevel__Default=Warning \
  dotnet gateway/bin/Release/net10.0/granary-gateway.dll --contentRoot "$PWD/gateway" --urls "$gateway" >"$work/gateway.log" 2>&1 &
pids+=($!)
dotnet tests/benchmarks/Granary.Benchmarks.Bare/bin/Release/net10.0/Granary.Benchmarks.Bare.dll --urls "$bare" >"$work/bare.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do curl -sf "$gateway/readyz" >/dev/null 2>&1 && curl -sf "$bare/v1/sessions" >/dev/null 2>&1 && break; sleep 1; done
curl -sf "$gateway/readyz" >/dev/null || { tail -n 30 "$work/gateway.log"; echo "the gateway did not become ready" >&2; exit 1; }

# A user with 100 running sessions for the reads, and another for the creates (so the list stays at 100).
new_user() { curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "{\"name\":\"$1\"}" "$gateway/v1/users" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'; }
key=$(new_user wrk); create_key=$(new_user wrk-create)
body='{"image":"python:3.11","resources":{"cpu":0.25,"memory":"256m"}}'
for i in $(seq 1 100); do
  curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$body" "$gateway/v1/sessions" >"$work/created.json"
done
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/created.json")
for _ in $(seq 1 120); do
  running=$(curl -sf -H "Authorization: Bearer $key" "$gateway/v1/sessions?status=RUNNING" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$running" -ge 100 ] && break; sleep 1
done
[ "$running" -ge 100 ] || { echo "only $running of 100 sessions are RUNNING" >&2; exit 1; }
cat >"$work/create.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

# One wrk run: prints "requests/s p99-ms non-2xx".
measure() { # key, url, [lua script]
  local out; out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $1" ${3:+-s "$3"} "$2")
  python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
errors = re.search(r"Socket errors: (.*)", out)
print(f"{rps:.0f} {p99:.2f} {int(bad.group(1)) if bad else 0}{' socket errors: ' + errors.group(1) if errors else ''}")
PY
}

cases=("GET /v1/sessions/{id}|$key|/v1/sessions/$id|" "GET /v1/sessions (100)|$key|/v1/sessions|" "POST /v1/sessions|$create_key|/v1/sessions|$work/create.lua")
results="$work/results"
: >"$results"
# Case by case (the creates last, so the thousands of sessions they make do not weigh on the reads), each round
# measuring the gateway and then the bare app.
for case in "${cases[@]}"; do
  for round in $(seq 1 "$rounds"); do
    IFS='|' read -r name case_key path script <<<"$case"
    g=$(measure "$case_key" "$gateway$path" "$script"); b=$(measure "$case_key" "$bare$path" "$script")
    echo "round $round  $name  granary: $g  bare: $b" >&2
    echo "$name|$g|$b" >>"$results"
  done
done

echo
echo "wrk -t2 -c$connections -d${seconds}s, medians of $rounds rounds (granary / bare; ratio = granary req/s ÷ bare req/s)"
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, g, b = line.rstrip("\n").split("|")
    rows.setdefault(name, []).append((g.split(), b.split()))
print(f"{'endpoint':<26}{'granary req/s':>14}{'p99 ms':>9}{'bare req/s':>12}{'p99 ms':>9}{'ratio':>7}{'non-2xx (granary/bare)':>24}")
for name, runs in rows.items():
    g_rps = statistics.median(float(g[0]) for g, _ in runs); g_p99 = statistics.median(float(g[1]) for g, _ in runs)
    b_rps = statistics.median(float(b[0]) for _, b in runs); b_p99 = statistics.median(float(b[1]) for _, b in runs)
    bad = f"{sum(int(g[2]) for g, _ in runs)}/{sum(int(b[2]) for _, b in runs)}"
    print(f"{name:<26}{g_rps:>14.0f}{g_p99:>9.2f}{b_rps:>12.0f}{b_p99:>9.2f}{g_rps / b_rps:>7.2f}{bad:>24}")
PY
