#!/usr/bin/env bash
# Checks Granary's GPU discovery on this machine: runs the same NVML code the agent silo uses
# (`granary-silo gpu-check`) against the real driver and prints every GPU it finds (UUID, model,
# memory, utilisation, MIG mode, compute capability) and its live metrics. Exit code 0 when one or
# more GPUs were found, 1 when none (the reason is printed: no driver, init failure, ...).
#
#   bash deploy/scripts/gpu-check.sh                 # the driver's libnvidia-ml.so.1
#   bash deploy/scripts/gpu-check.sh --library PATH  # another NVML library
#   bash deploy/scripts/gpu-check.sh --fake          # the fake NVML (two sample GPUs): checks the
#                                                    # script and bindings on a machine without GPUs
#
# Uses a published silo when GRANARY_SILO names its executable, else `dotnet run --project silo`.
# For reference, on a GPU machine `nvidia-smi -L` should list the same UUIDs.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
args=()

if [[ "${1:-}" == "--fake" ]]; then
  shift
  fake_dir="$(mktemp -d)"
  trap 'rm -rf "$fake_dir"' EXIT
  bash "$repo/tests/native/build-fake-nvml.sh" "$fake_dir" >/dev/null
  cat >"$fake_dir/fake_nvml.conf" <<'CONF'
device GPU-11111111-2222-3333-4444-555555555555|NVIDIA A100-SXM4-80GB|85899345920|1073741824|37|12|0|8.0
device GPU-66666666-7777-8888-9999-000000000000|Tesla V100-SXM2-16GB|17179869184|0|0|0|-1|7.0
CONF
  args+=(--library "$fake_dir/libnvidia-ml.so.1")
fi

if command -v nvidia-smi >/dev/null 2>&1 && [[ ${#args[@]} -eq 0 ]]; then
  echo "gpu-check: nvidia-smi -L says:" >&2
  nvidia-smi -L >&2 || true
fi

if [[ -n "${GRANARY_SILO:-}" ]]; then
  exec "$GRANARY_SILO" gpu-check "${args[@]}" "$@"
fi
exec dotnet run --project "$repo/silo" -c Release -- gpu-check "${args[@]}" "$@"
