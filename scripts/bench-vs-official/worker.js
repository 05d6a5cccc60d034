#!/usr/bin/env node
'use strict';
// missing-u's side of bench.py: reads one JSON request per line on stdin, times it in this process and
// answers one JSON line on stdout. Requests:
//   {"op": "forward", "preset", "batch", "precision", "device", "repeats"}  -> {"ms": [one per forward]}
//   {"op": "train", "preset", "batch", "precision", "device", "steps"}      -> {"ms": [one per optimizer step]}
// Either may add "options": model options beside the preset, such as {"channelsLast": false}.
// Training steps are timed between consecutive progress reports of one run, so the run's setup is left out.

const { performance } = require('node:perf_hooks');
const readline = require('node:readline');
const path = require('node:path');

const mu = require(path.join(__dirname, '..', '..', 'dist', 'lib'));

const models = new Map();

function modelFor(preset, precision, device = 'cpu', options = {}) {
  const key = `${preset}/${precision}/${device}/${JSON.stringify(options)}`;
  if (!models.has(key)) models.set(key, mu.models.create({ ...options, preset, precision, device, seed: 0 }));
  return models.get(key);
}

function images(model, batch) {
  const shape = [batch, model.channels, model.imageSize, model.imageSize];
  const n = shape.reduce((a, b) => a * b);
  return { data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), shape };
}

async function timeForward({ preset, batch, precision, repeats, options }) {
  const model = modelFor(preset, precision, 'cpu', options);
  const { data, shape } = images(model, batch);
  const x = mu.tensor(data, shape);
  const t = mu.tensor(
    Float32Array.from({ length: batch }, (_, i) => (137 * (i + 1)) % 1000),
    [batch],
  );
  const ms = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    (await model.forward(x, t)).dispose();
    ms.push(performance.now() - started);
  }
  x.dispose();
  t.dispose();
  return { ms };
}

// The official Trainer's recipe: v objective, sigmoid schedule, T = 1000, Adam (1e-4 here as there is
// irrelevant to speed), gradient norm clipped at 1, EMA every 10 steps.
async function timeTrain({ preset, batch, precision, steps, device, options }) {
  const probe = modelFor(preset, 'fp32', 'cpu');
  const { data, shape } = images(probe, 4 * batch);
  const stamps = [];
  const result = await mu.train(
    {
      model: { ...options, preset, device },
      diffusion: { objective: 'v', schedule: 'sigmoid', diffusionSteps: 1000 },
      train: { steps: steps + 1, batchSize: batch, precision, gradClip: 1, checkpointEvery: 0, checkpointSeconds: 0 },
      data: { name: 'bench', data, shape },
    },
    { onProgress: () => stamps.push(performance.now()) },
  );
  result.model.dispose();
  result.ema.dispose();
  mu.disposeTrainerState(result.state);
  return { ms: stamps.slice(1).map((s, i) => s - stamps[i]) };
}

const handlers = { forward: timeForward, train: timeTrain };

async function main() {
  if (process.env.OMP_NUM_THREADS) mu.setNumThreads(Number(process.env.OMP_NUM_THREADS));
  process.stdout.write(JSON.stringify({ ready: true, threads: mu.info().threads }) + '\n');
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const request = JSON.parse(line);
    try {
      process.stdout.write(JSON.stringify(await handlers[request.op](request)) + '\n');
    } catch (error) {
      process.stdout.write(JSON.stringify({ error: error.message }) + '\n');
    }
  }
}

main();
