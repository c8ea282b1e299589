#!/usr/bin/env bash
# The CLI installs as a .NET tool: packs cli/ (PackAsTool), installs the package from that local folder with
# `dotnet tool install --tool-path`, and runs the installed `granary --help`, which must list every verb.
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
