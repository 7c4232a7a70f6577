#!/usr/bin/env python3
"""Ask real PyTorch for module output shapes, parameters and buffers; write them as JSON test data.

This is a hand-run tool, NOT part of layercalc: torch and torchvision must never become project
dependencies.  Run it with a Python that has torch (and, for the models, torchvision) and PyYAML:

    /tmp/tvenv/bin/python tools/torch_reference.py

It does two things (both by default):

(a) ``tests/data/torch_rule_cases/<family>.yaml`` -> ``tests/data/torch/rule_cases/<family>.json``: each
    case builds one module ``torch.nn.<type>(**args)`` (a lowercase type is a torch function,
    ``torch.<type>(*inputs, **args)``, or ``torch.nn.functional.<type>``; torchvision's LayerNorm2d,
    Permute and StochasticDepth; ``Parameter``, a learned tensor combined with the input), runs it on
    zeros of the case's shapes with the batch in front (``batch``, default 2; ``dtype: int64`` for index inputs), in eval mode, and records the output
    shape (a list of shapes for a tuple of outputs), the parameters (trainable: requires_grad) and the
    buffer elements, or the error torch raised, constructing or running.  An argument the input
    determines and the case leaves out (in_channels, in_features, num_features, input_size, embed_dim) is given to torch as
    the input's size, as layercalc infers it;
(b) torchvision's models (``weights=None``) -> ``tests/data/torch/models/<name>.json``: one forward pass
    of a (1, 3, 224, 224) input in eval mode, every leaf module's type, output shape (its last call, from
    a forward hook), parameters and buffer elements (a torch.nn module that holds parameters beside its
    children, MultiheadAttention, as one), each parameter that no such module holds as a "Parameter"
    (ViT's class_token: its shape and count), and the totals; and the multiply-accumulates torchvision
    publishes for the model (its default weights' ``meta["_ops"]``, in G, three decimals).

Options:  --no-cases, --no-models, --family NAME (repeatable), --model NAME (repeatable).
The JSON records the torch and torchvision versions.  The tests only ever read the JSON.
"""

from __future__ import annotations

import argparse
import glob
import inspect
import os
import sys

import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_json import ROOT, rel, write_json  # noqa: E402

CASES = os.path.join(ROOT, "tests", "data", "torch_rule_cases")
OUT = os.path.join(ROOT, "tests", "data", "torch")
MODELS = ("resnet18", "resnet50", "vgg16", "mobilenet_v2", "efficientnet_b0", "vit_b_16", "convnext_tiny")
# Constructor arguments the input determines, which a case (like a spec) may leave out.
INFERRED = {"in_channels": lambda x: x.shape[1], "num_features": lambda x: x.shape[1],
            "in_features": lambda x: x.shape[-1], "input_size": lambda x: x.shape[-1],
            "embed_dim": lambda x: x.shape[-1]}


def shape_of(value):
    """A tensor's shape; a tuple of outputs as a flat list of shapes (LSTM's (output, (h_n, c_n)) as three)."""
    if isinstance(value, torch.Tensor):
        return list(value.shape)
    if isinstance(value, (tuple, list)):
        shapes = []
        for item in value:
            shape = shape_of(item)
            shapes += shape if shape and isinstance(shape[0], list) else [shape]
        return shapes
    return None


def counts(module) -> dict:
    parameters = list(module.parameters()) if isinstance(module, torch.nn.Module) else []
    buffers = list(module.buffers()) if isinstance(module, torch.nn.Module) else []
    trainable = sum(p.numel() for p in parameters if p.requires_grad)
    total = sum(p.numel() for p in parameters)
    return {"params": total, "trainable_params": trainable, "non_trainable_params": total - trainable,
            "buffers": sum(b.numel() for b in buffers)}


# torchvision's own modules a case may name, beside torch.nn's: type -> the module that defines it.
TORCHVISION = {"LayerNorm2d": "torchvision.models.convnext", "Permute": "torchvision.ops.misc",
               "StochasticDepth": "torchvision.ops"}


class LearnedTensor(torch.nn.Module):
    """A `Parameter` case: a module holding one learned tensor of `shape` that forward() combines with its
    input as torchvision's models do: x + pos_embedding (add), layer_scale * x (mul),
    torch.cat([class_token.expand(n, -1, -1), x], dim=1) (cat)."""

    def __init__(self, shape, op, dim=1):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(shape))
        self.op, self.dim = op, dim

    def forward(self, x):
        if self.op == "add":
            return x + self.weight
        if self.op == "mul":
            return self.weight * x
        return torch.cat([self.weight.expand(x.shape[0], *[-1] * (self.weight.dim() - 1)), x], dim=self.dim)


def module_class(type_name: str):
    if type_name == "Parameter":
        return LearnedTensor
    if type_name in TORCHVISION:
        import importlib

        return getattr(importlib.import_module(TORCHVISION[type_name]), type_name)
    return getattr(torch.nn, type_name)


def built(value):
    """An argument that is a module ({type: TransformerEncoderLayer, d_model: 32, ...}) as that module."""
    if isinstance(value, dict) and "type" in value:
        return getattr(torch.nn, value["type"])(**{key: built(item) for key, item in value.items() if key != "type"})
    return value


