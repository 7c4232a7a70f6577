"""Located spec data -> `Spec`: the one builder every reader hands its data to.

Checks the top-level keys and reads the symbols, batch, inputs, outputs, dtype and budget;
the layers themselves go through block and repeat expansion (expansion.py).  Structural
checks only: layer types and arguments are the graph's.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Tuple

from ..dims import MAX_DIM, Dim, Shape
from ..errors import Location, Param, SpecError, closest, describe
from .counts import parse_budget
from .expansion import Expansion, parse_blocks, parse_names
from .model import InputSpec, Spec, YamlList, YamlMap

MAX_LAYERS = 1_000_000  # after blocks and repeat are expanded
# Distinct symbols in a spec: a symbolic size holds at most 1,000 terms and atoms (symbolic.py) anyway.
MAX_SYMBOLS = 1_000
TOP_LEVEL_KEYS = ("name", "framework", "batch", "dtype", "mixed_precision", "input", "inputs", "symbols", "blocks",
                  "layers", "outputs", "budget")
DTYPES = ("float32", "float16", "bfloat16", "int8", "float64")  # `dtype:`: the bytes behind memory figures
# `mixed_precision:` (as --mixed-precision, which overrides it): activations in this dtype, variables in float32
MIXED_PRECISIONS = ("bfloat16", "float16")
FRAMEWORKS = ("keras", "torch")  # `framework:`: whose layers and semantics the spec uses (rules/registry.py)


class _Symbols:
    """Symbolic dimensions met while parsing, and the values bound to them."""

    def __init__(self, data: YamlMap, bindings: Optional[Dict[str, int]]) -> None:
        self.values: Dict[str, int] = {}
        self.seen: Dict[str, None] = {}  # in the order met (a dict: looked up once per dimension)
        defaults = data.get("symbols")
        if defaults is not None:
            if not isinstance(defaults, YamlMap):
                raise SpecError(f"'symbols' must be a mapping of symbols to default sizes, such as {{H: 224}}, "
                                f"found {describe(defaults)}", location=data.value_locations["symbols"])
            if len(defaults) > MAX_SYMBOLS:
                raise SpecError(f"'symbols' has {len(defaults):,} symbols, more than the limit of {MAX_SYMBOLS:,}",
                                location=data.value_locations["symbols"])
            for name, value in defaults.items():
                where = defaults.value_locations[name]
                if not isinstance(name, str) or not _SYMBOL.fullmatch(name):
                    raise SpecError(f"a symbol must be an identifier, found {describe(name)}", location=where)
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise SpecError(f"symbol '{name}' must default to a positive integer, found {describe(value)}",
                                    location=where)
                if value > MAX_DIM:
                    raise SpecError(f"symbol '{name}' is {value:,}, more than the limit of 2**62 ({MAX_DIM:,})",
                                    location=where)
                self.values[name] = value
        self.values.update(bindings or {})

    def dim(self, name: str, location: Location) -> Dim:
        if name not in self.seen:
            if len(self.seen) == MAX_SYMBOLS:
                raise SpecError(f"the spec has more than {MAX_SYMBOLS:,} symbols", location=location)
            self.seen[name] = None
        if name in self.values:
            return self.values[name]
        from ..symbolic import Expr  # only specs with free symbols pay for symbolic support

        return Expr.symbol(name)

    def check_bindings(self, bindings: Optional[Dict[str, int]]) -> None:
        for name in bindings or {}:
            if name not in self.seen:
                known = f"; its symbols are: {', '.join(self.seen)}" if self.seen else "; it has no symbols"
                raise SpecError((Param("bindings"), f" {name}: the spec has no symbol '{name}'"
                                 f"{closest(name, self.seen)}{known}"))


_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def build_spec(data: Any, source: str, max_layers: int = MAX_LAYERS, bindings: Optional[Dict[str, int]] = None,
               start: Optional[Location] = None) -> Spec:
    """Parsed data (YamlMap, YamlList and scalars, with locations) -> `Spec`."""
    start = start or Location(source, 1, 1)
    if data is None:
        raise SpecError("spec is empty: expected a mapping with 'input' and 'layers'", location=start)
    if not isinstance(data, YamlMap):
        raise SpecError(
            f"a spec must be a mapping with 'input' and 'layers', found {describe(data)}", location=start
        )
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise SpecError(
                f"unknown top-level key '{key}'{closest(str(key), TOP_LEVEL_KEYS)}; "
                f"expected one of: {', '.join(TOP_LEVEL_KEYS)}",
                location=data.key_locations[key],
            )

    name = data.get("name")
    if name is not None and not isinstance(name, (str, int)):
        raise SpecError(f"'name' must be a string, found {describe(name)}", location=data.value_locations["name"])

    symbols = _Symbols(data, bindings)
    batch = _parse_dim(data.get("batch"), data.value_locations.get("batch", start), "batch", symbols)
    entries = _layer_list(data, start) if _input_layer(data) is not None else None
    if entries is not None:  # layers: [{type: InputLayer, shape: [...]}, ...], as Keras' Sequential reads it
        batch, inputs = _parse_input_layer(entries[0], entries.item_locations[0], batch, data, symbols)
        entries = _rest_of(entries)
    else:
        inputs = _parse_inputs(data, start, symbols)
    symbols.check_bindings(bindings)
    expansion = Expansion(parse_blocks(data), max_layers)
    layers = expansion.run(entries if entries is not None else _layer_list(data, start),
                           first_input=inputs[0].name if len(inputs) == 1 else None)
    outputs, outputs_location = None, None
    if "outputs" in data:
        outputs_location = data.value_locations["outputs"]
        outputs = tuple(expansion.resolve_alias(name) for name in
                        parse_names(data["outputs"], outputs_location, "outputs"))
    budget = parse_budget(data.get("budget"), data.value_locations.get("budget", start))
    dtype = data.get("dtype")
    if dtype is not None and dtype not in DTYPES:
        hint = closest(dtype, DTYPES) if isinstance(dtype, str) else ""
        raise SpecError(f"'dtype' must be one of {', '.join(DTYPES)}, found {describe(dtype)}{hint}",
                        location=data.value_locations["dtype"])
    mixed_precision = _mixed_precision(data, dtype)
    framework = data.get("framework", FRAMEWORKS[0])
    if framework not in FRAMEWORKS:
        hint = closest(framework, FRAMEWORKS) if isinstance(framework, str) else ""
        raise SpecError(f"'framework' must be one of {', '.join(FRAMEWORKS)}, found {describe(framework)}{hint}",
                        location=data.value_locations["framework"])
    return Spec(
        name=None if name is None else str(name),
        batch=batch,
        inputs=inputs,
        layers=layers,
        outputs=outputs,
        outputs_location=outputs_location,
        budget=budget,
        source=source,
        blocks=expansion.instances,
        dtype=dtype,
        framework=framework,
        mixed_precision=mixed_precision,
    )


def _mixed_precision(data: YamlMap, dtype: Optional[str]) -> Optional[str]:
    """`mixed_precision: bfloat16|float16`: Keras' mixed policies, float32 variables (so no other `dtype:`)."""
    value = data.get("mixed_precision")
    if value is None:
        return None
    location = data.value_locations["mixed_precision"]
    if value not in MIXED_PRECISIONS:
        hint = closest(value, MIXED_PRECISIONS) if isinstance(value, str) else ""
        raise SpecError(f"'mixed_precision' must be one of {', '.join(MIXED_PRECISIONS)}, found {describe(value)}"
                        f"{hint}", location=location)
    if dtype not in (None, "float32"):
        raise SpecError(f"'mixed_precision' keeps variables in float32, but 'dtype' is {dtype}: give one or the other",
                        location=location)
    return value


