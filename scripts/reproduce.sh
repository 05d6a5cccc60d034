#!/usr/bin/env bash
# Regenerates docs/reproduction/ from nothing: trains the four MNIST denoisers of the Table 1 comparison
# with one recipe and one budget (configs/table1/*.json; each again with training seeds 1 and 2), measures
# FID against DDIM sampling steps on the same 2,000 samples per row (missing-u eval fid-steps), and writes
# table1.json, table1.md, the two plots and the checkpoints (model and EMA weights, no optimizer state; the
# seeds' EMA weights only) into docs/reproduction/. Run it alone: on 2 cores it takes about an hour and a
# half, and other work on the machine skews the seconds per sample.
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

# Table 3: the denoising study as the paper runs it (300 images, full DDPM from each noise step, SSIM and
# PSNR of both x_t and the predicted x0-hat at every reverse step), at four of the paper's noise steps.
"${cli[@]}" eval denoise-study \
  --checkpoint "cU-Net (ours)=$out/checkpoints/cunet-ours" \
  --checkpoint "U-Net=$out/checkpoints/unet" \
  --n 300 --noise-steps 50,150,400,800 --sampler ddpm --steps 1000 --seed 0 --chunk 150 --precision bf16 \
  --report "$out/denoise-study" --json >/dev/null
echo "wrote $out/table1.json, $out/table1.md, $out/paper-text/, $out/ddpm/, $out/denoise-study/ and the plots"
