#!/bin/sh
# Runs inside the fresh rootfs (chroot) once, right after debootstrap.
set -eu

# The session user. '*' (not '!') as password: no password login, but not "locked", so sshd
# (UsePAM no) accepts public-key logins.
useradd --create-home --home-dir /home/work --uid 1000 --user-group --shell /bin/bash work
usermod --password '*' work
install -d -o work -g work -m 0700 /home/work/.ssh

# sshd's privilege-separation directory; host keys are made per container at start, never shipped.
install -d -m 0755 /run/sshd
rm -f /etc/ssh/ssh_host_*

# Smaller image: no package caches.
apt-get clean
rm -rf /var/cache/apt/*.bin /var/lib/apt/lists/* /var/log/*.log
