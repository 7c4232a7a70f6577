#!/usr/bin/env python3
"""Write a layercalc spec (YAML) from a Keras model.

This is a hand-run tool, NOT part of layercalc (Keras must never become a
project dependency); run it with a Python that has Keras 3 and PyYAML, e.g.

    TF_CPP_MIN_LOG_LEVEL=3 /path/to/kenv/bin/python tools/keras_to_spec.py ResNet50 -o specs/resnet50.yaml
    TF_CPP_MIN_LOG_LEVEL=3 /path/to/kenv/bin/python tools/keras_to_spec.py tools/models/unet_small.py

MODEL is a ``keras.applications`` name (built with ``weights=None`` and its
defaults) or a Python file that defines ``model``.  The spec has the model's
input(s) without the batch axis and one entry per layer in ``model.layers``
order: ``type``, ``name``, ``inputs`` where a layer does not just take the
previous entry's output, and the ``get_config()`` arguments that are not
Keras defaults (names, dtypes, initializers, regularizers and constraints are
dropped).  A header comment records where the model came from and the totals
``model.summary()`` printed.  Check the spec with tools/keras_reference.py,
which rebuilds it with Keras: its totals must be the same.
"""

from __future__ import annotations

import argparse
import inspect
import os
import runpy
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import yaml  # noqa: E402

import keras  # noqa: E402

# Arguments that never change a shape or a count, dropped whatever their value.
DROPPED = {"name", "trainable", "dtype", "autocast", "activity_regularizer"}
DROPPED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
HOLDS = {"BatchNormalization": "moving mean and variance", "Normalization": "mean, variance and count"}
FLOW_ITEMS = 8  # lists of scalars up to this length are written [a, b, c]


def load_model(source: str):
    keras.backend.clear_session()  # fresh auto-names
    if source.endswith(".py"):
        model = runpy.run_path(source).get("model")
        if not isinstance(model, keras.Model):
            raise SystemExit(f"{source} does not define a keras.Model named 'model'")
        return model, f"{source} (its `model`)"
    builder = getattr(keras.applications, source, None)
    if builder is None:
        raise SystemExit(f"keras.applications has no '{source}'")
    return builder(weights=None), f"keras.applications.{source}(weights=None), default input size, include_top=True"


def plain(value):
    """Tuples -> lists, recursively (YAML has no tuples)."""
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def is_layer_config(value) -> bool:
    return isinstance(value, dict) and "class_name" in value and isinstance(value.get("config"), dict)


def nameless(value):
    """A config without its (nested) 'name' entries, to compare two configs."""
    if isinstance(value, dict):
        return {key: nameless(item) for key, item in value.items() if key != "name"}
    if isinstance(value, (list, tuple)):
        return [nameless(item) for item in value]
    return value


def rebuilt_config(layer, config: dict):
    """The config of a layer made from `config` and called on inputs like `layer`'s (or None if that fails)."""
    arguments = layer._inbound_nodes[0].arguments
    fresh = lambda item: keras.KerasTensor(item.shape, item.dtype) if isinstance(item, keras.KerasTensor) else item
    try:
        rebuilt = type(layer).from_config(config)
        rebuilt(*keras.tree.map_structure(fresh, arguments.args), **keras.tree.map_structure(fresh, arguments.kwargs))
        return nameless(rebuilt.get_config())
    except Exception:  # noqa: BLE001 - that entry is needed
        return None


def removable(config: dict):
    """Paths of the entries to try leaving out: top-level keys, and the keys of a wrapped layer's config."""
    for key, value in config.items():
        if key in DROPPED or key.endswith(DROPPED_SUFFIXES):
            continue
        if is_layer_config(value):
            for inner in value["config"]:
                if inner not in DROPPED and not inner.endswith(DROPPED_SUFFIXES):
                    yield (key, "config", inner)
        yield (key,)


def without(config: dict, path: tuple) -> dict:
    if len(path) == 1:
        return {key: value for key, value in config.items() if key != path[0]}
    return {**config, path[0]: {**config[path[0]], path[1]: without(config[path[0]][path[1]], path[2:])}}


def args_of(config: dict) -> dict:
    """Spec arguments from a (reduced) config; a wrapped layer becomes {type: ..., its arguments}."""
    args = {}
    for key, value in config.items():
        if key in DROPPED or key.endswith(DROPPED_SUFFIXES):
            continue
        if is_layer_config(value):
            value = {"type": value["class_name"], **args_of(value["config"])}
        args[key] = plain(value)
    return args


def layer_args(layer) -> dict:
    """The get_config() arguments of a layer that Keras needs to rebuild it.

    An entry is left out when Keras, rebuilding the layer without it and calling
    it on the same inputs, gets the same config: it is the default, or what
    Keras fills in for the default (a pooling layer's strides = pool_size,
    MultiHeadAttention's value_dim = key_dim and attention_axes, the backward
    layer Bidirectional makes itself).
    """
    config = layer.get_config()
    target = nameless(config)
    kept = config
    for path in list(removable(config)):
        fewer = without(kept, path)
        if rebuilt_config(layer, fewer) == target:
            kept = fewer
    parameters = inspect.signature(type(layer).__init__).parameters
    for key in kept:
        if key not in parameters and key not in DROPPED and not key.endswith(DROPPED_SUFFIXES):
            print(f"note: {layer.name} ({type(layer).__name__}): config key '{key}' is not a constructor argument",
                  file=sys.stderr)
    return args_of(kept)


