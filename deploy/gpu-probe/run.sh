#!/usr/bin/env bash
# Proves fGPU enforcement on a GPU node running Granary: launches batch sessions with shares 1.0, 0.5, 0.2 and
# two 0.5 at once, runs gpu-probe in each, and prints share, SMs seen, memory allocatable, kernel time ratio,
# expected values and pass/fail. Exit 0 when every row passes, 1 when one fails, 2 when it could not measure.
#
# usage: deploy/gpu-probe/run.sh BASE_URL ADMIN_KEY
# environment: GPU_PROBE_IMAGE (default granary/python:3.11), GPU_PROBE_CPU (1), GPU_PROBE_MEMORY (4g),
#              GPU_PROBE_TIMEOUT seconds per session (600), GPU_PROBE_START_DELAY seconds until the two 0.5
#              sessions start their timed runs together (90), GPU_PROBE_BIN (a prebuilt gpu-probe; default: built
#              here with gcc, which must then be installed on this machine).
# Needs curl, base64 and, unless GPU_PROBE_BIN is set, gcc. See deploy/gpu-probe/README.md.
set -euo pipefail
base="${1:?usage: run.sh BASE_URL ADMIN_KEY}"
key="${2:?usage: run.sh BASE_URL ADMIN_KEY}"
image="${GPU_PROBE_IMAGE:-granary/python:3.11}"
cpu="${GPU_PROBE_CPU:-1}"
memory="${GPU_PROBE_MEMORY:-4g}"
timeout="${GPU_PROBE_TIMEOUT:-600}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
touch "$work/sessions" # ids of the sessions made (launch runs in a subshell: a file outlives it)

cleanup() {
  while read -r id; do api -X DELETE "/v1/sessions/$id?force=true" >/dev/null 2>&1 || echo "run.sh: could not delete session $id" >&2; done <"$work/sessions"
  rm -rf "$work"
}
trap cleanup EXIT

api() { # curl the API; extra arguments before the path
  local path="${*: -1}"
  curl -sS --fail-with-body -H "Authorization: Bearer $key" "${@:1:$#-1}" "$base$path"
}
field() { { grep -o "\"$1\": *[^,}]*" || true; } | head -n 1 | cut -d: -f2- | sed -e 's/^ *//' -e 's/"//g'; }

probe="${GPU_PROBE_BIN:-}"
if [ -z "$probe" ]; then
  probe="$(bash "$here/build.sh" "$work" | tail -n 1)"
fi
payload="$(base64 -w0 "$probe")"

# fGPU units per device of the first agent with GPUs (a share s is s × fgpuPerGpu fGPU).
agents="$(api /v1/agents)"
per_gpu="$(field fgpuPerGpu <<<"$agents")"
mode="$(field enforcementMode <<<"$agents")"
[ -n "$per_gpu" ] || { echo "run.sh: no agent reports fgpuPerGpu at $base/v1/agents" >&2; exit 2; }
echo "agent enforcement mode: ${mode:-unknown}, fgpuPerGpu: $per_gpu, image: $image"

launch() { # share [probe arguments...] -> session id
  local share=$1; shift
  local resources
  if [ "$share" = "1.0" ]; then
    resources="\"gpu\":1"
  else
    resources="\"fgpu\":$(awk -v s="$share" -v f="$per_gpu" 'BEGIN { printf "%.3f", s * f }')"
  fi
  # The container is removed when its session ends, so the probe's output is read while it sleeps.
  local command="echo $payload | base64 -d > /tmp/gpu-probe && chmod +x /tmp/gpu-probe && /tmp/gpu-probe --share $share $*; sleep $timeout"
  local body="{\"image\":\"$image\",\"type\":\"batch\",\"resources\":{\"cpu\":$cpu,\"memory\":\"$memory\",$resources},\"command\":\"$command\"}"
  local created id
  created="$(api -H 'Content-Type: application/json' -d "$body" /v1/sessions)"
  id="$(field id <<<"$created")"
  [ -n "$id" ] || { echo "run.sh: creating a session failed: $created" >&2; exit 2; }
  echo "$id" >>"$work/sessions"
  echo "$id"
}

result() { # session id -> the probe's JSON line (waits for it)
  local id=$1 deadline=$((SECONDS + timeout)) logs status
  while [ $SECONDS -lt $deadline ]; do
    logs="$(api "/v1/sessions/$id/logs" 2>/dev/null || true)"
    if grep -q '^{"\(device\|error\)"' <<<"$logs"; then
      grep '^{"\(device\|error\)"' <<<"$logs" | tail -n 1
      return 0
    fi
    status="$(api "/v1/sessions/$id" | field status)"
    case "$status" in
      TERMINATED|ERROR|CANCELLED) echo "{\"error\":\"session $id ended ($status) before the probe reported\"}"; return 0 ;;
    esac
    sleep 3
  done
  echo "{\"error\":\"no probe output from session $id in ${timeout}s\"}"
}

rows=()
failed=0
row() { # label json
  local label=$1 json=$2
  if grep -q '"error"' <<<"$json"; then
    rows+=("$(printf '%-12s %s' "$label" "ERROR: $(field error <<<"$json")")")
    failed=1
    return
  fi
  local pass; pass="$(field pass <<<"$json")"
  [ "$pass" = "true" ] || failed=1
  rows+=("$(awk -v l="$label" -v seen="$(field smSeen <<<"$json")" -v total="$(field smTotal <<<"$json")" \
    -v mem="$(field memoryAllocatableBytes <<<"$json")" -v memf="$(field memoryFraction <<<"$json")" \
    -v ratio="$(field timeRatio <<<"$json")" -v share="$(field share <<<"$json")" -v pass="$pass" 'BEGIN {
      printf "%-12s %4d/%-4d %6.1f%%  %8.1f GiB %6.1f%%  %8s   %5.1f%% SMs, <= %5.1f%% mem, %4.2fx   %s",
        l, seen, total, 100 * seen / total, mem / 2^30, 100 * memf, (ratio == "" ? "n/a" : sprintf("%.2fx", ratio)),
        100 * share, 100 * share, 1 / share, (pass == "true" ? "PASS" : "FAIL") }')")
}

echo "share 1.0 (the reference) ..."
whole="$(result "$(launch 1.0)")"
row "1.0" "$whole"
reference="$(field kernelMs <<<"$whole")"
[ -n "$reference" ] || { printf '%s\n' "${rows[@]}"; echo "run.sh: no reference time from the whole GPU" >&2; exit 2; }
for share in 0.5 0.2; do
  echo "share $share ..."
  row "$share" "$(result "$(launch "$share" --reference-ms "$reference")")"
done

echo "two 0.5 at once ..."
start_at=$(( $(date +%s) + ${GPU_PROBE_START_DELAY:-90} ))  # both must be RUNNING by then: their timed runs overlap
first="$(launch 0.5 --reference-ms "$reference" --start-at "$start_at")"
second="$(launch 0.5 --reference-ms "$reference" --start-at "$start_at")"
row "0.5 (A of 2)" "$(result "$first")"
row "0.5 (B of 2)" "$(result "$second")"

echo
printf '%-12s %-16s %-22s %-10s %-34s %s\n' share "SMs seen" "memory allocatable" "time" "expected" result
printf '%s\n' "${rows[@]}"
exit $failed
