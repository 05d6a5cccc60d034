"""Loads a missing-u checkpoint's weights into PyTorch (docs/interop.md).

  python docs/interop/load_in_pytorch.py CHECKPOINT_DIR --preset cunet-paper \\
      [--manifest test/fixtures/official_state_dicts.json] [--official PATH_TO_cDDPM]

It reads CHECKPOINT_DIR/ema.safetensors with torch alone (no safetensors package needed) into a
state dict and then:
  --manifest   checks its names, order and shapes against the official classes' state_dict keys
               (recorded by test/fixtures/make_official_fixture.py from the official code): the check
               CI runs, where the official code is not available;
  --official   builds the official class (ConvSODEUNet() for cunet-paper, Unet(dim=64,
               dim_mults=(1, 2, 4, 8)) for unet-paper) from a checkout of github.com/Sergio20f/cDDPM
               and loads the state dict with strict=True, then runs one forward pass.
"""

import argparse
import json
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16}


def load_safetensors(path):
    """The tensors of a safetensors file, in file order, as a plain dict (like safetensors.torch.load_file)."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    header.pop("__metadata__", None)
    state = {}
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[entry["dtype"]])
        state[name] = flat.reshape(entry["shape"])
    return state


def check_manifest(state, manifest, preset):
    expected = manifest[preset]
    names = set(state)
    for name, shape in expected:
        if name not in names:
            sys.exit(f"{preset}: the checkpoint has no tensor {name!r} {shape}, which the official class has")
        if list(state[name].shape) != shape:
            sys.exit(f"{preset}: {name!r} is {list(state[name].shape)} in the checkpoint, {shape} in the official class")
    extra = names - {name for name, _ in expected}
    if extra:
        sys.exit(f"{preset}: the checkpoint has tensors the official class does not: {sorted(extra)[:5]}")
    print(f"{preset}: {len(expected)} tensors match the official state_dict (names and shapes)")


def official_network(official, preset):
    sys.path.insert(0, os.path.abspath(official))
    if preset == "cunet-paper":
        from cUNet import ConvSODEUNet

        return ConvSODEUNet()
    from denoising_diffusion_pytorch import Unet

    return Unet(dim=64, dim_mults=(1, 2, 4, 8))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a missing-u checkpoint folder (or an .safetensors file)")
    parser.add_argument("--preset", required=True, choices=["cunet-paper", "unet-paper"])
    parser.add_argument("--manifest", help="official_state_dicts.json")
    parser.add_argument("--official", help="a checkout of github.com/Sergio20f/cDDPM")
    args = parser.parse_args()
    path = args.checkpoint
    if os.path.isdir(path):
        path = os.path.join(path, "ema.safetensors")
    state = load_safetensors(path)
    if args.manifest:
        with open(args.manifest) as f:
            check_manifest(state, json.load(f), args.preset)
    if args.official:
        network = official_network(args.official, args.preset)
        network.load_state_dict(state, strict=True)
        with torch.no_grad():
            y = network.eval()(torch.randn(1, 3, 64, 64), torch.tensor([500]))
        print(f"{args.preset}: loaded with strict=True; forward gives {tuple(y.shape)}")


if __name__ == "__main__":
    main()
