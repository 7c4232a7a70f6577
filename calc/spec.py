"""YAML text -> `Spec`: the only module that imports yaml.

Every mapping and list keeps the line and column of its nodes, so any later
stage can point an error at the exact place in the file.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Tuple, Union

import yaml

from .dims import MAX_DIM, Dim, Shape
from .errors import Location, SpecError, closest, describe

# The C parser is several times faster; its safe variant builds only plain
# data (never Python objects), like the pure-Python SafeLoader fallback.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_LAYERS = 1_000_000  # after blocks and repeat are expanded
MAX_BLOCK_DEPTH = 32
MAX_YAML_DEPTH = 100  # lists and mappings inside each other; deeper would exhaust Python's stack
MAX_ALIAS_NODES = 1_000_000  # nodes YAML aliases may add, so a 'billion laughs' is refused before it is built
MAX_INTEGER_DIGITS = 100  # a spec's largest sensible number has 19 (MAX_DIM); bigger ones only cost time
TOP_LEVEL_KEYS = ("name", "batch", "dtype", "input", "inputs", "symbols", "blocks", "layers", "outputs", "budget")
DTYPES = ("float32", "float16", "bfloat16", "int8", "float64")  # `dtype:`: the bytes behind memory figures
RESERVED_LAYER_KEYS = ("type", "name", "inputs", "repeat", "trainable")
BUDGET_KEYS = ("max_params", "max_trainable_params", "max_non_trainable_params", "max_macs", "max_layer_params")
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


# A reference to a layer's output: a name as written ('conv', 'lstm:1'), the position of a
# layer in Spec.layers (what blocks and repeat expand to), or (position, output index).
Ref = Union[str, int, Tuple[int, int]]


def with_output(ref: Ref, index: int) -> Ref:
    """The index-th output of the layer `ref` names: 'lstm' -> 'lstm:1', 7 -> (7, 1)."""
    if index == 0:
        return ref
    return f"{ref}:{index}" if isinstance(ref, str) else (ref, index)


@dataclass(frozen=True)
class LayerSpec:
    type: str
    name: Optional[str]  # full name ('stage2/conv'); None: Keras-style auto name, given by the graph
    inputs: Optional[Tuple[Ref, ...]]  # None: the previous layer's output (or the single input)
    trainable: bool
    args: Dict[str, Any]
    location: Location
    type_location: Location
    arg_locations: Dict[str, Location] = field(default_factory=dict)
    inputs_location: Optional[Location] = None
    prefix: str = ""  # the enclosing block instances' prefix ('stage2/'), for auto names
    scope: Tuple[str, ...] = ()  # the enclosing block instances, outermost first

    def arg_location(self, argument: Optional[str]) -> Location:
        return self.arg_locations.get(argument, self.location) if argument else self.location


@dataclass(frozen=True)
class BlockInstance:
    """One use of a block: its type, and which layer's output is its output."""

    name: str
    type: str
    output: Ref
    location: Location


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
    blocks: Dict[str, BlockInstance] = field(default_factory=dict)
    dtype: Optional[str] = None  # the numbers' type for memory figures (None: float32 unless --dtype says)


# -- YAML with locations -------------------------------------------------------