def _parse_dim(value: Any, location: Location, what: str, symbols: _Symbols) -> Dim:
    expected = "a positive integer, a symbol such as H, or null"
    if value is None:
        return None
    if isinstance(value, str) and _SYMBOL.fullmatch(value):
        return symbols.dim(value, location)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{what} must be {expected}, found {describe(value)}", location=location)
    if value > MAX_DIM:
        raise SpecError(f"{what} is {value:,}, more than the limit of 2**62 ({MAX_DIM:,})", location=location)
    return value


def _parse_shape(value: Any, location: Location, what: str, symbols: _Symbols) -> Shape:
    if not isinstance(value, YamlList):
        raise SpecError(
            f"{what} must be a list of dimensions such as [28, 28, 1], found {describe(value)}", location=location
        )
    return tuple(
        _parse_dim(dim, dim_location, f"{what} dimension {index}", symbols)
        for index, (dim, dim_location) in enumerate(zip(value, value.item_locations))
    )


def _parse_inputs(data: YamlMap, start: Location, symbols: _Symbols) -> Tuple[InputSpec, ...]:
    if "input" in data and "inputs" in data:
        raise SpecError("give either 'input' or 'inputs', not both", location=data.key_locations["inputs"])
    if "input" in data:
        location = data.value_locations["input"]
        return (_parse_input("input", data["input"], location, symbols),)
    if "inputs" in data:
        inputs = data["inputs"]
        location = data.value_locations["inputs"]
        if not isinstance(inputs, YamlMap) or not inputs:
            raise SpecError(
                "'inputs' must be a mapping of input names to shapes, such as {image: [224, 224, 3]}, "
                f"found {describe(inputs)}",
                location=location,
            )
        for name in inputs:
            if ":" in str(name):  # 'name:1' is a reference to a layer's second output, so a name never holds ':'
                raise SpecError(f"an input name must not contain ':' (references use 'name:index' for a layer's "
                                f"outputs), found {describe(str(name))}", location=inputs.key_locations[name])
        return tuple(
            _parse_input(str(name), value, inputs.value_locations[name], symbols) for name, value in inputs.items()
        )
    layers = data.get("layers")
    first = layers[0] if isinstance(layers, YamlList) and layers and isinstance(layers[0], YamlMap) else {}
    for key in ("input_shape", "batch_input_shape"):  # the Keras 2 idiom: the first layer's argument
        if key in first:
            shape = first[key]
            if key == "batch_input_shape" and isinstance(shape, list) and shape:
                shape = shape[1:]
            written = ("[" + ", ".join("null" if dim is None else str(dim) for dim in shape) + "]"
                       if isinstance(shape, list) else describe(shape))
            raise SpecError(f"spec has no 'input': move the first layer's '{key}' to the top level, as "
                            f"'input: {written}' (the shape without the batch axis; 'batch:' gives the batch)",
                            location=first.key_locations[key])
    raise SpecError("spec has no 'input': give the input shape without the batch axis, such as [28, 28, 1]",
                    location=start)


