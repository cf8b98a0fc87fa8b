#!/usr/bin/env bash
# srzoo's GPU checks, in one run on a CUDA machine (no network needed):
#   the gpu-marked tests, then GPU timings (benchmarks/gpu_timing.py) and a CUDA demo/upscale.
# Usage: SRZOO_SHARED=/path/to/shared bash benchmarks/gpu_checks.sh [OUT_DIR]
set -u
out=${1:-gpu-checks-out}
mkdir -p "$out"
python3 -m pip install --quiet --no-deps --no-build-isolation -e . >"$out/install.log" 2>&1 \
  || { echo "editable install failed"; tail -5 "$out/install.log"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())"
echo "== gpu tests"
python3 -m pytest -q -p no:cacheprovider -o addopts="" -m gpu --benchmark-disable tests 2>&1 | tail -25
echo "== timings"
python3 benchmarks/gpu_timing.py 2>&1 | tee "$out/gpu_timing.txt"
echo "== CLI on cuda"
python3 -m srzoo demo --device cuda --models bicubic-x4,srcnn-x4,stagegan-x4 --charts zone-plate,facade --out "$out/demo" 2>&1 | tail -12
python3 -m srzoo upscale chart:text --model stagegan-x8 --device cuda --out "$out/text_x8.png" 2>&1 | tail -2