def _make_loader(source: str):
    class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
        _tags: Dict[Any, str] = {}
        depth = 0  # of the list or mapping being built

        def resolve(self, kind, value, implicit):
            # Specs repeat the same scalars (type names, sizes) thousands of times: resolve each once.
            if kind is not yaml.ScalarNode:
                return super().resolve(kind, value, implicit)
            key = (value, implicit)
            tag = self._tags.get(key)
            if tag is None:
                tag = self._tags[key] = super().resolve(kind, value, implicit)
            return tag

    def where(node) -> Location:
        return Location(source, node.start_mark.line + 1, node.start_mark.column + 1)

    def nested(loader, node) -> None:
        loader.depth += 1
        if loader.depth > MAX_YAML_DEPTH:  # deeper, building (and any walk over the data) would exhaust the stack
            raise SpecError(f"lists and mappings nest more than {MAX_YAML_DEPTH} deep", location=where(node))

    def construct_map(loader, node):
        data = YamlMap()
        data.location = where(node)
        data.key_locations, data.value_locations = {}, {}
        yield data
        nested(loader, node)
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
        loader.depth -= 1

    def construct_list(loader, node):
        data = YamlList()
        data.location = where(node)
        data.item_locations = [where(child) for child in node.value]
        yield data
        nested(loader, node)
        data.extend(loader.construct_object(child, deep=True) for child in node.value)
        loader.depth -= 1

    def construct_int(loader, node):
        value = node.value
        if value.isascii() and value.isdigit() and len(value) <= MAX_INTEGER_DIGITS:
            return int(value)  # the common case, fast
        digits = len(value.lstrip("+-").replace("_", ""))
        if digits > MAX_INTEGER_DIGITS:
            raise SpecError(f"integer too large: {digits:,} digits (at most {MAX_INTEGER_DIGITS})",
                            location=where(node))
        return loader.construct_yaml_int(node)

    def checked(construct, expected: str):  # an explicit tag on a scalar that does not fit it: !!float abc
        def construct_checked(loader, node):
            try:
                return construct(loader, node)
            except (ValueError, KeyError):
                tag = node.tag.replace("tag:yaml.org,2002:", "!!")
                raise SpecError(f"invalid YAML: {describe(node.value)} is not {expected} ({tag})",
                                location=where(node)) from None
        return construct_checked

    def refuse(loader, node):  # plain data only: no bytes, sets or pairs (no Python objects, ever)
        raise yaml.constructor.ConstructorError(None, None, f"could not determine a constructor for the tag "
                                                            f"'{node.tag}'", node.start_mark)

    Loader.add_constructor("tag:yaml.org,2002:map", construct_map)
    Loader.add_constructor("tag:yaml.org,2002:seq", construct_list)
    Loader.add_constructor("tag:yaml.org,2002:int", checked(construct_int, "an integer"))
    Loader.add_constructor("tag:yaml.org,2002:float", checked(_BaseLoader.construct_yaml_float, "a number"))
    Loader.add_constructor("tag:yaml.org,2002:bool", checked(_BaseLoader.construct_yaml_bool, "true or false"))
    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    for tag in ("binary", "set", "omap", "pairs"):
        Loader.add_constructor(f"tag:yaml.org,2002:{tag}", refuse)
    return Loader


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


_ALIAS = re.compile(r"(?:^|[\s\[\]{},])\*[^\s\[\]{},]")  # *name, where YAML reads an alias


def _check_aliases(root, source: str) -> None:
    """Refuse, before building anything, YAML whose aliases expand too far ('billion laughs': each alias is
    shared when built, but any walk over the data would follow it) or nest too deeply once expanded."""
    measured: Dict[int, Tuple[int, int]] = {}  # id(node) -> (nodes with aliases expanded, height)
    stack = [(root, False)]
    while stack:
        node, children_measured = stack.pop()
        if not children_measured:
            if id(node) not in measured:
                measured[id(node)] = (1, 1)  # until measured; an alias to an open node is recursive (refused later)
                stack.append((node, True))
                stack.extend((child, False) for child in _children(node))
            continue
        size, height = 1, 1
        for child in _children(node):
            child_size, child_height = measured[id(child)]
            size, height = size + child_size, max(height, child_height + 1)
        measured[id(node)] = (size, height)
    size, height = measured[id(root)]
    if height > MAX_YAML_DEPTH:
        node = root
        for _ in range(MAX_YAML_DEPTH):  # follow the deepest branch down to the first node past the limit
            node = max(_children(node), key=lambda child: measured[id(child)][1])
        raise SpecError(f"lists and mappings nest more than {MAX_YAML_DEPTH} deep",
                        location=Location(source, node.start_mark.line + 1, node.start_mark.column + 1))
    if size - len(measured) > MAX_ALIAS_NODES:
        raise SpecError(f"YAML aliases expand the spec by {size - len(measured):,} nodes, more than the limit "
                        f"of {MAX_ALIAS_NODES:,}", location=Location(source, 1, 1))