INPUT_LAYER_KEYS = ("type", "name", "shape", "batch_size", "batch_shape", "dtype", "sparse", "ragged", "optional")


def _input_layer(data: YamlMap) -> Optional[YamlMap]:
    """The first layer, when it is a Keras InputLayer and the spec has no input: or inputs: of its own."""
    layers = data.get("layers")
    if "input" in data or "inputs" in data or not isinstance(layers, YamlList) or not layers:
        return None
    first = layers[0]
    return first if isinstance(first, YamlMap) and first.get("type") == "InputLayer" else None


def _parse_input_layer(layer: YamlMap, location: Location, batch: Dim, data: YamlMap,
                       symbols: _Symbols) -> Tuple[Dim, Tuple[InputSpec, ...]]:
    """(batch, inputs) from a first layer {type: InputLayer, shape: [...], batch_size: N, dtype: ..., name: ...}
    (or batch_shape: [N, ...]), which is then the spec's input, named as the layer (default: input)."""
    for key in layer:
        if key not in INPUT_LAYER_KEYS:
            raise SpecError(f"InputLayer: unknown key '{key}'{closest(str(key), INPUT_LAYER_KEYS)}; it takes "
                            f"{', '.join(INPUT_LAYER_KEYS[1:])}", location=layer.key_locations[key])
    if ("shape" in layer) == ("batch_shape" in layer):
        raise SpecError("InputLayer needs either 'shape' (without the batch axis) or 'batch_shape', not both",
                        location=location)
    name = layer.get("name", "input")
    if not isinstance(name, str) or not name or ":" in name:
        raise SpecError(f"InputLayer: name must be a string without ':', found {describe(name)}",
                        location=layer.value_locations.get("name", location))
    given = [key for key in ("batch_size", "batch_shape") if key in layer]
    if given and "batch" in data:
        raise SpecError(f"give the batch once: the top-level 'batch' or the InputLayer's '{given[0]}'",
                        location=layer.key_locations[given[0]])
    if "batch_size" in layer:
        batch = _parse_dim(layer["batch_size"], layer.value_locations["batch_size"], "InputLayer batch_size", symbols)
    if "batch_shape" in layer:
        shape = _parse_shape(layer["batch_shape"], layer.value_locations["batch_shape"], "InputLayer batch_shape",
                             symbols)
        if not shape:
            raise SpecError("InputLayer batch_shape must hold the batch axis, found []",
                            location=layer.value_locations["batch_shape"])
        batch, shape = shape[0], shape[1:]
        location = layer.value_locations["batch_shape"]
    else:
        location = layer.value_locations["shape"]
        shape = _parse_shape(layer["shape"], location, "InputLayer shape", symbols)
    dtype = layer.get("dtype")  # None: not declared
    if "dtype" in layer and not isinstance(dtype, str):
        raise SpecError(f"InputLayer: dtype must be a string such as int32, found {describe(dtype)}",
                        location=layer.value_locations["dtype"])
    return batch, (InputSpec(name=name, shape=shape, dtype=dtype, location=location),)


