#!/usr/bin/env bash
# Regenerates docs/reproduction/ from nothing: trains the four MNIST denoisers of the Table 1 comparison
# with one recipe and one budget (configs/table1/*.json; each again with training seeds 1 and 2), measures
# FID against DDIM sampling steps on the same 2,000 samples per row (missing-u eval fid-steps), and writes
# table1.json, table1.md, the two plots and the checkpoints (model and EMA weights, no optimizer state; the
# seeds' EMA weights only) into docs/reproduction/. Run it alone: on 2 cores it takes about an hour and a
# half for Table 1 on the improved grid and about three hours more for the grid with its spread; other work
# on the machine skews the seconds per sample.
#
#   scripts/reproduce.sh            train where a checkpoint is missing, then measure
#   scripts/reproduce.sh --retrain  train every denoiser again
set -euo pipefail
cd "$(dirname "$0")/.."

out=docs/reproduction
cli=(node dist/lib/cli/main.js)
retrain=false
[ "${1:-}" = "--retrain" ] && retrain=true
[ -f dist/lib/cli/main.js ] || npm run build:ts

# One recipe (the quick start's before it moved to a one-step Euler solver), each with its model.
declare -A configs=(
  [cunet-official]=configs/table1/cunet-official.json
  [cunet-ours]=configs/table1/cunet-ours.json
  [cunet-text]=configs/table1/cunet-text.json
  [unet]=configs/table1/unet.json
)
for name in cunet-official cunet-ours cunet-text unet; do
  dir=$out/checkpoints/$name
  if $retrain || [ ! -f "$dir/ema.safetensors" ]; then
    rm -rf "$dir"
    start=$(date +%s)
    "${cli[@]}" train --config "${configs[$name]}" --out "$dir" --checkpoint-every 0
    echo "$(($(date +%s) - start))" >"$dir/train-seconds.txt"
    rm -f "$dir/optimizer.safetensors" # evaluation reads the model and EMA weights only
  fi
  # The same recipe with training seeds 1 and 2, for the spread over training runs; sampling reads the
  # EMA weights alone (loadCheckpointEma), so only they are kept.
  for seed in 1 2; do
    dir=$out/checkpoints/$name-seed$seed
    if $retrain || [ ! -f "$dir/ema.safetensors" ]; then
      rm -rf "$dir"
      "${cli[@]}" train --config "${configs[$name]}" --seed "$seed" --out "$dir" --checkpoint-every 0
      rm -f "$dir/optimizer.safetensors" "$dir/model.safetensors"
    fi
  done
done

# Every row: the same seed (the same x_T for every denoiser and step count), n = 2,000 samples, FID with the
# bundled MNIST extractor against 2,000 real digits, sampled in batches of 500 in bf16.
"${cli[@]}" eval fid-steps \
  --checkpoint "cU-Net (official layout)=$out/checkpoints/cunet-official" \
  --checkpoint "cU-Net (ours)=$out/checkpoints/cunet-ours" \
  --checkpoint "U-Net=$out/checkpoints/unet" \
  --steps 5,10,15,20,25,30 --sampler ddim --n 2000 --seed 0 --batch-size 500 --precision bf16 \
  --report "$out" --json >/dev/null
mv "$out/fid-steps.json" "$out/table1.json"
mv "$out/fid-steps.md" "$out/table1.md"

# The paper's text (GroupNorm in the ODE functions, ReLU) on the same rows, and respaced DDPM (fixedlarge)
# at two step counts for all four; each in a report folder of its own.
"${cli[@]}" eval fid-steps --checkpoint "cU-Net (paper text)=$out/checkpoints/cunet-text" \
  --steps 5,10,15,20,25,30 --sampler ddim --n 2000 --seed 0 --batch-size 500 --precision bf16 \
  --report "$out/paper-text" --json >/dev/null
"${cli[@]}" eval fid-steps \
  --checkpoint "cU-Net (official layout)=$out/checkpoints/cunet-official" \
  --checkpoint "cU-Net (ours)=$out/checkpoints/cunet-ours" \
  --checkpoint "cU-Net (paper text)=$out/checkpoints/cunet-text" \
  --checkpoint "U-Net=$out/checkpoints/unet" \
  --steps 10,30 --sampler ddpm --n 2000 --seed 0 --batch-size 500 --precision bf16 \
  --report "$out/ddpm" --json >/dev/null