def parse_yaml(text: str, source: str) -> Any:
    """YAML text -> plain data with locations (YamlMap / YamlList / scalars)."""
    loader = _make_loader(source)(text)  # what yaml.load does, with a check between composing and building
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _ALIAS.search(text):
            _check_aliases(node, source)
        return loader.construct_document(node)
    except SpecError:
        raise
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as NUL
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise SpecError(f"invalid YAML: character #x{exc.character:04x} is not allowed ({exc.reason})",
                        location=Location(source, line, column)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(source, mark.line + 1, mark.column + 1) if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if problem.startswith("could not determine a constructor"):
            problem = f"YAML tag not allowed here: {problem.split('tag ')[-1]}"
        raise SpecError(f"invalid YAML: {problem}", location=location) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"invalid YAML: {exc}", location=Location(source, 1, 1)) from None
    finally:
        loader.dispose()


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


def load_spec(path: str, max_layers: int = MAX_LAYERS, bindings: Optional[Dict[str, int]] = None) -> Spec:
    """Read and parse a spec file ('-' for standard input), or import a Keras model (.keras, .json)."""
    if path != "-" and path.lower().endswith((".keras", ".json")):
        from .keras_import import read_model

        model = read_model(path, MAX_FILE_BYTES)  # None: a .json file holding a layercalc spec
        if model is not None:
            return imported_spec(model.spec, path, max_layers, bindings)
    text, source = read_text(path)
    return parse_spec(text, source, max_layers=max_layers, bindings=bindings)


def imported_spec(data: Dict[str, Any], path: str, max_layers: int = MAX_LAYERS,
                  bindings: Optional[Dict[str, int]] = None) -> Spec:
    """The Spec of plain spec data imported from `path`: its errors name the file, without line:col."""
    from .keras_import import file_location

    where = file_location(path)
    return build_spec(located(data, where), path, max_layers, bindings, start=where)


def located(value: Any, location: Location) -> Any:
    """Plain data (an imported model) as parse_yaml gives it, every node at `location`."""
    if isinstance(value, dict):
        data = YamlMap((key, located(item, location)) for key, item in value.items())
        data.location = location
        data.key_locations = dict.fromkeys(data, location)
        data.value_locations = dict.fromkeys(data, location)
        return data
    if isinstance(value, list):
        items = YamlList(located(item, location) for item in value)
        items.location, items.item_locations = location, [location] * len(items)
        return items
    return value


class _Symbols:
    """Symbolic dimensions met while parsing, and the values bound to them."""

    def __init__(self, data: YamlMap, bindings: Optional[Dict[str, int]]) -> None:
        self.values: Dict[str, int] = {}
        self.seen: List[str] = []
        defaults = data.get("symbols")
        if defaults is not None:
            if not isinstance(defaults, YamlMap):
                raise SpecError(f"'symbols' must be a mapping of symbols to default sizes, such as {{H: 224}}, "
                                f"found {describe(defaults)}", location=data.value_locations["symbols"])
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

    def dim(self, name: str) -> Dim:
        if name not in self.seen:
            self.seen.append(name)
        if name in self.values:
            return self.values[name]
        from .symbolic import Expr  # only specs with free symbols pay for symbolic support

        return Expr.symbol(name)

    def check_bindings(self, bindings: Optional[Dict[str, int]]) -> None:
        for name in bindings or {}:
            if name not in self.seen:
                known = f"; its symbols are: {', '.join(self.seen)}" if self.seen else "; it has no symbols"
                raise SpecError(f"--set {name}: the spec has no symbol '{name}'{closest(name, self.seen)}{known}")


_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_spec(text: str, source: str = "<spec>", max_layers: int = MAX_LAYERS,
               bindings: Optional[Dict[str, int]] = None) -> Spec:
    """Parse spec text into a `Spec`; structural checks only (layer types come later)."""
    return build_spec(parse_yaml(text, source), source, max_layers, bindings)


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
    inputs = _parse_inputs(data, start, symbols)
    symbols.check_bindings(bindings)
    expansion = _Expansion(_parse_blocks(data), max_layers)
    layers = expansion.run(_layer_list(data, start), first_input=inputs[0].name if len(inputs) == 1 else None)
    outputs, outputs_location = None, None
    if "outputs" in data:
        outputs_location = data.value_locations["outputs"]
        outputs = tuple(expansion.resolve_alias(name) for name in
                        _parse_names(data["outputs"], outputs_location, "outputs"))
    budget = _parse_budget(data.get("budget"), data.value_locations.get("budget", start))
    dtype = data.get("dtype")
    if dtype is not None and dtype not in DTYPES:
        hint = closest(dtype, DTYPES) if isinstance(dtype, str) else ""
        raise SpecError(f"'dtype' must be one of {', '.join(DTYPES)}, found {describe(dtype)}{hint}",
                        location=data.value_locations["dtype"])
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
    )


