#!/usr/bin/env python3
"""Ask real Keras for layer output shapes and parameter counts; write them as JSON test data.

This is a hand-run tool, NOT part of layercalc: Keras and TensorFlow must never
become project dependencies.  Run it from any directory with a Python that has
Keras 3 (+ a backend) and PyYAML installed, e.g.

    TF_CPP_MIN_LOG_LEVEL=3 /path/to/kenv/bin/python tools/keras_reference.py

It does two things (both by default):

(a) every ``specs/*.yaml`` -> ``tests/data/keras/specs/<stem>.json``
    (the whole model built with ``keras.Model``; per-layer output shapes and
    trainable / non-trainable parameter counts, plus model totals);
(b) ``tests/data/rule_cases/<family>.yaml`` -> ``tests/data/keras/rule_cases/<family>.json``
    (one layer per case, its output shape and counts, or the error Keras raised).

Options:
    SPEC ...        build only these spec files (default: specs/*.yaml)
    --out DIR       where spec JSON goes (default: tests/data/keras/specs)
    --no-specs      skip (a)
    --no-cases      skip (b)
    --family NAME   only this rule-case family (repeatable; default: all)

Exit status is 1 if any spec failed to build (the others are still written).
The tests only ever read the JSON; they never import Keras.
"""

from __future__ import annotations

import argparse
import glob
import inspect
import json
import os
import re
import sys
import traceback

# Some Keras messages print Python sets ({'same', 'valid'}), whose order depends on
# string hashing: re-run under a fixed hash seed so the JSON is reproducible.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

import keras  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC_GLOB = os.path.join(ROOT, "specs", "*.yaml")
SPEC_OUT = os.path.join(ROOT, "tests", "data", "keras", "specs")
CASES_IN = os.path.join(ROOT, "tests", "data", "rule_cases")
CASES_OUT = os.path.join(ROOT, "tests", "data", "keras", "rule_cases")

RESERVED_LAYER_KEYS = ("type", "name", "inputs", "repeat", "trainable")
ERROR_CHARS = 300


# -- helpers -------------------------------------------------------------------


def header() -> dict:
    return {"keras_version": keras.__version__, "backend": keras.backend.backend()}


def to_keras_arg(value):
    """YAML lists -> tuples (recursively), which is what Keras expects for shape-like args."""
    if isinstance(value, list):
        return tuple(to_keras_arg(item) for item in value)
    if isinstance(value, dict):
        return {key: to_keras_arg(item) for key, item in value.items()}
    return value


def make_layer(layer_type: str, args: dict, name=None):
    cls = getattr(keras.layers, layer_type, None)
    if cls is None or not isinstance(cls, type):
        raise ValueError(f"keras.layers has no layer class '{layer_type}'")
    kwargs = {
        # A mapping with a 'type' is a wrapped layer (Bidirectional, TimeDistributed); its name
        # and trainable keys are constructor arguments too.
        key: make_layer(value["type"], {k: v for k, v in value.items() if k != "type"})
        if isinstance(value, dict) and "type" in value else to_keras_arg(value)
        for key, value in args.items()
    }
    if name is not None:
        kwargs["name"] = name
    return cls(**kwargs)


def call_layer(layer, tensors):
    """One input: layer(x); several: layer([x1, x2, ...]), or layer(x1, x2, ...) when
    call() takes them as separate arguments (MultiHeadAttention's query, value, key)."""
    if len(tensors) > 1 and next(iter(inspect.signature(layer.call).parameters)) != "inputs":
        return layer(*tensors)
    return layer(tensors[0] if len(tensors) == 1 else list(tensors))


def shape_of(output):
    """Output shape(s) as JSON lists (None -> null); a list of shapes for several outputs."""
    if isinstance(output, (list, tuple)):
        return [shape_of(item) for item in output]
    if isinstance(output, dict):
        return {key: shape_of(item) for key, item in output.items()}
    return [None if dim is None else int(dim) for dim in output.shape]


