#!/usr/bin/env bash
# Builds the fake CUDA driver (tests/native/fake_cuda.c) as OUT_DIR/libcuda.so.1, for testing deploy/gpu-probe.
set -euo pipefail
out="${1:?usage: build-fake-cuda.sh OUT_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$out/libcuda.so.1" "$here/fake_cuda.c"
echo "$out/libcuda.so.1"
