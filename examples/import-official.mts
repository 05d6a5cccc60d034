// Import a checkpoint of the official cDDPM code (github.com/Sergio20f/cDDPM): its Trainer's model-N.pt
// becomes a missing-u checkpoint folder that samples, denoises, evaluates and resumes training. No Python.
//
//   node import-official.mjs model-100.pt [cunet-paper | unet-paper]
import { importOfficial, loadCheckpointAsync, sample, writeImageGrid } from 'missing-u';

const [file = 'model-100.pt', preset = 'cunet-paper'] = process.argv.slice(2);
if (preset !== 'cunet-paper' && preset !== 'unet-paper') throw new Error(`unknown preset ${preset}`);

// The file is read by libtorch's unpickler after its storages are checked; nothing in it runs.
const imported = await importOfficial(file, { preset, out: 'runs/official' });
console.log(`step ${imported.step}, width ${imported.width}, ${imported.channels} channels`);
console.log('trained as', imported.diffusion); // read from its stored buffers: v, sigmoid, T = 1000 by default

const checkpoint = await loadCheckpointAsync(imported.out);
checkpoint.model.dispose();
using ema = checkpoint.ema;
using images = await sample(ema, { n: 4, sampler: 'ddim', steps: 10, seed: 0 });
await writeImageGrid(images, 'official-samples.png');
console.log(`wrote ${imported.out}/ and official-samples.png`);
