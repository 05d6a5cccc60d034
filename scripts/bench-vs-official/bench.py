"""missing-u against the official cDDPM code (github.com/Sergio20f/cDDPM), side by side in one run on one
machine: the official networks in PyTorch (float32, torch.autocast bfloat16, and autocast on channels-last
weights), and missing-u's matching presets (fp32, bf16) in a Node worker (worker.js) that this script
drives between its own measurements, round after round, so both see the same machine state.

  python scripts/bench-vs-official/bench.py --official ~/src/cDDPM --ema-pytorch ~/src/ema-pytorch \\
      --torchdiffeq ~/src/torchdiffeq [--threads 2] [--rounds 3] [--repeats 5] [--json out.json]

Needs PyTorch (the same version as missing-u's libtorch for a fair comparison), einops, numpy, scipy, tqdm,
matplotlib, imageio and packaging, and `npm run build:ts` done. Prints a table and the ratios
(missing-u time / official time: below 1 is faster); --json writes them with the machine's description.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from official_code import import_official  # noqa: E402

IMAGE_SIZE = 64

# (case, official network, missing-u preset, operation, batch)
CASES = [
    ("cU-Net forward, batch 1", "cunet", "cunet-paper", "forward", 1),
    ("cU-Net forward, batch 8", "cunet", "cunet-paper", "forward", 8),
    ("cU-Net training step, batch 8", "cunet", "cunet-paper", "train", 8),
    ("U-Net forward, batch 8", "unet", "unet-paper", "forward", 8),
    ("U-Net training step, batch 8", "unet", "unet-paper", "train", 8),
]
OFFICIAL_VARIANTS = ["official fp32", "official autocast bf16", "official autocast bf16 channels-last"]
OURS_VARIANTS = ["missing-u fp32", "missing-u bf16"]
# The U-Nets run channels-last by default; these time them NCHW (channelsLast: false), side by side.
NCHW_VARIANTS = ["missing-u fp32 NCHW", "missing-u bf16 NCHW"]


class Official:
    def __init__(self, ddp, cunet, device):
        torch.manual_seed(0)
        self.device = torch.device(device)
        self.networks = {
            "cunet": cunet.ConvSODEUNet().to(self.device),
            "unet": ddp.Unet(dim=64, dim_mults=(1, 2, 4, 8)).to(self.device),
        }
        self.ddp = ddp
        self.trainers = {}
        # On CUDA autocast runs float16 as the official Trainer's amp does; on the CPU, bfloat16.
        self.low = torch.float16 if self.device.type == "cuda" else torch.bfloat16

    def inputs(self, batch):
        x = torch.sin(torch.arange(batch * 3 * IMAGE_SIZE * IMAGE_SIZE, dtype=torch.float32) * 0.37)
        t = torch.tensor([(137 * (i + 1)) % 1000 for i in range(batch)])
        return x.reshape(batch, 3, IMAGE_SIZE, IMAGE_SIZE).to(self.device), t.to(self.device)

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def prepare(self, name, variant):
        net = self.networks[name]
        fmt = torch.channels_last if variant.endswith("channels-last") else torch.contiguous_format
        net.to(memory_format=fmt)
        return net, fmt, variant != "official fp32"

    def forward(self, name, variant, batch, repeats):
        net, fmt, autocast = self.prepare(name, variant)
        net.eval()
        x, t = self.inputs(batch)
        x = x.contiguous(memory_format=fmt)
        times = []
        with torch.no_grad():
            for _ in range(repeats):
                self.sync()
                started = time.perf_counter()
                with torch.autocast(self.device.type, dtype=self.low, enabled=autocast):
                    net(x, t)
                self.sync()
                times.append((time.perf_counter() - started) * 1000)
        return times

    def train(self, name, variant, batch, steps):
        """The official Trainer's step: GaussianDiffusion's loss (its defaults: pred_v, sigmoid, T = 1000)
        under autocast, backward, the gradient norm clipped at 1, Adam; the first step is left out."""
        net, fmt, autocast = self.prepare(name, variant)
        net.train()
        diffusion = self.trainers.get(name)
        if diffusion is None:
            diffusion = self.trainers[name] = self.ddp.GaussianDiffusion(net, image_size=IMAGE_SIZE)
        opt = torch.optim.Adam(diffusion.parameters(), lr=1e-4, betas=(0.9, 0.99))
        # The official Trainer scales the loss for float16 (accelerate's GradScaler); bfloat16 needs none.
        scaler = torch.amp.GradScaler(self.device.type, enabled=autocast and self.low == torch.float16)
        images = (self.inputs(4 * batch)[0] + 1) / 2  # the official code normalises [0, 1] inputs itself
        times = []
        for step in range(steps + 1):
            self.sync()
            started = time.perf_counter()
            rows = torch.randint(0, images.shape[0], (batch,), device=self.device)
            with torch.autocast(self.device.type, dtype=self.low, enabled=autocast):
                loss = diffusion(images[rows].contiguous(memory_format=fmt))
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(diffusion.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
            self.sync()
            if step > 0:
                times.append((time.perf_counter() - started) * 1000)
        return times


class Worker:
    def __init__(self, threads):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MISSING_U_NUM_THREADS=str(threads))
        self.process = subprocess.Popen(
            ["node", os.path.join(HERE, "worker.js")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        self.hello = json.loads(self.process.stdout.readline())

    def ask(self, request):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if "error" in answer:
            raise RuntimeError(f"missing-u worker: {answer['error']}")
        return answer["ms"]

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def measure(official, worker, case, variant, repeats):
    _, name, preset, op, batch = case
    if variant.startswith("official"):
        if op == "forward":
            return official.forward(name, variant, batch, repeats)
        return official.train(name, variant, batch, repeats)
    request = {"preset": preset, "batch": batch, "precision": variant.split()[1], "device": str(official.device)}
    if variant.endswith("NCHW"):
        request["options"] = {"channelsLast": False}
    if op == "forward":
        return worker.ask({"op": "forward", "repeats": repeats, **request})
    return worker.ask({"op": "train", "steps": repeats, **request})


def cpu_name():
    """The CPU model as /proc/cpuinfo names it (platform.processor() is empty on Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def ratios(ms, best):
    """missing-u's time over the official code's: below 1 is faster."""
    low = OFFICIAL_VARIANTS[1].split()[-1]  # bf16 on the CPU, fp16 on CUDA
    return {
        "fp32 / official fp32": round(ms["missing-u fp32"] / ms["official fp32"], 3),
        f"{low} / official fp32": round(ms[f"missing-u {low}"] / ms["official fp32"], 3),
        f"{low} / official autocast {low}": round(ms[f"missing-u {low}"] / ms[OFFICIAL_VARIANTS[1]], 3),
        "best / official best": round(min(ms[v] for v in OURS_VARIANTS) / best, 3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--official", required=True, help="a checkout of github.com/Sergio20f/cDDPM")
    parser.add_argument("--ema-pytorch", required=True, help="a checkout of github.com/lucidrains/ema-pytorch")
    parser.add_argument("--torchdiffeq", required=True, help="a checkout of github.com/rtqichen/torchdiffeq")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every variant (medians of medians)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per variant and round (after a warm-up)")
    parser.add_argument("--cases", default="", help="comma-separated case numbers (1-based); default all")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (there the low precision is float16)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    ddp, cunet, _, version = import_official(args.official, args.ema_pytorch, args.torchdiffeq)
    official = Official(ddp, cunet, args.device)
    if official.device.type == "cuda":
        global OFFICIAL_VARIANTS, OURS_VARIANTS
        OFFICIAL_VARIANTS = [v.replace("bf16", "fp16") for v in OFFICIAL_VARIANTS]
        OURS_VARIANTS = ["missing-u fp32", "missing-u fp16", "missing-u bf16"]
    worker = Worker(args.threads)
    cases = [CASES[int(i) - 1] for i in args.cases.split(",")] if args.cases else CASES

    results = []
    for case in cases:
        variants = OFFICIAL_VARIANTS + OURS_VARIANTS + (NCHW_VARIANTS if case[1] == "unet" else [])
        for variant in variants:  # warm-up: first calls allocate, pick kernels and cast weights
            measure(official, worker, case, variant, 1)
        rounds = {variant: [] for variant in variants}
        for _ in range(args.rounds):
            for variant in variants:
                rounds[variant].append(statistics.median(measure(official, worker, case, variant, args.repeats)))
        ms = {variant: statistics.median(values) for variant, values in rounds.items()}
        best = min(ms[v] for v in OFFICIAL_VARIANTS)
        row = {
            "case": case[0],
            "ms": {v: round(value, 1) for v, value in ms.items()},
            "ratios": ratios(ms, best),
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    worker.close()

    columns = OFFICIAL_VARIANTS + OURS_VARIANTS + NCHW_VARIANTS
    header = ["case"] + columns + list(results[0]["ratios"]) if results else []
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in results:
        cells = [row["case"]] + [f"{row['ms'][v]:.1f} ms" if v in row["ms"] else "—" for v in columns]
        cells += [f"{value:.2f}x" for value in row["ratios"].values()]
        print("| " + " | ".join(cells) + " |")

    report = {
        "machine": {
            "cpu": cpu_name(),
            "device": args.device,
            "gpu": torch.cuda.get_device_name() if args.device.startswith("cuda") else None,
            "threads": args.threads,
            "torch": torch.__version__,
            "official": {"version": version},
            "missing-u threads": worker.hello["threads"],
        },
        "rounds": args.rounds,
        "repeats": args.repeats,
        "results": results,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