def _parse_dim(value: Any, location: Location, what: str, symbols: _Symbols) -> Dim:
    expected = "a positive integer, a symbol such as H, or null"
    if value is None:
        return None
    if isinstance(value, str) and _SYMBOL.fullmatch(value):
        return symbols.dim(value)
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
        return tuple(
            _parse_input(str(name), value, inputs.value_locations[name], symbols) for name, value in inputs.items()
        )
    raise SpecError("spec has no 'input': give the input shape without the batch axis, such as [28, 28, 1]",
                    location=start)


def _parse_input(name: str, value: Any, location: Location, symbols: _Symbols) -> InputSpec:
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
    return InputSpec(name=name, shape=_parse_shape(value, location, f"input '{name}'", symbols), dtype=dtype,
                     location=location)


def _parse_names(value: Any, location: Location, what: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise SpecError(f"'{what}' must be a layer or input name or a list of them, found {describe(value)}",
                    location=location)


def _layer_list(data: YamlMap, start: Location) -> YamlList:
    if "layers" not in data:
        raise SpecError("spec has no 'layers': give a list of layers, each with a 'type'", location=start)
    layers = data["layers"]
    if not isinstance(layers, YamlList) or not layers:
        raise SpecError(f"'layers' must be a non-empty list of layers, found {describe(layers)}",
                        location=data.value_locations["layers"])
    return layers


# -- blocks ---------------------------------------------------------------------------

_REQUIRED = object()  # the default of a block argument that has none
_ARGUMENT = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)|\$\{([^}]*)\}")
BLOCK_KEYS = ("args", "inputs", "layers", "output")


@dataclass(frozen=True)
class BlockDef:
    """A named group of layers with arguments, used in `layers` like a layer type."""

    name: str
    args: Dict[str, Any]  # name -> default (_REQUIRED if none)
    inputs: Tuple[str, ...]  # local names of the block's inputs
    output: Optional[str]  # local name of the layer whose output is the block's; default: the last
    layers: YamlList
    location: Location

    def uses(self) -> List[Tuple[str, Location]]:
        """(type, location) of every entry in the block, for cycle checks."""
        return [(entry["type"], entry.value_locations["type"]) for entry in self.layers
                if isinstance(entry, YamlMap) and isinstance(entry.get("type"), str)]


def _parse_blocks(data: YamlMap) -> Dict[str, BlockDef]:
    value = data.get("blocks")
    if value is None:
        return {}
    if not isinstance(value, YamlMap):
        raise SpecError(f"'blocks' must be a mapping of block names to definitions, found {describe(value)}",
                        location=data.value_locations["blocks"])
    blocks = {}
    for name, body in value.items():
        where = value.value_locations[name]
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise SpecError(f"block name must be an identifier, found {describe(name)}",
                            location=value.key_locations[name])
        if not isinstance(body, YamlMap):
            raise SpecError(f"block '{name}' must be a mapping with 'layers', found {describe(body)}", location=where)
        for key in body:
            if key not in BLOCK_KEYS:
                raise SpecError(f"block '{name}': unknown key '{key}'{closest(str(key), BLOCK_KEYS)}; expected "
                                f"one of: {', '.join(BLOCK_KEYS)}", location=body.key_locations[key])
        layers = body.get("layers")
        if not isinstance(layers, YamlList) or not layers:
            raise SpecError(f"block '{name}' needs a non-empty list of 'layers'",
                            location=body.value_locations.get("layers", where))
        inputs = ("input",)
        if "inputs" in body:
            inputs = _parse_names(body["inputs"], body.value_locations["inputs"], f"block '{name}' inputs")
        output = body.get("output")
        if output is not None and not isinstance(output, str):
            raise SpecError(f"block '{name}': 'output' must be a layer name, found {describe(output)}",
                            location=body.value_locations["output"])
        blocks[name] = BlockDef(name, _parse_block_args(name, body), inputs, output, layers, where)
    _check_block_cycles(blocks)
    return blocks


