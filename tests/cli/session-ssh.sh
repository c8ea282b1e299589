#!/usr/bin/env bash
# `granary session ssh` runs the real ssh with the session's key against an all-in-one with Docker sessions: a
# session of an image serving ssh, a command run in it as `work`, its exit code passed through, the key file gone.
# Usage: tests/cli/session-ssh.sh BASE_URL ADMIN_KEY   (image: E2E_IMAGE, default granary/python:3.11; needs the
# Release build of cli/ and an ssh client)
set -euo pipefail
cd "$(dirname "$0")/../.."
base=$1 key=$2
image=${E2E_IMAGE:-granary/python:3.11}
work=$(mktemp -d)
export GRANARY_CONFIG="$work/config.json" TMPDIR="$work"
unset GRANARY_URL GRANARY_KEY
granary() { dotnet cli/bin/Release/net10.0/granary.dll "$@"; }
id=
cleanup() { [ -z "$id" ] || granary session delete "$id" --wait >/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

granary login --url "$base" --key "$key"
id=$(granary session create --image "$image" --name "cli-ssh-$(date +%s)" --cpu 1 --memory 1g --json \
  | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["status"] == "RUNNING", s; print(s["id"])')
echo "session $id is RUNNING with its apps ready"
code=0
out=$(granary session ssh "$id" -- -o BatchMode=yes -o LogLevel=ERROR 'echo "ssh-as-$(whoami)-$((6*7))"; exit 3') || code=$?
echo "granary session ssh printed '$out' and exited $code"
[ "$out" = "ssh-as-work-42" ] || { echo "FAIL: the command did not run in the session as work" >&2; exit 1; }
[ "$code" -eq 3 ] || { echo "FAIL: ssh's exit code was not passed through" >&2; exit 1; }
left=$(find "$work" -name 'granary-*.key' | wc -l)
[ "$left" -eq 0 ] || { echo "FAIL: $left key file(s) left in $work" >&2; exit 1; }
granary session delete "$id" --wait >/dev/null && id=
echo "granary session ssh ran a command in the session with its key, and removed the key"