def count(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def layer_counts(layer) -> dict:
    return {
        "trainable_params": count(layer.trainable_weights),
        "non_trainable_params": count(layer.non_trainable_weights),
    }


_WRAPPED = re.compile(r"Exception encountered when calling .*?\x1b\[1m(.*?)\x1b\[0m", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def error_text(exc: BaseException) -> str:
    """'Class: message' on one line, at most ERROR_CHARS characters of message.

    Keras re-raises errors from a layer's call() as "Exception encountered when
    calling X.call(). <bold>original message</bold> Arguments received by ...";
    keep only the original message (the rest holds tensor reprs, not rules).
    """
    message = str(exc)
    wrapped = _WRAPPED.search(message)
    if wrapped:
        message = wrapped.group(1)
    message = " ".join(_ANSI.sub("", message).split())  # one line, whitespace collapsed
    return f"{type(exc).__name__}: {message[:ERROR_CHARS]}"


def to_json(value, indent: int = 0) -> str:
    """Indented JSON, but a list of scalars (a shape, a kernel size) stays on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(key))}: {to_json(item, indent + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, (list, tuple)):
        if all(not isinstance(item, (dict, list, tuple)) for item in value):
            return json.dumps(list(value))
        items = [f"{inner}{to_json(item, indent + 1)}" for item in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value)


def write_json(path: str, data) -> None:
    json.loads(to_json(data))  # sanity: what we write must parse
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(to_json(data) + "\n")


def rel(path: str) -> str:
    absolute = os.path.abspath(path)
    if absolute.startswith(ROOT + os.sep):
        return os.path.relpath(absolute, ROOT).replace(os.sep, "/")
    return path


# -- (a) whole specs ------------------------------------------------------------


def spec_inputs(spec: dict):
    """[(name, shape, dtype)] in spec order."""
    if "input" in spec and "inputs" in spec:
        raise ValueError("give either 'input' or 'inputs', not both")
    if "input" in spec:
        raw = {"input": spec["input"]}
    elif "inputs" in spec:
        raw = spec["inputs"]
        if not isinstance(raw, dict) or not raw:
            raise ValueError("'inputs' must be a mapping of names to shapes")
    else:
        raise ValueError("spec has no 'input' or 'inputs'")
    result = []
    for name, value in raw.items():
        dtype = "float32"
        if isinstance(value, dict):
            dtype = value.get("dtype", dtype)
            value = value["shape"]
        if not isinstance(value, list):
            raise ValueError(f"input '{name}': shape must be a list")
        result.append((str(name), tuple(value), dtype))
    return result


def as_names(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return list(value)
    raise ValueError(f"expected a name or a list of names, found {value!r}")


def build_model(spec: dict):
    """Build a keras.Model from a parsed spec (in a fresh Keras session)."""
    keras.backend.clear_session()
    batch = spec.get("batch")
    entries = spec.get("layers")
    if not isinstance(entries, list) or not entries:
        raise ValueError("'layers' must be a non-empty list")

    tensors = {}  # name -> symbolic tensor (or list of tensors)
    input_tensors = []
    input_names = []
    for name, shape, dtype in spec_inputs(spec):
        input_names.append(name)
        tensor = keras.Input(shape=shape, batch_size=batch, dtype=dtype, name=name)
        tensors[name] = tensor
        input_tensors.append(tensor)

    # Instantiate every layer in spec list order, so Keras' auto-names are deterministic.
    layers = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or "type" not in entry:
            raise ValueError(f"layer #{index} is not a mapping with a 'type'")
        if "repeat" in entry:
            raise ValueError(f"layer #{index}: 'repeat' is not supported")
        args = {key: value for key, value in entry.items() if key not in RESERVED_LAYER_KEYS}
        layer = make_layer(entry["type"], args, entry.get("name"))
        if entry.get("trainable", True) is False:
            layer.trainable = False
        layers.append(layer)

    # Each layer's name is its explicit name or its Keras auto-name (both are referable).
    by_name = {}
    for index, layer in enumerate(layers):
        if layer.name in by_name or layer.name in tensors:
            raise ValueError(f"duplicate layer or input name '{layer.name}'")
        by_name[layer.name] = index

    deps = []
    for index, entry in enumerate(entries):
        if "inputs" in entry:
            names = as_names(entry["inputs"])
        elif index > 0:
            names = [layers[index - 1].name]
        elif len(input_tensors) == 1:
            names = [input_names[0]]
        else:
            raise ValueError("the first layer must name its 'inputs' when the spec has several inputs")
        for name in names:
            if name not in by_name and name not in tensors:
                raise ValueError(f"layer '{layers[index].name}': unknown input '{name}'")
        deps.append(names)

    # Topological order; among ready layers the earliest in list order goes first.
    done = set(tensors)
    pending = list(range(len(layers)))
    while pending:
        for position, index in enumerate(pending):
            if all(name in done for name in deps[index]):
                break
        else:
            stuck = ", ".join(layers[i].name for i in pending)
            raise ValueError(f"cycle (or unreachable inputs) among layers: {stuck}")
        pending.pop(position)
        layer = layers[index]
        tensors[layer.name] = call_layer(layer, [tensors[name] for name in deps[index]])
        done.add(layer.name)

    if "outputs" in spec and spec["outputs"] is not None:
        output_names = as_names(spec["outputs"])
    else:
        output_names = [layers[-1].name]
    for name in output_names:
        if name not in tensors:
            raise ValueError(f"unknown output '{name}'")
    outputs = [tensors[name] for name in output_names]
    model = keras.Model(
        inputs=input_tensors[0] if len(input_tensors) == 1 else input_tensors,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=str(spec["name"]) if spec.get("name") is not None else None,
    )
    return model


def spec_figures(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    if not isinstance(spec, dict):
        raise ValueError("a spec must be a mapping")
    model = build_model(spec)
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        layers.append({
            "name": layer.name,
            "class": type(layer).__name__,
            "output_shape": shape_of(layer.output),
            **layer_counts(layer),
        })
    return {
        **header(),
        "spec": rel(path),
        "layers": layers,
        "totals": {
            "params": int(model.count_params()),
            "trainable_params": count(model.trainable_weights),
            "non_trainable_params": count(model.non_trainable_weights),
        },
    }


def run_specs(paths, out_dir: str) -> int:
    failures = 0
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        target = os.path.join(out_dir, f"{stem}.json")
        try:
            data = spec_figures(path)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            failures += 1
            print(f"FAILED {rel(path)}: {error_text(exc)}", file=sys.stderr)
            if os.environ.get("KERAS_REFERENCE_DEBUG"):
                traceback.print_exc()
            if os.path.exists(target):
                os.remove(target)  # never leave figures of an older version of the spec
                print(f"  removed stale {rel(target)}", file=sys.stderr)
            continue
        write_json(target, data)
        totals = data["totals"]
        print(f"wrote {rel(target)}: {len(data['layers'])} layers, {totals['params']} params "
              f"({totals['trainable_params']} trainable)")
    return failures


# -- (b) single-layer rule cases ------------------------------------------------


def run_case(case: dict) -> dict:
    case_id = case.get("id")
    layer_type = case["type"]
    args = case.get("args") or {}
    batch = case.get("batch")
    trainable = case.get("trainable", True)
    record = {"id": case_id, "type": layer_type, "args": args}
    if "inputs" in case:
        record["inputs"] = case["inputs"]
        shapes = case["inputs"]
    else:
        record["input"] = case["input"]
        shapes = [case["input"]]
    record.update({"batch": batch, "trainable": trainable, "source": case.get("source")})

    keras.backend.clear_session()  # fresh auto-names (they can appear in error messages)
    try:
        tensors = [keras.Input(shape=tuple(shape), batch_size=batch) for shape in shapes]
        layer = make_layer(layer_type, args)
        if not trainable:
            layer.trainable = False
        output = call_layer(layer, tensors)
        record["output_shape"] = shape_of(output)
        record.update(layer_counts(layer))
    except Exception as exc:  # noqa: BLE001 - construction or call errors are data here
        record["error"] = error_text(exc)
    return record


def run_cases(cases_in: str, cases_out: str) -> None:
    if not os.path.exists(cases_in):
        print(f"no {rel(cases_in)}; skipping rule cases")
        return
    with open(cases_in, encoding="utf-8") as handle:
        cases = yaml.safe_load(handle) or []
    ids = [case.get("id") for case in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SystemExit(f"duplicate case ids in {rel(cases_in)}: {duplicates}")
    records = []
    for case in cases:
        try:
            records.append(run_case(case))
        except Exception as exc:  # noqa: BLE001 - a malformed case must not stop the others
            print(f"BAD CASE {case.get('id')!r}: {error_text(exc)}", file=sys.stderr)
    write_json(cases_out, {**header(), "cases": records})
    errors = sum(1 for record in records if "error" in record)
    print(f"wrote {rel(cases_out)}: {len(records)} cases ({errors} record a Keras error)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="*", help="spec files (default: specs/*.yaml)")
    parser.add_argument("--out", default=SPEC_OUT, help="directory for spec JSON")
    parser.add_argument("--no-specs", action="store_true", help="skip whole-spec figures")
    parser.add_argument("--no-cases", action="store_true", help="skip rule cases")
    parser.add_argument("--family", action="append", help="only these rule-case families (default: all)")
    options = parser.parse_args(argv)

    failures = 0
    if not options.no_specs:
        paths = options.specs or sorted(glob.glob(SPEC_GLOB))
        if not paths:
            print(f"no specs matched {rel(SPEC_GLOB)}")
        failures = run_specs(paths, options.out)
    if not options.no_cases:
        os.makedirs(CASES_OUT, exist_ok=True)
        for path in sorted(glob.glob(os.path.join(CASES_IN, "*.yaml"))):
            family = os.path.splitext(os.path.basename(path))[0]
            if options.family and family not in options.family:
                continue
            run_cases(path, os.path.join(CASES_OUT, family + ".json"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