def _parse_block_args(block: str, body: YamlMap) -> Dict[str, Any]:
    """args: [filters, kernel: 3] -> {'filters': required, 'kernel': 3}, like a Python signature."""
    value = body.get("args")
    where = body.value_locations.get("args")
    if value is None:
        return {}
    if isinstance(value, YamlMap):  # also accept {kernel: 3, strides: 1}: all with defaults
        return dict(value)
    if not isinstance(value, YamlList):
        raise SpecError(f"block '{block}': 'args' must be a list such as [filters, kernel: 3], found "
                        f"{describe(value)}", location=where)
    args: Dict[str, Any] = {}
    for item, item_where in zip(value, value.item_locations):
        pairs = item.items() if isinstance(item, YamlMap) else [(item, _REQUIRED)]
        for name, default in pairs:
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise SpecError(f"block '{block}': an argument name must be an identifier, found {describe(name)}",
                                location=item_where)
            args[name] = default
    return args


def _check_block_cycles(blocks: Dict[str, BlockDef]) -> None:
    """A block that uses itself, directly or through others, is an error naming the cycle."""
    state: Dict[str, str] = {}

    def visit(name: str, path: List[str]) -> None:
        state[name] = "open"
        for used, where in blocks[name].uses():
            if used not in blocks:
                continue
            if state.get(used) == "open":
                cycle = path[path.index(used):] + [used]
                raise SpecError(f"block '{used}' uses itself: {' -> '.join(cycle)}", location=where)
            if used not in state:
                visit(used, path + [used])
        state[name] = "done"

    for name in blocks:
        if name not in state:
            visit(name, [name])


# -- expansion: blocks and repeat into a flat list of layers ------------------------------------


@dataclass
class _Scope:
    prefix: str  # 'stage2/block1/' inside a block instance, '' at the top
    path: Tuple[str, ...]  # the enclosing block instances
    env: Dict[str, Tuple[Any, Optional[Location]]]  # block arguments: value and where it was given
    names: Optional[Dict[str, Ref]]  # local name -> reference; None at the top level (names are global)
    trainable: bool = True