# Table 1 on the official code's DDIM grid, with its spread (docs/reproduction/spread/). Training seed 0 with
# x_T seed 0 gets the whole grid: DDIM at 5-30 steps, DPM-Solver++(2M) at 5-20 and the ODE sampler with dopri5 at
# three tolerances. Every training seed (0, 1, 2) with every x_T seed (0, 1) gets the spread's subset: DDIM at
# 5, 10 and 20 steps and DPM-Solver++ at 10. One fid-steps result per denoiser and run, merged by fid-spread.
spread=$out/spread
mkdir -p "$spread/runs"
declare -A labels=([cunet-official]="cU-Net (official layout)" [cunet-ours]="cU-Net (ours)"
  [cunet-text]="cU-Net (paper text)" [unet]="U-Net")
names=(cunet-official cunet-ours cunet-text unet)
fid_run() { # name training-seed x_T-seed job fid-steps-flags...
  local name=$1 tseed=$2 xseed=$3 job=$4
  shift 4
  local dir=$out/checkpoints/$name
  [ "$tseed" != 0 ] && dir=$dir-seed$tseed
  local file=$spread/runs/$name-t$tseed-x$xseed-$job.json
  [ -f "$file" ] && return
  "${cli[@]}" eval fid-steps --checkpoint "${labels[$name]}=$dir" --n 2000 --seed "$xseed" --batch-size 500 \
    --precision bf16 --json "$@" >"$file.part"
  mv "$file.part" "$file"
}
for name in "${names[@]}"; do
  fid_run "$name" 0 0 ddim-grid --sampler ddim --spacing official --steps 5,10,15,20,25,30
  fid_run "$name" 0 0 dpmpp-grid --sampler dpmpp-2m --spacing official --steps 5,10,15,20
done
for run in "1 0" "2 0" "0 1" "1 1" "2 1"; do
  read -r tseed xseed <<<"$run"
  for name in "${names[@]}"; do
    fid_run "$name" "$tseed" "$xseed" ddim-spread --sampler ddim --spacing official --steps 5,10,20
    fid_run "$name" "$tseed" "$xseed" dpmpp-spread --sampler dpmpp-2m --spacing official --steps 10
  done
done
for name in "${names[@]}"; do
  fid_run "$name" 0 0 ode-grid --sampler ode --ode-method dopri5 --tolerances 1e-2,1e-3,1e-4
done

# Seconds per sample: the four denoisers side by side (each round samples every one in turn), alone on the
# machine, per network evaluation; fid-spread multiplies each cell's NFE by it.
"${cli[@]}" eval efficiency \
  --checkpoint "cU-Net (official layout)=$out/checkpoints/cunet-official" \
  --checkpoint "cU-Net (ours)=$out/checkpoints/cunet-ours" \
  --checkpoint "cU-Net (paper text)=$out/checkpoints/cunet-text" \
  --checkpoint "U-Net=$out/checkpoints/unet" \
  --sampler ddim --steps 10 --precision bf16 --batch 500 --repeats 3 --json >"$spread/timing.json"
"${cli[@]}" eval fid-spread "$spread"/runs/*.json --timing "$spread/timing.json" --report "$spread" --json >/dev/null

# The extractor's floor: FID between two disjoint sets of 2,000 real digits (the first 200 of each digit, as
# every row's real side, against the next 200 of each).
half=$(mktemp --suffix=.safetensors)
node -e '
const { loadMnistPackage, writeSafetensors } = require("./dist/lib/index.js");
const { data, labels } = loadMnistPackage();
const seen = new Array(10).fill(0), picked = [];
labels.forEach((digit, i) => { if (seen[digit]++ >= 200 && seen[digit] <= 400) picked.push(i); });
const pixels = 28 * 28, out = new Float32Array(picked.length * pixels);
picked.forEach((i, k) => out.set(data.subarray(i * pixels, (i + 1) * pixels), k * pixels));
writeSafetensors(process.argv[1], { samples: { shape: [picked.length, 1, 28, 28], data: out } });
' "$half"
"${cli[@]}" eval fid --real mnist --fake "$half" --n 2000 --json >"$spread/real-floor.json"
rm -f "$half"

# Table 3: the denoising study as the paper runs it (300 images, full DDPM from each noise step, SSIM and
# PSNR of both x_t and the predicted x0-hat at every reverse step), at four of the paper's noise steps.
"${cli[@]}" eval denoise-study \
  --checkpoint "cU-Net (ours)=$out/checkpoints/cunet-ours" \
  --checkpoint "U-Net=$out/checkpoints/unet" \
  --n 300 --noise-steps 50,150,400,800 --sampler ddpm --steps 1000 --seed 0 --chunk 150 --precision bf16 \
  --report "$out/denoise-study" --json >/dev/null
echo "wrote $out/table1.json, $out/table1.md, $out/paper-text/, $out/ddpm/, $out/spread/, $out/denoise-study/ and the plots"
