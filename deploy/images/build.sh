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
# shellcheck source=common/rootfs.sh
. "$here/common/rootfs.sh"
export DOCKER_HOST="${DOCKER_HOST:-unix://${GRANARY_DOCKER_DIR:-/var/lib/granary/docker}/docker.sock}"

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
  image_key="$({ echo "$rootfs_key"; cat "$dir/image.env" "$here/common/start.sh" "$here/common/sshd_config" "$here/build.sh" "$here/common/rootfs.sh"; } | hash_of)"

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
    make_rootfs "$env" "$root" "$work" "$PACKAGES" "$here/common/setup-rootfs.sh" "$rootfs_tar" || return 1
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