class _Expansion:
    def __init__(self, blocks: Dict[str, BlockDef], max_layers: int) -> None:
        self.blocks = blocks
        self.max_layers = max_layers
        self.layers: List[LayerSpec] = []
        self.instances: Dict[str, BlockInstance] = {}
        self.aliases: Dict[str, Ref] = {}  # top-level block instance -> its output
        self.auto_counters: Dict[str, int] = {}
        self._sizes: Dict[str, int] = {}

    def run(self, entries: YamlList, first_input: Optional[str]) -> Tuple[LayerSpec, ...]:
        total = self._count(entries, _Scope("", (), {}, None))
        if total > self.max_layers:
            raise SpecError(f"the spec expands to {total:,} layers, more than the limit of {self.max_layers:,} "
                            "(raise it with --max-layers)", location=entries.location)
        self._expand(entries, _Scope("", (), {}, None), previous=first_input)
        if not self.aliases:
            return tuple(self.layers)
        return tuple(replace(layer, inputs=tuple(self.resolve_alias(ref) for ref in layer.inputs))
                     if layer.inputs else layer for layer in self.layers)

    def resolve_alias(self, ref: Ref) -> Ref:
        """A block instance's name (or 'name:n') -> the reference of its output (or that output's n-th)."""
        base, colon, index = ref.rpartition(":") if isinstance(ref, str) else ("", "", "")
        if colon and index.isdigit() and base in self.aliases:
            return with_output(self.resolve_alias(base), int(index))
        seen = set()
        while isinstance(ref, str) and ref in self.aliases and ref not in seen:
            seen.add(ref)
            ref = self.aliases[ref]
        return ref

    # -- counting first, so `repeat: 1000000000` fails before any work -------------------
    def _count(self, entries: YamlList, scope: _Scope, depth: int = 0) -> int:
        total = 0
        for entry, where in zip(entries, entries.item_locations):
            if not isinstance(entry, YamlMap):
                continue  # reported during expansion
            repeat = self._repeat(entry, scope)
            block = self.blocks.get(entry.get("type")) if isinstance(entry.get("type"), str) else None
            if block is None:
                total += repeat
                continue
            if depth >= MAX_BLOCK_DEPTH:
                raise SpecError(f"blocks nest more than {MAX_BLOCK_DEPTH} deep", location=where)
            if block.name not in self._sizes:
                # Arguments are not bound yet: a `repeat: $n` inside counts as 1 here and is checked when bound.
                self._sizes[block.name] = self._count(block.layers, _Scope("", (), {}, {}, trainable=True), depth + 1)
            total += repeat * self._sizes[block.name]
            if total > self.max_layers:
                return total
        return total

    def _repeat(self, entry: YamlMap, scope: _Scope) -> int:
        if "repeat" not in entry:
            return 1
        value, where = _substitute(entry["repeat"], entry.value_locations["repeat"], scope.env, lenient=True)
        if isinstance(value, str) and value.startswith("$"):
            return 1
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SpecError(f"'repeat' must be a positive integer, found {describe(value)}", location=where,
                            layer_type=entry.get("type") if isinstance(entry.get("type"), str) else None)
        return value

    # -- expansion ------------------------------------------------------------------------
    def _expand(self, entries: YamlList, scope: _Scope, previous: Optional[Ref]) -> Optional[Ref]:
        if scope.names is not None:  # inside a block: explicit names are local and may be referenced forward
            for entry in entries:
                name = entry.get("name") if isinstance(entry, YamlMap) else None
                if isinstance(name, str) and name not in scope.names:
                    scope.names[name] = scope.prefix + name
        for entry, where in zip(entries, entries.item_locations):
            previous = self._expand_entry(entry, where, scope, previous)
        return previous

    def _expand_entry(self, entry: Any, location: Location, scope: _Scope, previous: Optional[Ref]) -> Ref:
        if not isinstance(entry, YamlMap):
            raise SpecError(f"a layer must be a mapping with a 'type', found {describe(entry)}", location=location)
        if "type" not in entry:
            raise SpecError("layer has no 'type' (such as Dense or Conv2D)", location=location)
        layer_type = entry["type"]
        if not isinstance(layer_type, str):
            raise SpecError(f"layer 'type' must be a name such as Dense, found {describe(layer_type)}",
                            location=entry.value_locations["type"])
        name, _ = _substitute(entry.get("name"), entry.value_locations.get("name"), scope.env)
        if name is not None and (not isinstance(name, str) or not name or "/" in name or ":" in name):
            raise SpecError(f"layer 'name' must be a non-empty string without '/' or ':', found {describe(name)}",
                            location=entry.value_locations["name"])
        context = dict(layer=scope.prefix + name if name else None, layer_type=layer_type)
        try:
            repeat = self._repeat(entry, scope)
            trainable, where = _substitute(entry.get("trainable", True), entry.value_locations.get("trainable"),
                                           scope.env)
            if not isinstance(trainable, bool):
                raise SpecError(f"'trainable' must be true or false, found {describe(trainable)}", location=where)
            inputs = self._inputs(entry, scope, previous)
        except SpecError as error:
            raise error.add_context(**context)
        trainable = trainable and scope.trainable
        block = self.blocks.get(layer_type)
        at_least = len(self.layers) + repeat * (self._sizes.get(layer_type, 1) if block else 1)
        if at_least > self.max_layers:  # a `repeat: $n` inside a block, known only now
            raise SpecError(f"the spec expands to at least {at_least:,} layers, more than the limit of "
                            f"{self.max_layers:,} (raise it with --max-layers)",
                            location=entry.value_locations.get("repeat", location), **context)
        for copy in range(repeat):
            copy_name = name if repeat == 1 or name is None else f"{name}_{copy + 1}"
            if block is not None:
                previous = self._expand_block(block, entry, location, scope, copy_name, inputs, trainable, copy,
                                              repeat)
            else:
                previous = self._add_layer(entry, location, scope, copy_name, inputs, trainable)
            inputs = (previous,)
        if name is not None and repeat > 1:  # the base name stands for the last copy
            self._name(scope, name, previous)
        return previous

    def _inputs(self, entry: YamlMap, scope: _Scope, previous: Optional[Ref]) -> Optional[Tuple[Ref, ...]]:
        if "inputs" not in entry:
            return None if previous is None else (previous,)
        where = entry.value_locations["inputs"]
        value, _ = _substitute(entry["inputs"], where, scope.env)
        names = _parse_names(value, where, "inputs")
        if scope.names is None:
            return names
        resolved = []
        for reference in names:
            local, colon, index = reference.rpartition(":")
            base = local if colon and index.isdigit() else reference
            if base not in scope.names:
                raise SpecError(f"unknown input '{base}'{closest(base, scope.names)}; inside a block, inputs name "
                                "the block's layers or its inputs", location=where)
            target = scope.names[base]
            resolved.append(target if base == reference else with_output(target, int(index)))
        return tuple(resolved)

    def _name(self, scope: _Scope, local: str, ref: Ref) -> None:
        if scope.names is None:
            self.aliases[local] = ref
        else:
            scope.names[local] = ref

    def _add_layer(self, entry: YamlMap, location: Location, scope: _Scope, name: Optional[str],
                   inputs: Optional[Tuple[Ref, ...]], trainable: bool) -> Ref:
        full_name = scope.prefix + name if name else None
        args, arg_locations = {}, {}
        for key, value in entry.items():
            if key in RESERVED_LAYER_KEYS:
                continue
            try:
                args[key], arg_locations[key] = _substitute(value, entry.value_locations[key], scope.env)
            except SpecError as error:
                raise error.add_context(layer=full_name, layer_type=entry["type"])
        if full_name and scope.names is not None:
            scope.names[name] = full_name
        self.layers.append(LayerSpec(
            type=entry["type"], name=full_name, inputs=inputs, trainable=trainable, args=args, location=location,
            type_location=entry.value_locations["type"], arg_locations=arg_locations,
            inputs_location=entry.value_locations.get("inputs"), prefix=scope.prefix, scope=scope.path,
        ))
        return full_name if full_name else len(self.layers) - 1

    def _expand_block(self, block: BlockDef, entry: YamlMap, location: Location, scope: _Scope,
                      name: Optional[str], inputs: Optional[Tuple[Ref, ...]], trainable: bool, copy: int,
                      repeat: int) -> Ref:
        if name is None:
            base = scope.prefix + block.name
            count = self.auto_counters.get(base, 0)
            self.auto_counters[base] = count + 1
            name = block.name if count == 0 else f"{block.name}_{count}"
        full_name = scope.prefix + name
        context = dict(layer=full_name, layer_type=block.name)
        env = {}
        for key, value in entry.items():
            if key in RESERVED_LAYER_KEYS:
                continue
            if key not in block.args:
                expected = ", ".join(block.args) or "no arguments"
                raise SpecError(f"unknown argument '{key}'{closest(str(key), block.args)}; block '{block.name}' "
                                f"takes: {expected}", location=entry.key_locations[key], **context)
            env[key] = _substitute(value, entry.value_locations[key], scope.env)
        for key, default in block.args.items():
            if key not in env:
                if default is _REQUIRED:
                    raise SpecError(f"missing required argument '{key}' of block '{block.name}'", location=location,
                                    **context)
                env[key] = (default, block.location)
        if inputs is None:
            raise SpecError(f"the model has several inputs: say which block '{block.name}' takes, with inputs: [...]",
                            location=location, **context)
        if len(inputs) != len(block.inputs):
            raise SpecError(f"block '{block.name}' takes {len(block.inputs)} input(s) ({', '.join(block.inputs)}), "
                            f"found {len(inputs)}", location=entry.value_locations.get("inputs", location), **context)
        inner = _Scope(prefix=full_name + "/", path=scope.path + (full_name,), env=env,
                       names=dict(zip(block.inputs, inputs)), trainable=trainable)
        last = self._expand(block.layers, inner, previous=inputs[0])
        output = last
        if block.output is not None:
            if block.output not in inner.names:
                raise SpecError(f"block '{block.name}': output '{block.output}' is not one of its layers"
                                f"{closest(block.output, inner.names)}", location=block.location)
            output = inner.names[block.output]
        if full_name in self.instances:
            raise SpecError(f"duplicate name '{full_name}'", location=location, **context)
        self.instances[full_name] = BlockInstance(full_name, block.name, output, location)
        self._name(scope, name, output)
        return output


