#!/usr/bin/env python3
"""Ask real Keras for layer output shapes and parameter counts; write them as JSON test data.

This is a hand-run tool, NOT part of layercalc: Keras and TensorFlow must never
become project dependencies.  Run it from any directory with a Python that has
Keras 3 (+ a backend) and PyYAML installed, e.g.

    TF_CPP_MIN_LOG_LEVEL=3 /path/to/kenv/bin/python tools/keras_reference.py

It does two things (both by default):

(a) every ``specs/*.yaml`` -> ``tests/data/keras/specs/<stem>.json``
    (the whole model built with ``keras.Model``; per-layer output shapes and
    trainable / non-trainable parameter counts, plus model totals).  Specs are
    read with layercalc's own parser (``calc.readers.parse_spec``), which expands
    blocks and ``repeat``; a block's layer ``stage/conv`` is named ``stage_conv``
    in Keras.  An operation entry (``type: ops.add``) calls keras.ops as a rule case does (see (b)),
    and its Keras operation takes the entry's name; it is recorded among the layers (Keras'
    ``model.operations`` order) with ``"operation": true``.  A spec of specs/ rewritten with blocks whose flat version is in
    ``tests/data/flat_specs/`` (one entry per Keras layer, Keras' own names) is
    built twice: the figures written are the flat version's, and the blocks
    version must give the same model (totals and every layer's figures), or
    the spec fails;
(b) ``tests/data/rule_cases/<family>.yaml`` -> ``tests/data/keras/rule_cases/<family>.json``
    (one layer per case, its output shape and counts, or the error Keras raised; a case's
    ``dtype`` is its inputs' dtype, float32 by default: ``string`` for StringLookup).
    A case with ``real_call: true`` takes its output shape from a call on arrays
    (see ``real_call_shape``), for layers whose symbolic shape differs from the
    tensor they return; the symbolic one is kept as ``symbolic_output_shape``.
    A family in LAYER_MODULES takes its layer classes from that module instead of
    ``keras.layers`` (``keras_hub`` -> ``keras_hub.layers``; install keras-hub in the
    scratch environment), and its JSON records that package's version too.
    A case of the ops family (``type: ops.add``) calls the keras.ops function of that
    name (``keras.ops.add``) on its input tensors, with the case's arguments: a
    constant operand (``x2: 3.0``) and constructor arguments (``axis``) by name, the
    tensors in the function's other tensor parameters (layercalc's rule says which:
    ``call_parameters``); ``ops.get_item`` indexes with its ``key`` (``":, 1:3"``).

A spec argument in CALL_ARGUMENTS is one Keras takes when the layer is called, not
when it is made (``return_attention_scores``, ``use_causal_mask``); the tool passes it to the call.

Shared calls (``{call: wte, reverse: true}``, a block instance's call) call the same Keras
layer object again, with the call's arguments (``reverse=True``) passed to the call; a layer
is always called first at its own entry, so its ``output_shape`` (Keras' node 0) is that
call's, and every later call's output shape is recorded under the layer as
``"calls": {"<call name, / as _>": shape}`` (``model.summary()`` shows a shared layer once).

Symbolic dimensions (``batch: B``, ``shape: [T]``) are bound with ``--set T=1024`` (as
``layercalc --set`` binds them), never left unknown (``None``) in Keras: bound, every axis of
every output shape is checked exactly, and a wrong expression cannot hide behind an unknown
axis.  A ``--set`` binds the symbol in the specs that have it; the values used are written as
``"bindings"`` in the spec's JSON, and the tests analyze the spec with the same values.  A spec
with a symbol left unbound fails.  A spec whose layercalc total exceeds ``--max-params``
(default 1,000,000,000) is refused before Keras makes its weights (Llama 3 8B would take 32 GB).

Options:
    SPEC ...        build only these spec files (default: specs/*.yaml)
    --out DIR       where spec JSON goes (default: tests/data/keras/specs)
    --no-specs      skip (a)
    --no-cases      skip (b)
    --family NAME   only this rule-case family (repeatable; default: all)
    --set SYMBOL=N  bind a symbolic dimension in the specs that have it (repeatable)
    --max-params N  refuse specs with more parameters (layercalc's count; default 1e9)

Exit status is 1 if any spec failed to build (the others are still written).
The tests only ever read the JSON; they never import Keras.
"""

