#!/usr/bin/env bash
# Builds Granary's session images locally, with no registry: a Debian rootfs made by debootstrap from
# the Debian mirror this machine's apt uses, then `docker import` with Granary's labels.
#
#   build.sh [ENV...]     ENV is a folder beside this script holding an image.env (default: all of them)
#
# Cached at two levels, both keyed by a hash of the recipe files:
#   1. the rootfs after debootstrap + common/setup-rootfs.sh  (key: suite, packages, setup script)
#   2. the final image tarball (key: 1 + image.env + common/start.sh + common/sshd_config)
# An image whose granary.recipe label already matches is left alone; a missing image is imported from
# the cached tarball in seconds. Cache dir: GRANARY_IMAGE_CACHE (default /var/cache/granary/images).
# Docker: DOCKER_HOST, else the private daemon of docker-up.sh.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${GRANARY_IMAGE_CACHE:-/var/cache/granary/images}"
suite=bookworm
# Bump when the way a rootfs is made changes (invalidates the rootfs caches).
ROOTFS_METHOD=2
export DOCKER_HOST="${DOCKER_HOST:-unix://${GRANARY_DOCKER_DIR:-/var/lib/granary/docker}/docker.sock}"

log() { echo "build: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# The Debian mirror apt uses here (deb822 .sources or one-line sources.list), unless given.
detect_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); uris = u[1] }
          if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1 }
        }
        if (ok && uris != "") { print uris; exit }
      }' "$f"
  done | head -n 1 | grep . && return 0
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk -v suite="$suite" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) == suite) { print $i; exit } } }' \
    | head -n 1 | grep . && return 0
  return 1
}

hash_of() { sha256sum | cut -c1-16; }

if ! DOCKER_HOST="$DOCKER_HOST" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  log "no Docker daemon answers at $DOCKER_HOST (run deploy/scripts/docker-up.sh first)"
  exit 1
fi

if [ "$#" -gt 0 ]; then
  envs=("$@")