def _substitute(value: Any, location: Optional[Location], env: Dict[str, Tuple[Any, Optional[Location]]],
                lenient: bool = False) -> Tuple[Any, Optional[Location]]:
    """Replace block arguments in a value: '$filters' -> its value, '${filters * 4}' -> computed.

    Returns the value and where it came from (the block use's argument, when substituted whole)."""
    if isinstance(value, str):
        match = _ARGUMENT.fullmatch(value.strip())
        if match is None:
            if "$" in value and _ARGUMENT.search(value):
                raise SpecError(f"block arguments must stand alone ('$name' or '${{expression}}'), found "
                                f"{describe(value)}", location=location)
            return value, location
        if lenient and not env:
            return value, location
        if match.group(1):
            name = match.group(1)
            if name not in env:
                raise SpecError(_unknown_argument(name, env), location=location)
            return env[name]
        return _evaluate(match.group(2), env, location), location
    if isinstance(value, YamlMap):
        return {key: _substitute(item, value.value_locations.get(key, location), env)[0]
                for key, item in value.items()}, location
    if isinstance(value, (list, tuple)):
        locations = getattr(value, "item_locations", [location] * len(value))
        return [_substitute(item, where, env)[0] for item, where in zip(value, locations)], location
    return value, location


def _unknown_argument(name: str, env) -> str:
    if not env:
        return f"'${name}' is a block argument, but this layer is not inside a block"
    return f"unknown block argument '${name}'{closest(name, env)}; this block takes: {', '.join(env)}"