from __future__ import annotations

import argparse
import glob
import importlib
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_json import rel, to_json, write_json  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# layercalc's own parser expands blocks and repeat (calc imports only PyYAML and the standard library).
sys.path.insert(0, ROOT)
from calc import analyze  # noqa: E402  (only to refuse a spec too large to build, before Keras makes it)
from calc.graph import _assign_names, _called_layer  # noqa: E402  (layercalc's names; whose weights a call uses)
from calc.readers import parse_spec  # noqa: E402

SPEC_GLOB = os.path.join(ROOT, "specs", "*.yaml")
SPEC_OUT = os.path.join(ROOT, "tests", "data", "keras", "specs")
FLAT_SPECS = os.path.join(ROOT, "tests", "data", "flat_specs")
CASES_IN = os.path.join(ROOT, "tests", "data", "rule_cases")
CASES_OUT = os.path.join(ROOT, "tests", "data", "keras", "rule_cases")

ERROR_CHARS = 300
# Spec arguments that Keras takes as call arguments, not constructor ones.
CALL_ARGUMENTS = ("return_attention_scores", "use_causal_mask")
MAX_PARAMS = 1_000_000_000  # a spec larger than this is refused (its float32 weights would be 4 GB or more)
# Rule-case families whose layer classes come from another package's layers module than keras.layers.
LAYER_MODULES = {"keras_hub": "keras_hub"}
# The layers keras.applications defines for its models (the applications family): not in keras.layers.
APPLICATION_LAYERS = {"LayerScale": "keras.src.applications.convnext", "StochasticDepth": "keras.src.applications.convnext",
                      "CustomScaleLayer": "keras.src.applications.inception_resnet_v2",
                      # a Keras Hub model's layer, not in keras_hub.layers
                      "Qwen3Attention": "keras_hub.src.models.qwen3.qwen3_attention",
                      "Gemma3InterleaveEmbeddings": "keras_hub.src.models.gemma3.gemma3_layers"}
REAL_CALL_BATCHES = (2, 3)  # a real call with an unknown batch runs on both: an axis that differs is unknown


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


def make_layer(layer_type: str, args: dict, name=None, package=keras):
    cls = getattr(package.layers, layer_type, None)
    if cls is None and layer_type in APPLICATION_LAYERS:
        cls = getattr(importlib.import_module(APPLICATION_LAYERS[layer_type]), layer_type)
    if cls is None or not isinstance(cls, type):
        raise ValueError(f"{package.__name__}.layers has no layer class '{layer_type}'")
    kwargs = {
        # A mapping with a 'type' is a wrapped layer (Bidirectional, TimeDistributed, RNN's cell), a list of
        # them a list of layers (RNN's cells); a wrapped layer's name and trainable keys are constructor
        # arguments too.
        key: [make_layer(item["type"], {k: v for k, v in item.items() if k != "type"}) for item in value]
        if isinstance(value, list) and value and all(isinstance(item, dict) and "type" in item for item in value)
        else make_layer(value["type"], {k: v for k, v in value.items() if k != "type"})
        if isinstance(value, dict) and "type" in value else to_keras_arg(value)
        for key, value in args.items() if key not in CALL_ARGUMENTS
    }
    if name is not None:
        kwargs["name"] = name
    return cls(**kwargs)


def call_arguments(args: dict) -> dict:
    """The spec arguments Keras takes when the layer is called."""
    return {key: to_keras_arg(value) for key, value in args.items() if key in CALL_ARGUMENTS}


OPS_PREFIX = "ops."


def call_operation(op_type: str, args: dict, tensors):
    """keras.ops.<name>(...) on the tensors: the case's arguments by name, the tensors in the parameters of
    the function that layercalc's rule says take tensors (call_parameters), a list for a variadic one."""
    from calc import rules

    name = op_type[len(OPS_PREFIX):]
    rule = rules.lookup(op_type)
    if rule is None:
        raise ValueError(f"layercalc has no rule {op_type}")
    kwargs = {key: to_keras_arg(value) for key, value in args.items()}
    if name == "get_item":
        return tensors[0][eval(f"np.index_exp[{kwargs.pop('key')}]", {"np": np})]  # noqa: S307 - the repo's cases
    function = getattr(keras.ops, name)
    parameters = inspect.signature(function).parameters
    remaining, positional = list(tensors), []
    for parameter in rule.call_parameters:
        if parameter in kwargs:
            positional.append(kwargs.pop(parameter))
        elif parameter == rule.variadic and parameters[parameter].kind == inspect.Parameter.VAR_POSITIONAL:
            positional += remaining
            remaining = []
        elif parameter == rule.variadic:
            positional.append(remaining)
            remaining = []
        elif remaining:
            positional.append(remaining.pop(0))
    return function(*positional, *remaining, **kwargs)


