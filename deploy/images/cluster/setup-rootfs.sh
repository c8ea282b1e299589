#!/bin/sh
# Runs inside the fresh rootfs of a cluster image (chroot) once, after its packages are installed.
set -eu
# Smaller image: no package caches.
apt-get clean
rm -rf /var/cache/apt/*.bin /var/lib/apt/lists/* /var/log/*.log
