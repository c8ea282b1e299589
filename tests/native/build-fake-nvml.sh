#!/usr/bin/env bash
# Builds the fake NVML library (tests/native/fake_nvml.c) as OUT_DIR/libnvidia-ml.so.1.
# Used by the platform tests' fixture and by deploy/scripts/gpu-check.sh --fake.
set -euo pipefail
out="${1:?usage: build-fake-nvml.sh OUT_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$out/libnvidia-ml.so.1" "$here/fake_nvml.c" -ldl
echo "$out/libnvidia-ml.so.1"
