"""YAML text -> `Spec`: the only module that imports yaml.

Every mapping and list keeps the line and column of its nodes, so any later
stage can point an error at the exact place in the file.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Optional, Tuple

import yaml

from .dims import Dim, Shape
from .errors import Location, SpecError, closest, describe

# The C parser is several times faster; its safe variant builds only plain
# data (never Python objects), like the pure-Python SafeLoader fallback.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 16 * 1024 * 1024
TOP_LEVEL_KEYS = ("name", "batch", "input", "inputs", "layers", "outputs", "budget")
RESERVED_LAYER_KEYS = ("type", "name", "inputs", "repeat", "trainable")
BUDGET_KEYS = ("max_params", "max_trainable_params", "max_non_trainable_params", "max_macs")
_SUFFIXES = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


class YamlMap(dict):
    """A mapping that remembers where it, its keys and its values stand."""

    location: Location
    key_locations: Dict[Any, Location]
    value_locations: Dict[Any, Location]


class YamlList(list):
    """A list that remembers where it and each of its items stand."""

    location: Location
    item_locations: list


@dataclass(frozen=True)
class InputSpec:
    name: str
    shape: Shape  # without the batch axis
    dtype: str
    location: Location


@dataclass(frozen=True)
class LayerSpec:
    type: str
    name: Optional[str]  # None: Keras-style auto name, given by the graph
    inputs: Optional[Tuple[str, ...]]  # None: the previous layer's output
    trainable: bool
    args: Dict[str, Any]
    location: Location
    type_location: Location
    arg_locations: Dict[str, Location] = field(default_factory=dict)
    inputs_location: Optional[Location] = None

    def arg_location(self, argument: Optional[str]) -> Location:
        return self.arg_locations.get(argument, self.location) if argument else self.location


@dataclass(frozen=True)
class Spec:
    name: Optional[str]
    batch: Dim
    inputs: Tuple[InputSpec, ...]
    layers: Tuple[LayerSpec, ...]
    outputs: Optional[Tuple[str, ...]]
    outputs_location: Optional[Location]
    budget: Dict[str, int]
    source: str


# -- YAML with locations -------------------------------------------------------


def _make_loader(source: str):
    class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
        pass

    def where(node) -> Location:
        return Location(source, node.start_mark.line + 1, node.start_mark.column + 1)

    def construct_map(loader, node):
        data = YamlMap()
        data.location = where(node)
        data.key_locations, data.value_locations = {}, {}
        yield data
        loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise SpecError("mapping keys must be plain scalars", location=where(key_node))
            if key in data:
                raise SpecError(
                    f"duplicate key '{key}' (first at line {data.key_locations[key].line})",
                    location=where(key_node),
                )
            data[key] = loader.construct_object(value_node, deep=True)
            data.key_locations[key] = where(key_node)
            data.value_locations[key] = where(value_node)

    def construct_list(loader, node):
        data = YamlList()
        data.location = where(node)
        data.item_locations = [where(child) for child in node.value]
        yield data
        data.extend(loader.construct_object(child, deep=True) for child in node.value)

    Loader.add_constructor("tag:yaml.org,2002:map", construct_map)
    Loader.add_constructor("tag:yaml.org,2002:seq", construct_list)
    return Loader


def parse_yaml(text: str, source: str) -> Any:
    """YAML text -> plain data with locations (YamlMap / YamlList / scalars)."""
    try:
        return yaml.load(text, Loader=_make_loader(source))  # noqa: S506 - a safe loader
    except SpecError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(source, mark.line + 1, mark.column + 1) if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if problem.startswith("could not determine a constructor"):
            problem = f"YAML tag not allowed here: {problem.split('tag ')[-1]}"
        raise SpecError(f"invalid YAML: {problem}", location=location) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"invalid YAML: {exc}", location=Location(source, 1, 1)) from None


def read_text(path: str) -> Tuple[str, str]:
    """(text, source name) of a spec file, or of standard input for '-'."""
    source = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read spec: {exc.strerror or exc}", location=Location(source, 1, 1)) from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(
            f"spec file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", location=Location(source, 1, 1)
        )
    try:
        return data.decode("utf-8-sig"), source
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            f"spec is not valid UTF-8 (byte 0x{data[exc.start]:02x})", location=Location(source, line, column)
        ) from None


# -- Spec ------------------------------------------------------------------------


def load_spec(path: str) -> Spec:
    """Read and parse a spec file ('-' for standard input)."""
    text, source = read_text(path)
    return parse_spec(text, source)


def parse_spec(text: str, source: str = "<spec>") -> Spec:
    """Parse spec text into a `Spec`; structural checks only (layer types come later)."""
    data = parse_yaml(text, source)
    start = Location(source, 1, 1)
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

    batch = _parse_dim(data.get("batch"), data.value_locations.get("batch", start), "batch")
    inputs = _parse_inputs(data, start)
    layers = _parse_layers(data, start)
    outputs, outputs_location = None, None
    if "outputs" in data:
        outputs_location = data.value_locations["outputs"]
        outputs = _parse_names(data["outputs"], outputs_location, "outputs")
    budget = _parse_budget(data.get("budget"), data.value_locations.get("budget", start))
    return Spec(
        name=None if name is None else str(name),
        batch=batch,
        inputs=inputs,
        layers=layers,
        outputs=outputs,
        outputs_location=outputs_location,
        budget=budget,
        source=source,
    )


def _parse_dim(value: Any, location: Location, what: str) -> Dim:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SpecError(f"{what} must be a positive integer or null, found {describe(value)}", location=location)
    if isinstance(value, str):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise SpecError(
                f"{what} is the symbol '{value}': symbolic dimensions are not supported yet; "
                "use a positive integer or null",
                location=location,
            )
        raise SpecError(f"{what} must be a positive integer or null, found {describe(value)}", location=location)
    if value < 1:
        raise SpecError(f"{what} must be a positive integer or null, found {value}", location=location)
    return value


def _parse_shape(value: Any, location: Location, what: str) -> Shape:
    if not isinstance(value, YamlList):
        raise SpecError(
            f"{what} must be a list of dimensions such as [28, 28, 1], found {describe(value)}", location=location
        )
    return tuple(
        _parse_dim(dim, dim_location, f"{what} dimension {index}")
        for index, (dim, dim_location) in enumerate(zip(value, value.item_locations))
    )


def _parse_inputs(data: YamlMap, start: Location) -> Tuple[InputSpec, ...]:
    if "input" in data and "inputs" in data:
        raise SpecError("give either 'input' or 'inputs', not both", location=data.key_locations["inputs"])
    if "input" in data:
        location = data.value_locations["input"]
        return (_parse_input("input", data["input"], location),)
    if "inputs" in data:
        inputs = data["inputs"]
        location = data.value_locations["inputs"]
        if not isinstance(inputs, YamlMap) or not inputs:
            raise SpecError(
                "'inputs' must be a mapping of input names to shapes, such as {image: [224, 224, 3]}, "
                f"found {describe(inputs)}",
                location=location,
            )
        return tuple(
            _parse_input(str(name), value, inputs.value_locations[name]) for name, value in inputs.items()
        )
    raise SpecError("spec has no 'input': give the input shape without the batch axis, such as [28, 28, 1]",
                    location=start)


def _parse_input(name: str, value: Any, location: Location) -> InputSpec:
    dtype = "float32"
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
        dtype = value.get("dtype", dtype)
        if not isinstance(dtype, str):
            raise SpecError(f"input '{name}': dtype must be a string such as int32, found {describe(dtype)}",
                            location=value.value_locations["dtype"])
        location, value = value.value_locations["shape"], value["shape"]
    return InputSpec(name=name, shape=_parse_shape(value, location, f"input '{name}'"), dtype=dtype,
                     location=location)


def _parse_names(value: Any, location: Location, what: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, YamlList) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise SpecError(f"'{what}' must be a layer or input name or a list of them, found {describe(value)}",
                    location=location)


def _parse_layers(data: YamlMap, start: Location) -> Tuple[LayerSpec, ...]:
    if "layers" not in data:
        raise SpecError("spec has no 'layers': give a list of layers, each with a 'type'", location=start)
    layers = data["layers"]
    location = data.value_locations["layers"]
    if not isinstance(layers, YamlList) or not layers:
        raise SpecError(f"'layers' must be a non-empty list of layers, found {describe(layers)}", location=location)
    return tuple(_parse_layer(entry, where) for entry, where in zip(layers, layers.item_locations))


def _parse_layer(entry: Any, location: Location) -> LayerSpec:
    if not isinstance(entry, YamlMap):
        raise SpecError(f"a layer must be a mapping with a 'type', found {describe(entry)}", location=location)
    if "type" not in entry:
        raise SpecError("layer has no 'type' (such as Dense or Conv2D)", location=location)
    layer_type = entry["type"]
    if not isinstance(layer_type, str):
        raise SpecError(f"layer 'type' must be a name such as Dense, found {describe(layer_type)}",
                        location=entry.value_locations["type"])
    name = entry.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        raise SpecError(f"layer 'name' must be a non-empty string, found {describe(name)}",
                        location=entry.value_locations["name"])
    if "repeat" in entry:
        raise SpecError("'repeat' is not supported yet", location=entry.key_locations["repeat"],
                        layer=name, layer_type=layer_type)
    trainable = entry.get("trainable", True)
    if not isinstance(trainable, bool):
        raise SpecError(f"'trainable' must be true or false, found {describe(trainable)}",
                        location=entry.value_locations["trainable"], layer=name, layer_type=layer_type)
    inputs, inputs_location = None, None
    if "inputs" in entry:
        inputs_location = entry.value_locations["inputs"]
        try:
            inputs = _parse_names(entry["inputs"], inputs_location, "inputs")
        except SpecError as error:
            raise error.add_context(layer=name, layer_type=layer_type)
    args = {key: value for key, value in entry.items() if key not in RESERVED_LAYER_KEYS}
    return LayerSpec(
        type=layer_type,
        name=name,
        inputs=inputs,
        trainable=trainable,
        args=args,
        location=location,
        type_location=entry.value_locations["type"],
        arg_locations={key: entry.value_locations[key] for key in args},
        inputs_location=inputs_location,
    )


def parse_count(value: Any, what: str, location: Optional[Location] = None) -> int:
    """An exact count from an int or a string with a decimal suffix: 2M -> 2_000_000.

    >>> parse_count("2.5M", "max_params")
    2500000
    >>> parse_count(1216, "max_params")
    1216
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        multiplier = _SUFFIXES.get(text[-1:].upper(), 1)
        number = text[:-1] if multiplier != 1 else text
        try:
            amount = Decimal(number) * multiplier
        except InvalidOperation:
            amount = None
        if amount is not None and amount >= 0 and amount == amount.to_integral_value():
            return int(amount)
    raise SpecError(
        f"{what} must be a whole non-negative number, optionally with K, M, G or T (such as 2M), "
        f"found {describe(value)}",
        location=location,
    )


def _parse_budget(value: Any, location: Location) -> Dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, YamlMap):
        raise SpecError(f"'budget' must be a mapping such as {{max_params: 2M}}, found {describe(value)}",
                        location=location)
    budget = {}
    for key, limit in value.items():
        if key not in BUDGET_KEYS:
            raise SpecError(
                f"unknown budget '{key}'{closest(str(key), BUDGET_KEYS)}; expected one of: {', '.join(BUDGET_KEYS)}",
                location=value.key_locations[key],
            )
        budget[key] = parse_count(limit, f"budget {key}", value.value_locations[key])
    return budget
