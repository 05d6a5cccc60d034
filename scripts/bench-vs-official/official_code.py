"""Imports the official cDDPM code (github.com/Sergio20f/cDDPM) from local checkouts, with ema-pytorch and
torchdiffeq beside it. Only the modules that build, train and run the networks are loaded: the Trainer's
other imports (torchvision, accelerate, the FID module) are never used by them, so they are stood in for
when absent. Used by bench.py and by test/fixtures/make_official_fixture.py."""

import importlib
import os
import sys
import types


def import_official(official, ema_pytorch, torchdiffeq):
    """Returns (denoising_diffusion_pytorch module, cUNet module, ema_pytorch module, version string)."""
    for folder in (official, ema_pytorch, torchdiffeq):
        sys.path.insert(0, os.path.abspath(folder))
    for name in ("torchvision", "torchvision.transforms", "torchvision.utils", "accelerate"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["torchvision"].transforms = sys.modules["torchvision.transforms"]
    sys.modules["torchvision"].utils = sys.modules["torchvision.utils"]
    sys.modules["accelerate"].Accelerator = object
    fid = types.ModuleType("denoising_diffusion_pytorch.fid_evaluation")
    fid.FIDEvaluation = object
    sys.modules[fid.__name__] = fid
    # The package's __init__ imports every variant; load only the module the Trainer lives in.
    package = types.ModuleType("denoising_diffusion_pytorch")
    package.__path__ = [os.path.join(os.path.abspath(official), "denoising_diffusion_pytorch")]
    sys.modules["denoising_diffusion_pytorch"] = package
    ddp = importlib.import_module("denoising_diffusion_pytorch.denoising_diffusion_pytorch")
    version = importlib.import_module("denoising_diffusion_pytorch.version").__version__
    cunet = importlib.import_module("cUNet")
    ema = importlib.import_module("ema_pytorch")
    return ddp, cunet, ema, version