def _rest_of(entries: YamlList) -> YamlList:
    """The layers after the first, with their locations."""
    rest = YamlList(entries[1:])
    rest.location, rest.item_locations = entries.item_locations[1] if len(entries) > 1 else entries.location, \
        entries.item_locations[1:]
    if not rest:
        raise SpecError("the spec has only its InputLayer: give the layers after it", location=entries.location)
    return rest


def _parse_input(name: str, value: Any, location: Location, symbols: _Symbols) -> InputSpec:
    dtype = None  # not declared
    if isinstance(value, YamlMap):
        for key in value:
            if key not in ("shape", "dtype"):
                raise SpecError(
                    f"input '{name}': unknown key '{key}'{closest(str(key), ('shape', 'dtype'))}; "
                    "expected 'shape' and optionally 'dtype'",
                    location=value.key_locations[key],
                )
        if "shape" not in value:
            raise SpecError(f"input '{name}' has no 'shape'", location=location)
        dtype = value.get("dtype")
        if "dtype" in value and not isinstance(dtype, str):
            raise SpecError(f"input '{name}': dtype must be a string such as int32, found {describe(dtype)}",
                            location=value.value_locations["dtype"])
        location, value = value.value_locations["shape"], value["shape"]
    return InputSpec(name=name, shape=_parse_shape(value, location, f"input '{name}'", symbols), dtype=dtype,
                     location=location)


def _layer_list(data: YamlMap, start: Location) -> YamlList:
    if "layers" not in data:
        raise SpecError("spec has no 'layers': give a list of layers, each with a 'type'", location=start)
    layers = data["layers"]
    if not isinstance(layers, YamlList) or not layers:
        raise SpecError(f"'layers' must be a non-empty list of layers, found {describe(layers)}",
                        location=data.value_locations["layers"])
    return layers