else
  envs=()
  for d in "$here"/*/; do [ -f "$d/image.env" ] && envs+=("$(basename "$d")"); done
fi

mkdir -p "$cache"
workroot="$(mktemp -d "$cache/.work.XXXXXX")"
mounts=()
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}"; done
  mounts=()
}
trap 'unmount_all; rm -rf "$workroot"' EXIT
total_start="$(now)"

build_one() {
  local env="$1" dir="$here/$1"
  [ -f "$dir/image.env" ] || { log "$env: no $dir/image.env"; return 1; }
  local NAME TAG ENVIRONMENT VERSION APPS CAPABILITIES PACKAGES
  # shellcheck disable=SC1091
  . "$dir/image.env"
  local ref="$NAME:$TAG"
  local start; start="$(now)"

  local rootfs_key image_key
  rootfs_key="$({ echo "$suite v$ROOTFS_METHOD"; echo "$PACKAGES"; cat "$here/common/setup-rootfs.sh"; } | hash_of)"
  image_key="$({ echo "$rootfs_key"; cat "$dir/image.env" "$here/common/start.sh" "$here/common/sshd_config" "$here/build.sh"; } | hash_of)"

  local current
  current="$(docker image inspect "$ref" --format '{{ index .Config.Labels "granary.recipe" }}' 2>/dev/null || true)"
  if [ "$current" = "$image_key" ]; then
    log "$ref is up to date (recipe $image_key) — $(since "$start")"
    return 0
  fi

  local rootfs_tar="$cache/$env-rootfs-$rootfs_key.tar"
  local image_tar="$cache/$env-image-$image_key.tar"
  local work="$workroot/$env"
  mkdir -p "$work"

  if [ ! -f "$image_tar" ]; then
    local root="$work/rootfs"
    mkdir -p "$root"
    if [ -f "$rootfs_tar" ]; then
      log "$env: rootfs from cache $rootfs_tar"
      tar -C "$root" -xf "$rootfs_tar"
    else
      if ! command -v debootstrap >/dev/null 2>&1; then
        log "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
      fi
      local mirror="${GRANARY_DEBIAN_MIRROR:-}"
      [ -n "$mirror" ] || mirror="$(detect_mirror)" || { log "cannot find this machine's Debian mirror; set GRANARY_DEBIAN_MIRROR"; return 1; }
      mkdir -p "$cache/debs"
      # The plain minbase system is shared by every environment.
      local minbase_tar="$cache/minbase-$suite-v$ROOTFS_METHOD.tar"
      local t; t="$(now)"
      if [ -f "$minbase_tar" ]; then
        tar -C "$root" -xf "$minbase_tar"
        log "$env: minbase $suite from cache in $(since "$t")"
      else
        log "$env: debootstrap --variant=minbase $suite from $mirror"
        debootstrap --variant=minbase --cache-dir="$cache/debs" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
          || { tail -n 30 "$work/debootstrap.log" "$root/debootstrap/debootstrap.log" >&2 || true; log "$env: debootstrap failed"; return 1; }
        tar -C "$root" -cf "$minbase_tar.tmp" . && mv "$minbase_tar.tmp" "$minbase_tar"
        log "$env: debootstrap took $(since "$t")"
      fi
      # Packages through apt inside the rootfs (apt resolves dependencies properly; debootstrap's
      # --include does not always order their configuration right). No daemon may start in the chroot.
      t="$(now)"
      cp /etc/resolv.conf "$root/etc/resolv.conf"
      printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
      chmod 0755 "$root/usr/sbin/policy-rc.d"
      # apt's downloads are kept in the cache, so a rebuild fetches only what changed.
      mkdir -p "$cache/apt-archives/partial"
      mount -t proc proc "$root/proc" && mounts+=("$root/proc")
      mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives" && mounts+=("$root/var/cache/apt/archives")
      log "$env: apt-get install ${PACKAGES//,/ }"
      if ! chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 sh -c \
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${PACKAGES//,/ }" >"$work/apt.log" 2>&1; then
        unmount_all
        tail -n 30 "$work/apt.log" >&2
        log "$env: apt-get install failed"
        return 1
      fi
      unmount_all
      rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
      log "$env: packages took $(since "$t")"
      install -m 0755 "$here/common/setup-rootfs.sh" "$root/tmp/setup-rootfs.sh"
      chroot "$root" /tmp/setup-rootfs.sh
      rm -f "$root/tmp/setup-rootfs.sh"
      tar -C "$root" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
      find "$cache" -maxdepth 1 -name "$env-rootfs-*.tar" ! -name "$(basename "$rootfs_tar")" -delete
    fi
    install -d -m 0755 "$root/opt/granary"
    install -m 0755 "$here/common/start.sh" "$root/opt/granary/start.sh"
    install -m 0644 "$here/common/sshd_config" "$root/opt/granary/sshd_config"
    tar -C "$root" -cf "$image_tar.tmp" . && mv "$image_tar.tmp" "$image_tar"
    find "$cache" -maxdepth 1 -name "$env-image-*.tar" ! -name "$(basename "$image_tar")" -delete
  else
    log "$env: image tarball from cache $image_tar"
  fi

  local t; t="$(now)"
  docker import \
    --change "LABEL granary.environment=$ENVIRONMENT" \
    --change "LABEL granary.version=$VERSION" \
    --change "LABEL granary.apps=$APPS" \
    --change "LABEL granary.capabilities=$CAPABILITIES" \
    --change "LABEL granary.recipe=$image_key" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" \
    --change "ENV GRANARY_APPS=$APPS" \
    --change 'ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/opt/granary/start.sh"]' \
    --change 'CMD []' \
    "$image_tar" "$ref" >/dev/null
  log "$env: imported $ref in $(since "$t")"
  # The image this one replaced, now untagged, unless a container still uses it.
  docker image prune -f --filter "label=granary.environment=$ENVIRONMENT" >/dev/null
  log "$ref built (recipe $image_key) — $(since "$start")"
}

for env in "${envs[@]}"; do
  build_one "$env"
done
log "all done — $(since "$total_start")"
