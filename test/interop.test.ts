import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { models, writeSafetensors, type ModelPreset, type StoredTensor } from '../lib';

// The way back (docs/interop.md): a missing-u checkpoint's weights, read by PyTorch with the script
// the docs show, have the names, order and shapes of the official classes' state_dict (the manifest
// make_official_fixture.py recorded from the official code). Runs where Python torch is: the python
// beside $TORCHRUN (.ci/run installs torch 2.13 and sets it), or $MISSING_U_PYTHON.
const ROOT = path.resolve(__dirname, '..');
const SCRIPT = path.join(ROOT, 'docs', 'interop', 'load_in_pytorch.py');
const MANIFEST = path.join(__dirname, 'fixtures', 'official_state_dicts.json');

function python(): string | undefined {
  if (process.env.MISSING_U_PYTHON) return process.env.MISSING_U_PYTHON;
  if (process.env.TORCHRUN) return path.join(path.dirname(process.env.TORCHRUN), 'python');
  return undefined;
}

const found = python();
if (!found && process.env.MISSING_U_REQUIRE_TORCHRUN) {
  throw new Error('MISSING_U_REQUIRE_TORCHRUN is set but no Python torch was found (set TORCHRUN)');
}

(found ? describe : describe.skip)('PyTorch loads missing-u weights into the official layout', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-interop-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each(['cunet-paper', 'unet-paper'])('%s', (preset) => {
    const dir = path.join(tmp, preset);
    fs.mkdirSync(dir);
    {
      using model = models.create({ preset: preset as ModelPreset, seed: 0 });
      const weights: Record<string, StoredTensor> = {};
      for (const { name, tensor } of model.stateDict()) {
        weights[name] = { shape: tensor.shape, data: tensor.toFloat32Array() };
        tensor.dispose();
      }
      writeSafetensors(path.join(dir, 'ema.safetensors'), weights);
    }
    const out = execFileSync(found as string, [SCRIPT, dir, '--preset', preset, '--manifest', MANIFEST], {
      encoding: 'utf8',
    });
    const expected = (JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Record<string, unknown[]>)[preset].length;
    expect(out).toContain(`${preset}: ${expected} tensors match the official state_dict (names and shapes)`);
  });

  it('names the first tensor that differs', () => {
    const dir = path.join(tmp, 'wrong');
    fs.mkdirSync(dir);
    writeSafetensors(path.join(dir, 'ema.safetensors'), {
      'time_embed.weight': { shape: [2], data: new Float32Array(2) },
    });
    let message = '';
    try {
      execFileSync(found as string, [SCRIPT, dir, '--preset', 'cunet-paper', '--manifest', MANIFEST], {
        stdio: 'pipe',
      });
    } catch (err) {
      message = String((err as { stderr: Buffer }).stderr);
    }
    expect(message).toContain("cunet-paper: the checkpoint has no tensor 'attention_encoder4.norm.g'");
  });
});
