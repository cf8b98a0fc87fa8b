#!/usr/bin/env bash
# The paper's full-width comparison on one CUDA GPU within MINUTES of wall time, no network needed:
# benchmarks/reproduce_paper.py trains the eight models the four claims need (Stage-GAN ×4/×8 and their
# -nosem ablations at batch STAGEGAN_BATCH, SRCNN ×8, LapSRN ×8, SRResNet ×4, SRGAN ×4), benches them
# on the 106 Facades test/ images and writes table.md, table.json, the figures and log.txt (8 files) to OUT.
#
# Usage: bash benchmarks/gpu_reproduce.sh [OUT=gpu-reproduce-out] [MINUTES=9.5]
#   data: $FACADES, else $SRZOO_SHARED/data/facades, else shared/data/facades or ../shared/data/facades
#   env:  STAGEGAN_BATCH (16), RESERVE_MINUTES (2: start-up, benchmarking and figures), VGG19 (a local
#         VGG19 weights file for SRGAN's perceptual loss; without it SRGAN-MSE), REPRO_SMOKE=1 (tiny
#         widths on the CPU, 2 test images: checks this script without a GPU)
# The training budget is MINUTES - RESERVE_MINUTES; the script measures every model's step time and splits
# that budget (docs/reproduction.md), and a hard timeout stops it at MINUTES whatever happens.
set -u
out=${1:-gpu-reproduce-out}
minutes=${2:-9.5}
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
mkdir -p "$out" && out=$(cd "$out" && pwd)
log="$out/log.txt"
: >"$log"
started=$(date +%s)

data=${FACADES:-}
for candidate in "${SRZOO_SHARED:-/nonexistent}/data/facades" "$here/shared/data/facades" "$here/../shared/data/facades"; do
  [ -z "$data" ] && [ -d "$candidate/train" ] && data=$candidate
done
if [ -z "$data" ] || [ ! -d "$data/train" ] || [ ! -d "$data/test" ]; then
  echo "no Facades data: set FACADES to a folder holding train/ and test/ (or SRZOO_SHARED)" | tee -a "$log"
  exit 2
fi
data=$(cd "$data" && pwd)

budget=$(awk -v m="$minutes" -v r="${RESERVE_MINUTES:-2}" 'BEGIN { b = m - r; print (b > 0.2 ? b : 0.2) }')
models="srcnn-x8,lapsrn-x8,srresnet-x4,srgan-x4-mse,stagegan-x4,stagegan-x4-nosem,stagegan-x8,stagegan-x8-nosem"
args=(--data "$data" --out "$out" --budget-minutes "$budget" --min-fraction 0.1 --stagegan-batch "${STAGEGAN_BATCH:-16}")
if [ -n "${VGG19:-}" ]; then
  args+=(--vgg19 "$VGG19")
  models=${models/srgan-x4-mse/srgan-x4}
fi
if [ "${REPRO_SMOKE:-0}" = 1 ]; then
  args+=(--smoke --device cpu)
else
  args+=(--device cuda --channels-last)
  "$python" -m pip install --quiet --no-deps --no-build-isolation -e "$here" >/dev/null 2>&1 \
    || echo "editable install failed; using the installed srzoo" | tee -a "$log"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee -a "$log"
fi
args+=(--models "$models")

left=$(( $(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }') - ($(date +%s) - started) ))
echo "data $data; ${minutes} min in all, ${budget} min of training; hard stop in ${left} s" | tee -a "$log"
echo "$python benchmarks/reproduce_paper.py ${args[*]}" | tee -a "$log"
cd "$here" || exit 2
timeout --signal=INT --kill-after=10 "$left" "$python" benchmarks/reproduce_paper.py "${args[@]}" >>"$log" 2>&1
status=$?
# 124: stopped by the SIGINT; 137: killed after the grace (a busy machine, a step that ignores SIGINT)
{ [ $status = 124 ] || [ $status = 137 ]; } && echo "stopped at the ${minutes}-minute limit" | tee -a "$log"
tail -n 40 "$log"
echo "exit $status; $(($(date +%s) - started)) s; files in $out: $(ls "$out" | tr '\n' ' ')"
exit $status
