#!/usr/bin/env bash
# Builds deploy/gpu-probe/gpu-probe.c as OUT_DIR/gpu-probe with gcc (no CUDA toolkit: libcuda.so.1 is loaded at run time).
set -euo pipefail
out="${1:?usage: build.sh OUT_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
gcc -O2 -s -Wall -Wextra -Werror -std=c11 -o "$out/gpu-probe" "$here/gpu-probe.c" -ldl -lm
echo "$out/gpu-probe"
