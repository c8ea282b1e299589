#!/usr/bin/env bash
# The CLI installs as a .NET tool: packs cli/ (PackAsTool), installs the package from that local folder with
# `dotnet tool install --tool-path`, and runs the installed `granary --help`, which must list every verb.
# Usage: tests/cli/tool-install.sh [BASE_URL ADMIN_KEY]; with a live all-in-one (simulated agent is enough), the
# installed granary then runs every verb but `session ssh` against it over HTTP, parses each --json answer and checks
# the exit codes of errors (usage 2, auth 3, not found 4, server unreachable 5).
# Everything goes to a temporary directory (its own NuGet package cache, so a stale granary-cli of the same version
# cached earlier cannot stand in for this build), removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NUGET_PACKAGES="$work/packages"

dotnet pack cli -c Release -nologo -v q -o "$work/nupkg"
ls "$work"/nupkg/granary-cli.*.nupkg >/dev/null
dotnet tool install granary-cli --tool-path "$work/tools" --add-source "$work/nupkg" --ignore-failed-sources
help=$("$work/tools/granary" --help)
echo "$help"
for verb in login session folder image agent user key me; do
  grep -Eq "^  $verb( |$)" <<<"$help" || { echo "FAIL: granary --help does not list '$verb'" >&2; exit 1; }
done
"$work/tools/granary" session --help | grep -Eq '^  create ' || { echo "FAIL: the installed granary has no 'session create'" >&2; exit 1; }
echo "granary installed as a .NET tool from the local package and answers --help"

[ $# -ge 2 ] || exit 0
base=$1 key=$2
stamp=$(date +%s)
export GRANARY_CONFIG="$work/config.json"
unset GRANARY_URL GRANARY_KEY
expect() { # exit code, granary arguments...: the answer is in $work/out
  local want=$1 got=0; shift
  "$work/tools/granary" "$@" >"$work/out" 2>"$work/err" || got=$?
  [ "$got" -eq "$want" ] || { echo "FAIL: granary $* exited $got, expected $want: $(cat "$work/out" "$work/err")" >&2; exit 1; }
  echo "granary $* → $got"
}
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[2])); print($1)" "$1" "$work/out"; }
lines() { python3 -c "import json,sys; j=[json.loads(l) for l in open(sys.argv[2]) if l.strip()]; print($1)" "$1" "$work/out"; }
check() { [ "$1" = "$2" ] || { echo "FAIL: $3: got '$1', expected '$2'" >&2; exit 1; }; }

expect 0 login --url "$base" --key "$key"
expect 0 me --json; check "$(json 'j["role"]')" admin "me --json role"
expect 0 image list --json; image=$(json 'j[0]["versions"][0]["image"]')
expect 0 folder create "cli-$stamp" --json; check "$(json 'j["name"]')" "cli-$stamp" "folder create"
expect 0 folder list --json; check "$(json "any(f['name'] == 'cli-$stamp' for f in j)")" True "folder list"
expect 0 session create --image "$image" --name "cli-$stamp" --cpu 1 --memory 1g --fgpu 0.5 --mount "cli-$stamp:ro" --json
check "$(json 'j["status"]')" RUNNING "session create --json status"
id=$(json 'j["id"]')
expect 0 session create --image "$image" --name "cli-table-$stamp" --cpu 1 --memory 1g
grep -q RUNNING "$work/out" || { echo "FAIL: session create showed no RUNNING: $(cat "$work/out")" >&2; exit 1; }
table_id=$(grep -Eo '\b[0-9a-f]{32}\b' "$work/out" | head -n 1)
expect 0 session list --json; check "$(json "any(s['id'] == '$id' for s in j)")" True "session list"
expect 0 session list; grep -q "cli-$stamp" "$work/out" || { echo "FAIL: session list table" >&2; exit 1; }
expect 0 session info "$id" --json; check "$(json 'j["resources"]["fgpu"]')" 0.5 "session info fgpu"
check "$(json '[(m["folder"], m["readOnly"]) for m in j["mounts"]]')" "[('cli-$stamp', True)]" "session info mounts"
expect 0 session apps "$id" --json; json 'len(j)' >/dev/null
expect 0 session logs "$id" --tail 5
expect 0 session delete "$id" --wait --json; check "$(json 'j["status"]')" TERMINATED "session delete --wait"
expect 0 session watch "$id" --json; check "$(lines 'j[-1]["data"]["status"]')" TERMINATED "session watch last event"
[ -z "$table_id" ] || expect 0 session delete "$table_id" --wait
expect 0 folder delete "cli-$stamp"
expect 0 agent list --json; check "$(json 'len(j) > 0')" True "agent list"
expect 0 user create "cli-$stamp" --json; user_key=$(json 'j["key"]')
expect 0 user list --json; check "$(json "any(u['name'] == 'cli-$stamp' for u in j)")" True "user list"
expect 0 key create laptop --user "cli-$stamp" --json; key_id=$(json 'j["id"]')
expect 0 key list --user "cli-$stamp" --json; check "$(json "sorted(k['name'] for k in j)")" "['default', 'laptop']" "key list"
expect 0 key delete "$key_id" --user "cli-$stamp"
expect 0 key list --json

# What failed, by exit code.
expect 2 no-such-verb
expect 2 session create --name no-image
expect 2 session create --image "$image" --memory lots
expect 4 session info s-no-such-session
expect 4 folder delete "cli-$stamp"
GRANARY_KEY=not-a-key-0123456789 expect 3 me
GRANARY_KEY=$user_key expect 3 agent list
GRANARY_URL=http://127.0.0.1:1 expect 5 me
expect 0 user delete "cli-$stamp"
expect 4 user delete "cli-$stamp"
echo "granary ran every verb against $base with the exit codes expected"