def call_layer(layer, tensors, kwargs=None):
    """One input: layer(x); several: layer([x1, x2, ...]), or layer(x1, x2, ...) when
    call() takes them as separate arguments (MultiHeadAttention's query, value, key), or
    layer(x, initial_state=[...]) for a recurrent layer (its other inputs are its initial states)."""
    kwargs = kwargs or {}
    if len(tensors) > 1 and "initial_state" in inspect.signature(layer.call).parameters:  # a recurrent layer
        states = list(tensors[1:])
        cell = getattr(layer, "cell", None)
        if isinstance(cell, keras.layers.StackedRNNCells):  # Keras wants its states nested per cell: [[h, c], s]
            sizes = [len(size) if isinstance(size, (list, tuple)) else 1 for size in cell.state_size]
            starts = [sum(sizes[:index]) for index in range(len(sizes))]
            states = [states[start] if size == 1 else states[start:start + size] for start, size in zip(starts, sizes)]
        return layer(tensors[0], initial_state=states, **kwargs)
    if len(tensors) > 1 and next(iter(inspect.signature(layer.call).parameters)) != "inputs":
        return layer(*tensors, **kwargs)
    return layer(tensors[0] if len(tensors) == 1 else list(tensors), **kwargs)


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
    """A layer's weights; a keras.ops operation (Add) has none."""
    return {
        "trainable_params": count(getattr(layer, "trainable_weights", ())),
        "non_trainable_params": count(getattr(layer, "non_trainable_weights", ())),
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


# -- (a) whole specs ------------------------------------------------------------


def keras_name(name: str) -> str:
    """A block's layers are named instance/layer; Keras refuses '/' in names: instance_layer."""
    return name.replace("/", "_")


def reference(ref):
    """A Spec reference -> (name or position, output index or None): 'lstm:1' -> ('lstm', 1)."""
    if isinstance(ref, int):
        return ref, None
    name, colon, index = ref.rpartition(":")
    if colon and index.isdigit() and name:
        return name, int(index)
    return ref, None


def output_of(tensor, index):
    """A layer's output `index`; no index: the whole output, or the first of several (as layercalc reads 'lstm')."""
    if isinstance(tensor, (list, tuple)):
        return tensor[0 if index is None else index]
    if index not in (None, 0):
        raise ValueError(f"output {index} asked of a layer with one output")
    return tensor


def build_model(spec):
    """Build a keras.Model from a layercalc Spec (in a fresh Keras session).

    The Spec comes from layercalc's own parser, so blocks and repeat are already expanded:
    one entry per layer, named 'instance/layer' (given to Keras as 'instance_layer'), its inputs
    given as names ('conv', 'lstm:1') or as positions in spec.layers. A call entry calls the Keras
    layer of the entry it calls again, with its call arguments. Returns the model and, for each
    layer called again, {call name: output tensor} of its later calls."""
    keras.backend.clear_session()
    for dim in (spec.batch, *(dim for item in spec.inputs for dim in item.shape)):
        if dim is not None and not isinstance(dim, int):
            raise ValueError(f"symbolic dimension {dim}: Keras needs numbers (bind it with --set or symbols:)")

    tensors = {}  # Keras layer, call or input name -> symbolic tensor (or list of tensors)
    input_tensors = []
    for item in spec.inputs:
        tensor = keras.Input(shape=item.shape, batch_size=spec.batch, dtype=item.dtype, name=item.name)
        tensors[item.name] = tensor
        input_tensors.append(tensor)

    # Every layer gets layercalc's name: its own, or the auto name layercalc gives it ('conv2d_1',
    # 'stage/conv2d' inside a block), so references resolve as in layercalc and the figures match by name.
    names = _assign_names(spec)
    position = {name: index for index, name in enumerate(names)}  # layercalc name -> position in spec.layers
    keys = [keras_name(name) for name in names]  # each entry's output in `tensors`: a layer's is its Keras name
    called = {index: _called_layer(spec, index, names, position)
              for index, entry in enumerate(spec.layers) if entry.call is not None}
    layers = {}  # position -> the Keras layer made there
    for index, (entry, name) in enumerate(zip(spec.layers, names)):
        if entry.call is not None or entry.type.startswith(OPS_PREFIX):
            continue  # a call uses its layer's; an operation (ops.add) is called where its inputs are ready
        layer = make_layer(entry.type, entry.args, keras_name(name))
        layer.spec_call_arguments = call_arguments(entry.args)
        if not entry.trainable:
            layer.trainable = False
        layers[index] = layer
    keras_names = keys + list(tensors)
    if len(set(keras_names)) < len(keras_names):
        twice = sorted({name for name in keras_names if keras_names.count(name) > 1})
        raise ValueError(f"duplicate layer or input names once '/' reads as '_': {', '.join(twice)}")

    spec_input_names = {item.name for item in spec.inputs}

    def source(ref, layer_name):
        """(Keras name of the layer, call or input, output index) that a reference points to."""
        target, index = reference(ref)
        if isinstance(target, int):
            return keys[target], index
        if target in spec_input_names:
            return target, index
        if target in position:
            return keys[position[target]], index
        raise ValueError(f"layer '{layer_name}': unknown input '{ref}'")

    deps = []
    for index, entry in enumerate(spec.layers):
        if entry.inputs is not None:
            refs = entry.inputs
        elif index > 0:
            refs = (index - 1,)
        elif len(spec.inputs) == 1:
            refs = (spec.inputs[0].name,)
        else:
            raise ValueError("the first layer must name its 'inputs' when the spec has several inputs")
        deps.append([source(ref, keys[index]) for ref in refs])
    # A call waits for its layer's own entry: Keras' first node (layer.output) is then the layer's own call.
    waits = {index: [keys[called_index]] for index, called_index in called.items()}

    # Topological order; among ready layers the earliest in spec order goes first.
    later_calls = {}  # position of a called layer -> {call name: output}
    pending = list(range(len(spec.layers)))
    while pending:
        for at, index in enumerate(pending):
            if all(name in tensors for name, _ in deps[index]) and all(name in tensors for name in waits.get(index, ())):
                break
        else:
            stuck = ", ".join(keys[i] for i in pending)
            raise ValueError(f"cycle (or unreachable inputs) among layers: {stuck}")
        pending.pop(at)
        inputs = [output_of(tensors[name], out) for name, out in deps[index]]
        if index in called:
            layer = layers[called[index]]
            tensors[keys[index]] = call_layer(layer, inputs, call_arguments_of_call(spec.layers[index].args))
            later_calls.setdefault(called[index], {})[keys[index]] = tensors[keys[index]]
        elif spec.layers[index].type.startswith(OPS_PREFIX):
            tensors[keys[index]] = call_operation(spec.layers[index].type, spec.layers[index].args, inputs)
            tensors[keys[index]]._keras_history[0].name = keys[index]  # layercalc's name, as a layer's
        else:
            layer = layers[index]
            tensors[keys[index]] = call_layer(layer, inputs, layer.spec_call_arguments)

    output_refs = spec.outputs if spec.outputs is not None else (len(spec.layers) - 1,)
    outputs = []
    for ref in output_refs:
        name, index = source(ref, "outputs")
        outputs.append(output_of(tensors[name], index))
    model = keras.Model(
        inputs=input_tensors[0] if len(input_tensors) == 1 else input_tensors,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=spec.name,
    )
    return model, {layers[index].name: calls for index, calls in later_calls.items()}


def call_arguments_of_call(args: dict) -> dict:
    """A call entry's arguments are all call arguments (layercalc refuses any other): reverse=True."""
    return {key: to_keras_arg(value) for key, value in args.items()}


def spec_symbols(spec) -> set:
    """The symbols of a spec's batch and input shapes (what --set can bind)."""
    return {symbol for dim in (spec.batch, *(dim for item in spec.inputs for dim in item.shape))
            if dim is not None and not isinstance(dim, int) for symbol in dim.symbols()}


def read(path: str, bindings: dict):
    """The spec as layercalc reads it, with the bindings of the symbols it has; and those bindings."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    symbols = spec_symbols(parse_spec(text, rel(path)))
    used = {symbol: value for symbol, value in bindings.items() if symbol in symbols}
    return parse_spec(text, rel(path), bindings=used), used


def spec_figures(path: str, bindings=None, max_params: int = MAX_PARAMS) -> dict:
    spec, used = read(path, bindings or {})
    params = analyze(spec).totals.params
    if params > max_params:
        raise ValueError(f"{params:,} parameters (layercalc's count) is more than --max-params {max_params:,}")
    model, later_calls = build_model(spec)
    layers = []
    for layer in model.operations:  # the layers, and the keras.ops operations between them (ops.add)
        if isinstance(layer, keras.layers.InputLayer):
            continue
        layers.append({
            "name": layer.name,
            "class": type(layer).__name__,
            **({} if isinstance(layer, keras.layers.Layer) else {"operation": True}),
            "output_shape": shape_of(layer.output),
            **layer_counts(layer),
            **({"calls": {name: shape_of(tensor) for name, tensor in later_calls[layer.name].items()}}
               if layer.name in later_calls else {}),
        })
    return {
        **header(),
        "spec": rel(path),
        **({"bindings": used} if used else {}),
        "layers": layers,
        "totals": {
            "params": int(model.count_params()),
            "trainable_params": count(model.trainable_weights),
            "non_trainable_params": count(model.non_trainable_weights),
        },
    }


def flat_version(path: str):
    """tests/data/flat_specs/<name> for a spec of specs/ rewritten with blocks, or None."""
    if os.path.dirname(os.path.abspath(path)) != os.path.join(ROOT, "specs"):
        return None
    flat = os.path.join(FLAT_SPECS, os.path.basename(path))
    return flat if os.path.exists(flat) else None


def difference(data: dict, reference: dict):
    """How two models' figures differ (None: the same totals and, layer by layer, the same figures)."""
    if data["totals"] != reference["totals"]:
        return f"totals {data['totals']} != {reference['totals']}"
    if len(data["layers"]) != len(reference["layers"]):
        return f"{len(data['layers'])} layers != {len(reference['layers'])}"
    figures = [{key: value for key, value in layer.items() if key != "name"} for layer in data["layers"]]
    reference_figures = [{key: value for key, value in layer.items() if key != "name"} for layer in reference["layers"]]
    by_name = {layer["name"]: figure for layer, figure in zip(data["layers"], figures)}
    reference_by_name = {layer["name"]: figure for layer, figure in zip(reference["layers"], reference_figures)}
    if set(by_name) == set(reference_by_name):
        wrong = [name for name in by_name if by_name[name] != reference_by_name[name]]
        return f"layer {wrong[0]}: {by_name[wrong[0]]} != {reference_by_name[wrong[0]]}" if wrong else None
    # Names differ (Keras' auto names, repeat's copies): the same figures, however named.
    key = lambda figure: json.dumps(figure, sort_keys=True)  # noqa: E731
    if sorted(map(key, figures)) != sorted(map(key, reference_figures)):
        return "the layers' figures differ (compared without names)"
    return None


def run_specs(paths, out_dir: str, bindings=None, max_params: int = MAX_PARAMS) -> int:
    """Write each spec's Keras figures. A spec of specs/ rewritten with blocks is built too, and must
    give the same model as its flat version, whose figures (with Keras' own layer names) are written."""
    failures = 0
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        target = os.path.join(out_dir, f"{stem}.json")
        flat = flat_version(path)
        try:
            data = spec_figures(flat or path, bindings, max_params)
            if flat:
                problem = difference(spec_figures(path, bindings, max_params), data)
                if problem:
                    raise ValueError(f"not the model of {rel(flat)}: {problem}")
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
              f"({totals['trainable_params']} trainable)"
              + (f"; {rel(path)} builds the same model as {rel(flat)}" if flat else ""))
    return failures


