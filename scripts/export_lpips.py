"""Exports LPIPS v0.1 (the `lpips` package) as a TorchScript file that missing-u can load.

  pip install lpips torchvision
  python scripts/export_lpips.py lpips-alex.pt
  missing-u eval lpips --lpips lpips-alex.pt ...

The file follows missing-u's LPIPS contract (docs/lpips.md):
  forward(x: Tensor) -> List[Tensor]
      x is (B,3,H,W) float32 in [-1,1]. The module applies LPIPS's ScalingLayer
      ((x - shift) / scale, shift [-.030,-.088,-.188], scale [.458,.448,.450]) and returns the L
      backbone feature maps (AlexNet: relu1..relu5, L = 5).
  weights() -> List[Tensor]
      the L linear-head weights, each 1-D (C_l,) and non-negative: lin{l}.model[-1].weight flattened.
missing-u then computes, per image,
  LPIPS(x, y) = sum_l mean_{h,w} sum_c w_{l,c} (xn_{l,c,h,w} - yn_{l,c,h,w})^2,
  xn = f / (sqrt(sum_c f^2) + 1e-10)   (lpips.normalize_tensor)
which is what lpips.LPIPS(net, version='0.1')(x, y) returns (spatial=False, normalize=False).

After saving, the script reloads the file and compares that formula against lpips.LPIPS(...)(x, y)
on random inputs, printing the largest difference; it exits with status 1 if the difference is
larger than --tolerance.

The ImageNet-trained AlexNet trunk comes from torchvision (downloaded by torchvision on first use);
the linear heads ship inside the lpips package.
"""

import argparse
import sys
from typing import List

import torch
from torch import nn


class LpipsHead(nn.Module):
    """Holds one layer's linear-head weight, (C,), as a buffer so that .to(device) moves it."""

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.register_buffer("weight", weight.detach().flatten().clone().float())


class LpipsFeatures(nn.Module):
    """missing-u's LPIPS contract around an lpips.LPIPS model: scaling + backbone slices + head weights."""

    def __init__(self, model: nn.Module):
        super().__init__()
        if not getattr(model, "lpips", True):
            raise ValueError("the model has no linear heads (lpips=False); missing-u needs LPIPS weights")
        self.register_buffer("shift", model.scaling_layer.shift.detach().clone().float())
        self.register_buffer("scale", model.scaling_layer.scale.detach().clone().float())
        net = model.net
        self.slices = nn.ModuleList([getattr(net, f"slice{i + 1}") for i in range(net.N_slices)])
        self.heads = nn.ModuleList([LpipsHead(lin.model[-1].weight) for lin in model.lins])
        if len(self.slices) != len(self.heads):
            raise ValueError(f"{len(self.slices)} backbone slices but {len(self.heads)} linear heads")

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        h = (x - self.shift) / self.scale
        out: List[torch.Tensor] = []
        for s in self.slices:
            h = s(h)
            out.append(h)
        return out

    @torch.jit.export
    def weights(self) -> List[torch.Tensor]:
        out: List[torch.Tensor] = []
        for head in self.heads:
            out.append(head.weight)
        return out


def contract_lpips(module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """LPIPS per image from a module that follows the contract, accumulated in float64."""
    total = torch.zeros(x.shape[0], dtype=torch.float64)
    for fx, fy, w in zip(module(x), module(y), module.weights()):
        fx, fy = fx.double(), fy.double()
        nx = fx / (fx.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        ny = fy / (fy.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        d = (nx - ny).pow(2) * w.double()[None, :, None, None]
        total += d.sum(1).mean((1, 2))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="export_lpips.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("out", help="where to write the TorchScript file, e.g. lpips-alex.pt")
    parser.add_argument(
        "--net",
        choices=["alex", "vgg", "squeeze"],
        default="alex",
        help="LPIPS trunk (default alex, the LPIPS authors' recommended metric)",
    )
    parser.add_argument(
        "--pnet-rand",
        action="store_true",
        help="use a randomly initialised trunk instead of the ImageNet one (no download; only for "
        "testing this script: the result is not LPIPS)",
    )
    parser.add_argument("--check-batch", type=int, default=4, help="images per self-check batch (default 4)")
    parser.add_argument("--check-size", type=int, default=64, help="self-check image side in pixels (default 64)")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-5,
        help="largest allowed |contract - lpips| in the self-check (default 1e-5)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the self-check inputs (default 0)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    try:
        import lpips
    except ImportError:
        print("export_lpips.py needs the lpips package: pip install lpips torchvision", file=sys.stderr)
        return 2

    model = lpips.LPIPS(net=args.net, version="0.1", pnet_rand=args.pnet_rand, verbose=False).eval()
    wrapper = LpipsFeatures(model).eval()
    negative = [i for i, h in enumerate(wrapper.heads) if bool((h.weight < 0).any())]
    if negative:
        print(f"error: linear heads {negative} have negative weights; LPIPS v0.1 weights are >= 0", file=sys.stderr)
        return 1
    scripted = torch.jit.script(wrapper)
    scripted.save(args.out)
    channels = [int(h.weight.numel()) for h in wrapper.heads]
    print(f"wrote {args.out}: LPIPS v0.1 {args.net}{' (random trunk)' if args.pnet_rand else ''}, "
          f"{len(channels)} layers, channels {channels}")

    # Self-check: the saved file + missing-u's formula against the lpips package itself.
    loaded = torch.jit.load(args.out).eval()
    gen = torch.Generator().manual_seed(args.seed)
    shape = (args.check_batch, 3, args.check_size, args.check_size)
    x = torch.rand(shape, generator=gen) * 2 - 1
    pairs = {
        "random vs random": torch.rand(shape, generator=gen) * 2 - 1,
        "random vs noisy copy": (x + 0.1 * torch.randn(shape, generator=gen)).clamp(-1, 1),
        "identical": x.clone(),
    }
    worst = 0.0
    with torch.no_grad():
        for label, y in pairs.items():
            ours = contract_lpips(loaded, x, y)
            ref = model(x, y).flatten().double()
            diff = float((ours - ref).abs().max())
            worst = max(worst, diff)
            print(f"  {label}: lpips {[round(v, 6) for v in ref.tolist()]}, max |difference| {diff:.3g}")
    print(f"self-check: max |contract formula - lpips.LPIPS| = {worst:.3g} (tolerance {args.tolerance:g})")
    if worst > args.tolerance:
        print("self-check FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