def _evaluate(expression: str, env, location: Optional[Location]) -> int:
    """A small integer expression over block arguments: + - * // % ( ) and names."""
    import ast

    operators = {ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__,
                 ast.FloorDiv: int.__floordiv__, ast.Mod: int.__mod__}

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise SpecError(_unknown_argument(node.id, env), location=location)
            value = env[node.id][0]
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"block argument '{node.id}' is {describe(value)}, not an integer, in "
                                f"'${{{expression}}}'", location=location)
            return value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, (ast.FloorDiv, ast.Mod)) and right == 0:
                raise SpecError(f"division by zero in '${{{expression}}}'", location=location)
            return operators[type(node.op)](left, right)
        raise SpecError(f"'${{{expression}}}' is not an integer expression of block arguments "
                        "(use + - * // % and parentheses)", location=location)

    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise SpecError(f"'${{{expression}}}' is not a valid expression", location=location) from None
    if len(expression) > 200:
        raise SpecError("block argument expressions are limited to 200 characters", location=location)
    return walk(tree)

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


# -- writing ---------------------------------------------------------------------------------


class _Entry(dict):
    """A layer entry: always written as a block mapping, one key a line."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)  # list items indented under their key


def _is_flat(value: Any) -> bool:
    """Scalars, or lists of them (nested too): written on one line, as [3, 3] or [[1, 1], [2, 2]]."""
    return not isinstance(value, dict) and (not isinstance(value, list) or all(map(_is_flat, value)))


def _represent_list(dumper, data):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=_is_flat(data))


def _represent_dict(dumper, data):
    # A small mapping of flat values (an input with its dtype, a wrapped layer) stays on one line.
    short = not isinstance(data, _Entry) and len(data) <= 6 and all(map(_is_flat, data.values()))
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=short)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(_Entry, _represent_dict)


def dump_spec(data: Dict[str, Any], header: str = "") -> str:
    """Plain spec data -> readable YAML that parses back to the same data: one block mapping per layer,
    short lists and small mappings in flow style, `header` as comment lines on top."""
    data = dict(data)
    data["layers"] = [_Entry(entry) for entry in data.get("layers", [])]
    if "blocks" in data:
        data["blocks"] = {name: {**block, "layers": [_Entry(entry) for entry in block.get("layers", [])]}
                          for name, block in data["blocks"].items()}
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comments + yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
