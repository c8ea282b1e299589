#!/usr/bin/env bash
# Builds the images docker-compose.yml runs, locally and with no registry, each on a Debian rootfs made like the
# session images' (../common/rootfs.sh, cached by recipe hash):
#   granary/silo:dev      a `dotnet publish` of silo/ (verbs run / migrate / gpu-check / firewall) + this machine's
#                         .NET runtime + iptables (the firewall verb)
#   granary/gateway:dev   a `dotnet publish` of gateway/ (with its wwwroot) + the same runtime
#   granary/postgres:15   Debian's PostgreSQL 15 with postgres-entrypoint.sh (POSTGRES_USER/PASSWORD/DB)
# The publish uses the Release build already made (`dotnet build Cluster.sln -c Release` first). An image whose
# granary.recipe label matches (rootfs, runtime, published files, this script) is left alone.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cache="${GRANARY_IMAGE_CACHE:-/var/cache/granary/images}"
# shellcheck source=../common/rootfs.sh
. "$here/../common/rootfs.sh"
export DOCKER_HOST="${DOCKER_HOST:-unix://${GRANARY_DOCKER_DIR:-/var/lib/granary/docker}/docker.sock}"
dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"

docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || { log "no Docker daemon answers at $DOCKER_HOST (run deploy/scripts/docker-up.sh first)"; exit 1; }

mkdir -p "$cache"
workroot="$(mktemp -d "$cache/.work.XXXXXX")"
trap 'unmount_all; rm -rf "$workroot"' EXIT
total_start="$(now)"

# rootfs ENV PACKAGES: prints the path of a fresh copy of ENV's rootfs (cached by its recipe).
rootfs() {
  local env="$1" packages="$2" key
  key="$({ echo "$suite v$ROOTFS_METHOD"; echo "$packages"; cat "$here/setup-rootfs.sh"; } | hash_of)"
  local work="$workroot/$env-$RANDOM"
  mkdir -p "$work/rootfs"
  make_rootfs "$env" "$work/rootfs" "$work" "$packages" "$here/setup-rootfs.sh" "$cache/$env-rootfs-$key.tar" >&2 || return 1
  echo "$work/rootfs"
}

# import REF KEY ROOT CHANGE...: the rootfs as image REF labelled with KEY, unless REF already has that label.
import() {
  local ref="$1" key="$2" root="$3" t; shift 3
  t="$(now)"
  local changes=(--change "LABEL granary.recipe=$key" --change "ENV LANG=C.UTF-8"
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
  local c
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$root" -c . | docker import "${changes[@]}" - "$ref" >/dev/null
  docker image prune -f --filter "label=granary.image=$ref" >/dev/null
  log "$ref built (recipe $key) in $(since "$t")"
}

current() { docker image inspect "$1" --format '{{ index .Config.Labels "granary.recipe" }}' 2>/dev/null || true; }

# dotnet_image REF PROJECT DLL PACKAGES: the published PROJECT and the .NET runtime on a rootfs with PACKAGES.
dotnet_image() {
  local ref="$1" project="$2" dll="$3" packages="$4" out="$workroot/publish-$2"
  # The gateway references the silo: both have an appsettings.json, and the project's own wins (as in its build).
  dotnet publish "$repo/$project" -c Release --no-build -nologo -v q -p:ErrorOnDuplicatePublishOutputFiles=false -o "$out" >&2
  cmp -s "$repo/$project/appsettings.json" "$out/appsettings.json" || { log "$project: published the wrong appsettings.json"; return 1; }
  local runtime key
  runtime="$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -n 1)"
  key="$({ echo "$packages $runtime"; (cd "$out" && find . -type f -print0 | sort -z | xargs -0 sha256sum);
    cat "$here/build.sh" "$here/setup-rootfs.sh" "$here/../common/rootfs.sh"; } | hash_of)"
  if [ "$(current "$ref")" = "$key" ]; then
    log "$ref is up to date (recipe $key)"
    return 0
  fi
  local root; root="$(rootfs cluster-dotnet "$packages")"
  # The runtime this machine built with (host, hostfxr, the shared frameworks of that version; no SDK).
  install -d "$root/usr/share/dotnet/shared"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$root/usr/share/dotnet/"
  local framework
  for framework in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
    install -d "$root/usr/share/dotnet/shared/$framework"
    cp -a "$dotnet_root/shared/$framework/$runtime" "$root/usr/share/dotnet/shared/$framework/"
  done
  cp -a "$out" "$root/app"
  import "$ref" "$key" "$root" "LABEL granary.image=$ref" "WORKDIR /app" "ENV DOTNET_CLI_TELEMETRY_OPTOUT=1" \
    "ENTRYPOINT [\"/usr/share/dotnet/dotnet\", \"/app/$dll\"]" "CMD []"
}

postgres_image() {
  local ref=granary/postgres:15 packages=postgresql-15 key
  key="$({ echo "$packages"; cat "$here/postgres-entrypoint.sh" "$here/build.sh" "$here/setup-rootfs.sh" "$here/../common/rootfs.sh"; } | hash_of)"
  if [ "$(current "$ref")" = "$key" ]; then
    log "$ref is up to date (recipe $key)"
    return 0
  fi
  local root; root="$(rootfs cluster-postgres "$packages")"
  install -m 0755 "$here/postgres-entrypoint.sh" "$root/usr/local/bin/postgres-entrypoint.sh"
  import "$ref" "$key" "$root" "LABEL granary.image=$ref" "ENTRYPOINT [\"/usr/local/bin/postgres-entrypoint.sh\"]" "CMD []"
}

# What .NET needs on Debian (globalization, TLS, Kerberos for Npgsql, time zones, certificates).
dotnet_packages=ca-certificates,libicu72,libssl3,libgssapi-krb5-2,tzdata
# The silo also runs `firewall install` on a node whose agent cannot program the host's firewall (docker-compose.yml).
dotnet_image granary/silo:dev silo granary-silo.dll "$dotnet_packages,iptables"
dotnet_image granary/gateway:dev gateway granary-gateway.dll "$dotnet_packages"
postgres_image
log "cluster images done — $(since "$total_start")"
