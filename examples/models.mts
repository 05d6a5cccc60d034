// The built-in networks: build a preset, count its parameters and multiply-accumulates, run a forward
// pass, see where it spends its time. `missing-u inspect` prints the same for every preset.
//
//   node models.mjs
import { info, models, randn, setNumThreads, tensor } from 'missing-u';

console.log(info()); // { torch: '2.13.0', cuda: false, cudaDeviceCount: 0, threads: 2, cpuPrecisions, build }
setNumThreads(info().threads); // intra-op threads: MISSING_U_NUM_THREADS, else OMP_NUM_THREADS, else the cores

for (const preset of models.presets()) console.log(`${preset.name.padEnd(20)} ${preset.description}`);

using model = models.create({ preset: 'cunet', imageSize: 64, seed: 0 });
console.log(model.parameterCount()); // { total: 9266515, trainable: 9010515 }
console.log(model.flops([1, 3, 64, 64])); // { macs: 2665881600, byOp: { conv: ..., 'instance-norm': ..., ... } }

using x = randn([2, 3, 64, 64], 0); // (B, 3, 64, 64)
using t = tensor(new Float32Array([10, 500]), [2]); // (B,) diffusion steps
using eps = await model.forward(x, t); // on a native thread: the event loop goes on
console.log(`forward: [${eps.shape}] ${eps.dtype} on ${eps.device}`);

// libtorch's profiler around one pass: each operator's self time, largest first.
const profile = await model.profile(x, t);
console.table(profile.slice(0, 5));
