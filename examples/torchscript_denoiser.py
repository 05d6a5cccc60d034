"""Writes denoiser.pt: a small denoiser in PyTorch, saved as TorchScript for missing-u.

    python torchscript_denoiser.py [denoiser.pt]      (PyTorch 2.x; missing-u's libtorch is 2.13)

missing-u calls forward(x, t) at every reverse step:
  x  float32 (B, C, H, W): x_t, from x_T ~ N(0, I) down to images in about [-1, 1]
  t  int64 (B,): the diffusion step of x_t, in [0, T) (respaced runs keep the T-step numbering)
and expects the objective's prediction (eps, x0 or v) of x's shape back. With precision 'bf16' the
forward runs under autocast. It may be untrained: the example samples it either way.
"""

import math
import sys

import torch
from torch import nn


class TinyDenoiser(nn.Module):
    def __init__(self, channels: int = 1, width: int = 8, time_dim: int = 16):
        super().__init__()
        self.time_dim = time_dim
        self.conv_in = nn.Conv2d(channels, width, 3, padding=1)
        self.norm = nn.GroupNorm(2, width)
        self.time = nn.Linear(time_dim, 2 * width)
        self.conv_out = nn.Conv2d(width, channels, 3, padding=1)

    def embed(self, t: torch.Tensor) -> torch.Tensor:
        half = self.time_dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        angles = t.float()[:, None] * freqs[None, :]
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = self.norm(self.conv_in(x))
        scale, shift = self.time(self.embed(t)).chunk(2, dim=1)
        h = h * (scale[:, :, None, None] + 1) + shift[:, :, None, None]
        return self.conv_out(nn.functional.silu(h))


if __name__ == "__main__":
    torch.manual_seed(0)
    torch.jit.script(TinyDenoiser().eval()).save(sys.argv[1] if len(sys.argv) > 1 else "denoiser.pt")