class Namer:
    """Spec references (`name` or `name:n`) for the Keras tensors that feed a layer."""

    def __init__(self, model):
        self.inputs = {}
        for tensor in model.inputs:
            layer = tensor._keras_history[0]
            self.inputs[layer.name] = "input" if len(model.inputs) == 1 else layer.name

    def ref(self, tensor) -> str:
        operation, _, index = tensor._keras_history
        if operation.name in self.inputs:
            return self.inputs[operation.name]
        if not isinstance(operation, keras.layers.Layer):
            raise SystemExit(f"'{operation.name}' ({type(operation).__name__}) is an operation, not a layer: "
                             "a spec cannot express it")
        return operation.name if len(operation._inbound_nodes[0].outputs) == 1 else f"{operation.name}:{index}"


def input_entry(tensor):
    shape = plain(tuple(tensor.shape)[1:])
    return shape if tensor.dtype == "float32" else {"shape": shape, "dtype": str(tensor.dtype)}


def model_spec(model) -> dict:
    namer = Namer(model)
    spec = {"name": model.name}
    if len(model.inputs) == 1:
        spec["input"] = input_entry(model.inputs[0])
    else:
        spec["inputs"] = {namer.ref(tensor): input_entry(tensor) for tensor in model.inputs}
    layers = []
    previous = next(iter(namer.inputs.values())) if len(model.inputs) == 1 else None
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if len(layer._inbound_nodes) != 1:
            raise SystemExit(f"layer '{layer.name}' is called {len(layer._inbound_nodes)} times: "
                             "a spec cannot share a layer")
        refs = [namer.ref(tensor) for tensor in layer._inbound_nodes[0].input_tensors]
        entry = Entry(type=type(layer).__name__, name=layer.name)
        if refs != [previous]:
            entry["inputs"] = refs[0] if len(refs) == 1 else refs
        entry.update(layer_args(layer))
        if not layer.trainable:
            entry["trainable"] = False
        layers.append(entry)
        previous = layer.name
    spec["layers"] = layers
    outputs = [namer.ref(tensor) for tensor in model.outputs]
    if outputs != [previous]:
        spec["outputs"] = outputs
    return spec


def summary_totals(model) -> list:
    """The 'Total / Trainable / Non-trainable params' lines of model.summary()."""
    lines = []
    model.summary(print_fn=lambda text, *args, **kwargs: lines.append(text))
    text = "\n".join(lines)
    return [line.strip() for line in text.splitlines() if "params:" in line]


class Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)  # indent lists under their key


def _represent_list(dumper, data):
    short = len(data) <= FLOW_ITEMS and all(
        not isinstance(item, (dict, list)) or isinstance(item, list) and len(item) <= FLOW_ITEMS
        and all(not isinstance(inner, (dict, list)) for inner in item) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=short)


class Entry(dict):
    """A layer entry: always written as a block mapping."""


def _represent_dict(dumper, data):
    # A small mapping of scalars and short lists (an input with its dtype, a wrapped layer) stays on one line.
    short = not isinstance(data, Entry) and len(data) <= 4 and all(
        not isinstance(value, (dict, list)) or isinstance(value, list) and len(value) <= FLOW_ITEMS
        and all(not isinstance(item, (dict, list)) for item in value) for value in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=short)


Dumper.add_representer(list, _represent_list)
Dumper.add_representer(dict, _represent_dict)
Dumper.add_representer(Entry, _represent_dict)


def to_yaml(model, origin: str) -> str:
    header = [
        f"# {model.name}: {origin}.",
        f"# Written by tools/keras_to_spec.py from Keras {keras.__version__} "
        f"({keras.backend.backend()} backend); model.summary() printed:",
        *[f"#   {line}" for line in summary_totals(model)],
    ]
    holders = {}
    for layer in model.layers:
        if layer.non_trainable_weights:
            holders[type(layer).__name__] = holders.get(type(layer).__name__, 0) + 1
    if holders:
        which = " and ".join(f"{count} {name} ({HOLDS.get(name, 'weights')})" for name, count in holders.items())
        header.append(f"# Non-trainable: the non-trainable weights of {which} layer(s).")
    body = yaml.dump(model_spec(model), Dumper=Dumper, sort_keys=False, width=120, default_flow_style=False)
    return "\n".join(header) + "\n" + body


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a keras.applications name (ResNet50) or a .py file defining `model`")
    parser.add_argument("-o", "--out", help="output file (default: standard output)")
    options = parser.parse_args(argv)
    model, origin = load_model(options.model)
    text = to_yaml(model, origin)
    if options.out:
        with open(options.out, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {options.out}: {len(model.layers)} layers, {model.count_params():,} params", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