def run_case(case: dict) -> dict:
    batch = case.get("batch", 2)
    shapes = case["inputs"] if "inputs" in case else [case["input"]]
    dtype = torch.int64 if case.get("dtype") == "int64" else torch.float32
    inputs = [torch.zeros((batch, *shape), dtype=dtype) for shape in shapes]
    result = dict(case, batch=batch)
    try:
        if case["type"][0].islower():  # a torch function
            function = getattr(torch, case["type"], None) or getattr(torch.nn.functional, case["type"])
            output = function(inputs, **case["args"]) if case["type"] in ("cat", "stack") else \
                function(*inputs, **case["args"])
            module = None
        else:
            cls = module_class(case["type"])
            args = {key: built(value) for key, value in case["args"].items()}
            parameters = set(inspect.signature(cls).parameters)
            if issubclass(cls, torch.nn.RNNBase):  # RNN(*args, **kwargs)
                parameters.add("input_size")
            for name, size in INFERRED.items():
                if name in parameters and name not in args:
                    args[name] = size(inputs[0])
            module = cls(**args).eval()
            if not case.get("trainable", True):
                module.requires_grad_(False)
            with torch.no_grad():
                output = module(*inputs)
    except Exception as error:  # noqa: BLE001 - any error torch raises is the expected figure
        result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return result
    result["output_shape"] = shape_of(output)
    result.update(counts(module))
    return result


def write_cases(families) -> None:
    for path in sorted(glob.glob(os.path.join(CASES, "*.yaml"))):
        family = os.path.splitext(os.path.basename(path))[0]
        if families and family not in families:
            continue
        with open(path, encoding="utf-8") as handle:
            cases = yaml.safe_load(handle)
        results = [run_case(case) for case in cases]
        out = os.path.join(OUT, "rule_cases", f"{family}.json")
        write_json(out, {"torch_version": torch.__version__, "cases": results})
        errors = sum("error" in result for result in results)
        print(f"{rel(out)}: {len(results)} cases ({errors} errors)")


def recorded(model):
    """The modules a spec writes as layers, and the learned tensors no such module holds.  A leaf module is
    a layer; so is a torch.nn module with children that holds parameters itself (MultiheadAttention, its
    out_proj inside), recorded whole.  A parameter held by any other module (torchvision's: ViT's
    class_token, its Encoder's pos_embedding, ConvNeXt's CNBlock.layer_scale) is a learned tensor that
    forward() uses in a function, recorded on its own as a "Parameter" named module.parameter."""
    layers, tensors, inside = [], [], ()
    for module_name, module in model.named_modules():
        if inside and module_name.startswith(inside):
            continue
        own = list(module.named_parameters(recurse=False))
        children = list(module.children())
        if not children or (own and type(module).__module__.startswith("torch.nn.")):
            if module_name:
                layers.append((module_name, module))
            inside = module_name + "." if children else ()
            continue
        tensors += [(f"{module_name}.{name}" if module_name else name, tensor) for name, tensor in own]
    return layers, tensors


def write_model(name: str) -> None:
    import torchvision

    model = getattr(torchvision.models, name)(weights=None).eval()
    leaves, tensors = recorded(model)
    shapes = {}

    def hook(module_name):
        def record(module, inputs, output):
            shapes[module_name] = shape_of(output)  # the last call's, as layercalc shows a called layer
        return record

    for module_name, module in leaves:
        module.register_forward_hook(hook(module_name))
    with torch.no_grad():
        output = model(torch.zeros(1, 3, 224, 224))
    modules = [{"name": module_name, "type": type(module).__name__, "output_shape": shapes.get(module_name),
                **counts(module)} for module_name, module in leaves]
    modules += [{"name": tensor_name, "type": "Parameter", "shape": list(tensor.shape), "output_shape": None,
                 "params": tensor.numel(), "trainable_params": tensor.numel() * tensor.requires_grad,
                 "non_trainable_params": tensor.numel() * (not tensor.requires_grad), "buffers": 0}
                for tensor_name, tensor in tensors]
    out = os.path.join(OUT, "models", f"{name}.json")
    weights = torchvision.models.get_model_weights(name).DEFAULT  # its metadata only; nothing is downloaded
    write_json(out, {"torch_version": torch.__version__, "torchvision_version": torchvision.__version__,
                     "model": f"torchvision.models.{name}(weights=None)", "input": [1, 3, 224, 224],
                     "torchvision_gmacs": {"weights": str(weights), "_ops": weights.meta["_ops"]},
                     "output_shape": shape_of(output), "totals": counts(model), "modules": modules})
    print(f"{rel(out)}: {len(modules)} modules, {counts(model)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-cases", action="store_true")
    parser.add_argument("--no-models", action="store_true")
    parser.add_argument("--family", action="append", default=[])
    parser.add_argument("--model", action="append", default=[])
    options = parser.parse_args()
    torch.manual_seed(0)
    if not options.no_cases:
        write_cases(options.family)
    if not options.no_models:
        for name in options.model or MODELS:
            write_model(name)


if __name__ == "__main__":
    main()
