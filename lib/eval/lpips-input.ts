import { tensor, type Tensor } from '../tensor';

// LPIPS's AlexNet needs inputs of at least 31x31 and RGB: grey images are repeated over three
// channels and small images enlarged by an integer factor (nearest) to at least 64 pixels.
const LPIPS_MIN_SIDE = 64;

export function lpipsInput(images: Tensor): Tensor {
  const [n, c, h, w] = images.shape;
  const k = Math.max(1, Math.ceil(LPIPS_MIN_SIDE / Math.min(h, w)));
  const [H, W] = [h * k, w * k];
  const src = images.toFloat32Array();
  const out = new Float32Array(n * 3 * H * W);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < 3; ch++) {
      const from = (i * c + (c === 3 ? ch : 0)) * h * w;
      const to = (i * 3 + ch) * H * W;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) out[to + y * W + x] = src[from + Math.floor(y / k) * w + Math.floor(x / k)];
      }
    }
  }
  return tensor(out, [n, 3, H, W]);
}
