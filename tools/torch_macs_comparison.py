#!/usr/bin/env python3
"""Ask torchinfo, fvcore and ptflops for the multiply-accumulates of torchvision's models; write them as JSON.

A hand-run tool, NOT part of layercalc (README, "PyTorch models": the MACs comparison).  Run it with a
Python that has torch, torchvision, torchinfo, fvcore and ptflops:

    /tmp/tvenv/bin/python tools/torch_macs_comparison.py

For each model (``weights=None``, a (1, 3, 224, 224) input, eval mode) it records torchinfo's
``total_mult_adds``; fvcore's ``FlopCountAnalysis.total()`` and its ``by_operator()``; ptflops'
``get_model_complexity_info`` total, and what ptflops' own module hooks (``MODULES_MAPPING``) count per
module type in one more forward pass, so that the rest of its total (the torch.nn.functional calls it
patches, counted again inside the modules that make them) shows.  Output:
``tests/data/torch/macs_comparison.json``, with the tools' versions.
"""

from __future__ import annotations

import collections
import os
import sys
import warnings
from importlib.metadata import version

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_json import ROOT, rel, write_json  # noqa: E402
from torch_reference import MODELS  # noqa: E402

warnings.filterwarnings("ignore")


def compare(name: str) -> dict:
    from fvcore.nn import FlopCountAnalysis
    from ptflops import get_model_complexity_info
    from ptflops import pytorch_ops
    from torchinfo import summary

    model = getattr(torchvision.models, name)(weights=None).eval()
    example = torch.zeros(1, 3, 224, 224)
    torchinfo_total = summary(model, input_data=example, verbose=0).total_mult_adds
    fvcore = FlopCountAnalysis(model, example)
    fvcore.unsupported_ops_warnings(False)
    fvcore.uncalled_modules_warnings(False)
    ptflops_total, _ = get_model_complexity_info(model, (3, 224, 224), as_strings=False,
                                                 print_per_layer_stat=False, verbose=False)
    leaves = [module for module in model.modules() if not list(module.children())]
    for module in leaves:
        module.__flops__ = 0
        hook = pytorch_ops.MODULES_MAPPING.get(type(module))
        if hook is not None:
            module.register_forward_hook(hook)
    with torch.no_grad():
        model(example)
    by_module = collections.Counter()
    for module in leaves:
        by_module[type(module).__name__] += int(module.__flops__)
    return {"torchinfo": torchinfo_total, "fvcore": fvcore.total(), "fvcore_by_operator": dict(fvcore.by_operator()),
            "ptflops": ptflops_total, "ptflops_module_hooks": dict(by_module),
            "ptflops_functional": ptflops_total - sum(by_module.values())}


def main() -> None:
    data = {"torch_version": torch.__version__, "torchvision_version": torchvision.__version__,
            "torchinfo_version": version("torchinfo"), "fvcore_version": version("fvcore"),
            "ptflops_version": version("ptflops"), "input": [1, 3, 224, 224],
            "models": {name: compare(name) for name in MODELS}}
    out = os.path.join(ROOT, "tests", "data", "torch", "macs_comparison.json")
    write_json(out, data)
    print(f"{rel(out)}: {', '.join(MODELS)}")


if __name__ == "__main__":
    main()
