// Sample from a denoiser written in PyTorch: a TorchScript module with forward(x, t) works wherever a
// built-in model does. torchscript_denoiser.py writes denoiser.pt and says what forward receives.
//
//   python torchscript_denoiser.py && node torchscript-denoiser.mjs [denoiser.pt]
import { jit, randn, sample, Scheduler, writeImageGrid } from 'missing-u';

const file = process.argv[2] ?? 'denoiser.pt';

// A TorchScript file is a program: loading and running it executes its code, so load only files you trust.
// How it was trained: given here, or kept beside it in denoiser.diffusion.json; else eps, linear, T = 1000.
using denoiser = jit.load(file, { diffusion: { objective: 'eps', schedule: 'linear', diffusionSteps: 1000 } });

// What the samplers hand to forward(x, t): x float32 (B, C, H, W) and t int64 (B,), the step of x.
using scheduler = new Scheduler();
using x = randn([2, 1, 28, 28], 0);
using t = scheduler.timestep(999, x);
using y = await denoiser.forward(x, t);
console.log(`forward(x: ${x.dtype} [${x.shape}], t: ${t.dtype} [${t.shape}]) -> ${y.dtype} [${y.shape}]`);

// A TorchScript denoiser does not know its image shape: give it.
using images = await sample(denoiser, { n: 16, shape: [1, 28, 28], sampler: 'ddim', steps: 10, seed: 0 });
await writeImageGrid(images, 'torchscript-samples.png');
console.log('wrote torchscript-samples.png');
