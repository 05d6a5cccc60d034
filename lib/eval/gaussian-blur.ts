import { tensor, type Tensor } from '../tensor';

function kernel(sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  return k.map((v) => v / sum);
}

// Reflect at the border without repeating the edge pixel (…c b | a b c…), like scipy's 'mirror'.
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/**
 * Gaussian blur of images (N, C, H, W), each channel separately, then clipped to [-1, 1]; sigma 0
 * only clips. The training-free baseline of the denoising study.
 */
export function gaussianBlur(images: Tensor, sigma: number): Tensor {
  const [n, c, h, w] = images.shape;
  const src = images.toFloat32Array();
  const out = new Float32Array(src.length);
  if (sigma <= 0) {
    for (let i = 0; i < src.length; i++) out[i] = Math.min(1, Math.max(-1, src[i]));
    return tensor(out, images.shape);
  }
  const k = kernel(sigma);
  const r = (k.length - 1) / 2;
  const row = new Float64Array(h * w);
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * src[base + y * w + mirror(x + j, w)];
        row[y * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * row[mirror(y + j, h) * w + x];
        out[base + y * w + x] = Math.min(1, Math.max(-1, s));
      }
    }
  }
  return tensor(out, images.shape);
}
