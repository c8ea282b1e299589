# Shared by build.sh (session images) and cluster-images.sh (the silo, gateway and PostgreSQL images): a Debian
# rootfs made by debootstrap from the mirror this machine's apt uses, cached by recipe hash. Needs $cache set.
suite=bookworm
# Bump when the way a rootfs is made changes (invalidates the rootfs caches).
ROOTFS_METHOD=2

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

mounts=()
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}"; done
  mounts=()
}

# make_rootfs ENV ROOT WORK PACKAGES SETUP ROOTFS_TAR: fills ROOT with a Debian rootfs: from ROOTFS_TAR when
# cached, else debootstrap minbase (itself cached) + apt-get install PACKAGES (comma-separated) + the SETUP script
# run in a chroot, then saved as ROOTFS_TAR (older rootfs tarballs of ENV are removed). WORK holds the logs.
make_rootfs() {
  local env="$1" root="$2" work="$3" packages="$4" setup="$5" rootfs_tar="$6"
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
    log "$env: apt-get install ${packages//,/ }"
    if ! chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 sh -c \
      "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages//,/ }" >"$work/apt.log" 2>&1; then
      unmount_all
      tail -n 30 "$work/apt.log" >&2
      log "$env: apt-get install failed"
      return 1
    fi
    unmount_all
    rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
    log "$env: packages took $(since "$t")"
    install -m 0755 "$setup" "$root/tmp/setup-rootfs.sh"
    chroot "$root" /tmp/setup-rootfs.sh
    rm -f "$root/tmp/setup-rootfs.sh"
    tar -C "$root" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
    find "$cache" -maxdepth 1 -name "$env-rootfs-*.tar" ! -name "$(basename "$rootfs_tar")" -delete
  fi
}
