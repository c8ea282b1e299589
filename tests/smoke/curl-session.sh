#!/usr/bin/env bash
# A scripted session against a running gateway: create → poll until RUNNING → list → delete → TERMINATED.
# Usage: tests/smoke/curl-session.sh BASE_URL ADMIN_KEY    (e.g. http://127.0.0.1:8080 "$GRANARY_ADMIN_KEY")
# SMOKE_IMAGE picks the image (default: a python one from GET /v1/images, else the first listed), SMOKE_TIMEOUT_SECONDS the patience per wait (120).
# SMOKE_WHILE_RUNNING: a command (split on spaces) run with the session's id once it is RUNNING; its failure fails the
# smoke after the session is deleted.
# Exits non-zero, saying why, on the first failure. Needs curl and python3 (for JSON).
set -euo pipefail

base="${1:?usage: $0 BASE_URL ADMIN_KEY}"
key="${2:?usage: $0 BASE_URL ADMIN_KEY}"
base="${base%/}"
timeout_seconds="${SMOKE_TIMEOUT_SECONDS:-120}"
image="${SMOKE_IMAGE:-}"

fail() { echo "FAIL: $*" >&2; exit 1; }

# api METHOD PATH [JSON] → sets $body to the response body and $status to the HTTP status code.
api() {
  local method="$1" path="$2" data="${3:-}" response
  local args=(-sS -X "$method" -H "Authorization: Bearer $key" -w $'\n%{http_code}')
  if [[ -n "$data" ]]; then
    args+=(-H "Content-Type: application/json" --data "$data")
  fi
  response="$(curl "${args[@]}" "$base$path")" || fail "curl $method $path"
  status="${response##*$'\n'}"
  body="${response%$'\n'*}"
}

# json FIELD < body → the field's value (dotted path, e.g. status or resources.cpu)
json() {
  python3 -c 'import json,sys
value=json.load(sys.stdin)
for part in sys.argv[1].split("."):
    value=value[int(part)] if isinstance(value,list) else value[part]
print(value)' "$1"
}

wait_for() {
  local id="$1" want="$2" deadline=$((SECONDS + timeout_seconds)) current=""
  while true; do
    api GET "/v1/sessions/$id"
    [[ "$status" == 200 ]] || fail "GET /v1/sessions/$id: HTTP $status $body"
    current="$(json status <<<"$body")"
    [[ "$current" == "$want" ]] && { echo "  $id is $current"; return 0; }
    case "$current" in
      TERMINATED|ERROR|CANCELLED) fail "session $id ended as $current ($(json statusReason <<<"$body")) while waiting for $want" ;;
    esac
    (( SECONDS < deadline )) || fail "session $id still $current after ${timeout_seconds}s (waiting for $want)"
    sleep 0.5
  done
}

body="$(curl -sS -w $'\n%{http_code}' "$base/healthz")" || fail "gateway not reachable at $base"
[[ "${body##*$'\n'}" == 200 ]] || fail "GET /healthz: ${body}"

if [[ -z "$image" ]]; then
  api GET /v1/images
  [[ "$status" == 200 ]] || fail "GET /v1/images: HTTP $status $body"
  image="$(python3 -c 'import json,sys
versions=[(e["environment"], v["image"]) for e in json.load(sys.stdin) for v in e["versions"]]
python=[i for env, i in versions if env == "python"]
print((python or [i for _, i in versions] or [""])[0])' <<<"$body")"
  [[ -n "$image" ]] || fail "no agent reports any image (GET /v1/images is empty)"
fi

echo "create ($image)"
api POST /v1/sessions "{\"name\":\"smoke\",\"image\":\"$image\",\"resources\":{\"cpu\":1,\"memory\":\"1g\"}}"
[[ "$status" == 201 ]] || fail "POST /v1/sessions: HTTP $status $body"
id="$(json id <<<"$body")"
echo "  created $id ($(json status <<<"$body"))"

echo "poll until RUNNING"
wait_for "$id" RUNNING

echo "list"
api GET /v1/sessions
[[ "$status" == 200 ]] || fail "GET /v1/sessions: HTTP $status $body"
grep -q "\"$id\"" <<<"$body" || fail "session $id missing from the list: $body"
echo "  listed"

while_running_failed=""
if [[ -n "${SMOKE_WHILE_RUNNING:-}" ]]; then
  echo "while RUNNING: $SMOKE_WHILE_RUNNING $id"
  # shellcheck disable=SC2086 # the command's words
  $SMOKE_WHILE_RUNNING "$id" || while_running_failed=1
fi

echo "delete"
api DELETE "/v1/sessions/$id"
[[ "$status" == 202 ]] || fail "DELETE /v1/sessions/$id: HTTP $status $body"

echo "poll until TERMINATED"
wait_for "$id" TERMINATED
[[ -z "$while_running_failed" ]] || fail "while RUNNING: $SMOKE_WHILE_RUNNING $id failed"

echo "OK: create → RUNNING → list → delete → TERMINATED"