# -- (b) single-layer rule cases ------------------------------------------------


def real_call_shape(layer, shapes, batch, kwargs):
    """The output shape(s) of the layer called on arrays of these shapes (every axis but the batch known).

    With an unknown batch it runs twice (batches REAL_CALL_BATCHES) and an axis whose size differs is
    unknown (None), as a symbolic shape leaves it (Attention on 2-D inputs: scores (batch, batch))."""
    if any(dim is None for shape in shapes for dim in shape):
        raise ValueError("real_call: every input axis but the batch must be known")
    rng = np.random.default_rng(0)
    runs = []
    for size in (batch,) if batch is not None else REAL_CALL_BATCHES:
        arrays = [rng.random((size, *shape), dtype=np.float32) for shape in shapes]
        runs.append(shape_of(call_layer(layer, arrays, kwargs)))

    def merge(*versions):
        if isinstance(versions[0][0], list):
            return [merge(*parts) for parts in zip(*versions)]
        return [dims[0] if len(set(dims)) == 1 else None for dims in zip(*versions)]

    return merge(*runs)


def run_case(case: dict, package=keras) -> dict:
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
    if "dtype" in case:
        record["dtype"] = case["dtype"]
    record.update({"batch": batch, "trainable": trainable, "source": case.get("source")})
    if case.get("real_call"):
        record["real_call"] = True

    keras.backend.clear_session()  # fresh auto-names (they can appear in error messages)
    try:
        tensors = [keras.Input(shape=tuple(shape), batch_size=batch, dtype=case.get("dtype")) for shape in shapes]
        if layer_type.startswith(OPS_PREFIX):  # an operation: no layer, no weights
            record["output_shape"] = shape_of(call_operation(layer_type, args, tensors))
            record.update(trainable_params=0, non_trainable_params=0)
            return record
        layer = make_layer(layer_type, args, package=package)
        if not trainable:
            layer.trainable = False
        kwargs = call_arguments(args)
        output_shape = shape_of(call_layer(layer, tensors, kwargs))
        if case.get("real_call"):
            symbolic, output_shape = output_shape, real_call_shape(layer, shapes, batch, kwargs)
            if symbolic != output_shape:
                record["symbolic_output_shape"] = symbolic
        record["output_shape"] = output_shape
        record.update(layer_counts(layer))
    except Exception as exc:  # noqa: BLE001 - construction or call errors are data here
        record["error"] = error_text(exc)
    return record


def run_cases(cases_in: str, cases_out: str, package=keras) -> None:
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
            records.append(run_case(case, package))
        except Exception as exc:  # noqa: BLE001 - a malformed case must not stop the others
            print(f"BAD CASE {case.get('id')!r}: {error_text(exc)}", file=sys.stderr)
    versions = {} if package is keras else {f"{package.__name__}_version": package.__version__}
    write_json(cases_out, {**header(), **versions, "cases": records})
    errors = sum(1 for record in records if "error" in record)
    print(f"wrote {rel(cases_out)}: {len(records)} cases ({errors} record a Keras error)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="*", help="spec files (default: specs/*.yaml)")
    parser.add_argument("--out", default=SPEC_OUT, help="directory for spec JSON")
    parser.add_argument("--no-specs", action="store_true", help="skip whole-spec figures")
    parser.add_argument("--no-cases", action="store_true", help="skip rule cases")
    parser.add_argument("--family", action="append", help="only these rule-case families (default: all)")
    parser.add_argument("--set", action="append", default=[], metavar="SYMBOL=N", dest="bindings",
                        help="bind a symbolic dimension in the specs that have it (repeatable)")
    parser.add_argument("--max-params", type=int, default=MAX_PARAMS,
                        help="refuse specs with more parameters than this (layercalc's count)")
    options = parser.parse_args(argv)
    bindings = {}
    for binding in options.bindings:
        symbol, equals, value = binding.partition("=")
        if not equals or not value.isdigit() or int(value) < 1:
            parser.error(f"--set {binding}: expected SYMBOL=N with N a positive integer")
        bindings[symbol.strip()] = int(value)

    failures = 0
    if not options.no_specs:
        paths = options.specs or sorted(glob.glob(SPEC_GLOB))
        if not paths:
            print(f"no specs matched {rel(SPEC_GLOB)}")
        failures = run_specs(paths, options.out, bindings, options.max_params)
    if not options.no_cases:
        os.makedirs(CASES_OUT, exist_ok=True)
        for path in sorted(glob.glob(os.path.join(CASES_IN, "*.yaml"))):
            family = os.path.splitext(os.path.basename(path))[0]
            if options.family and family not in options.family:
                continue
            package = importlib.import_module(LAYER_MODULES[family]) if family in LAYER_MODULES else keras
            run_cases(path, os.path.join(CASES_OUT, family + ".json"), package)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
