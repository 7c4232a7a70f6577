"""Keras model files -> spec data: the plain mapping a YAML spec parses to.

Reads what `model.to_json()` writes and the config.json inside a `.keras`
archive (`model.save("m.keras")`), in the Keras 3 format, without Keras.
Sequential and Functional models become `input`/`inputs`, `layers` with
`inputs:` references (`lstm:1` for a layer's second output) and `outputs`.
A model used as a layer inside another becomes a block (its layers are named
`inner/dense`, as any block's are), so `--depth 1` shows it as one row, as
Keras' summary() does.  Layer arguments are kept when layercalc's rule for
the class knows them; names, dtypes, initializers, regularizers and
constraints are dropped; anything else goes through unchanged, so the rule
refuses what it does not know rather than guessing.  Keras Hub's layers
(module keras_hub...) read as layercalc's rules of the same names in
calc/rules/keras_hub.py; a call argument return_attention_scores=True is the
spec's layer argument, its scores the layer's output 1 (`mha:1`), and so is
use_causal_mask=True (a decoder's self-attention, with a KV cache).
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import MISSING, dataclass, field
from typing import Any, Callable, Dict, List, NoReturn, Optional, Tuple

from .. import rules
from ..rules import keras_hub as keras_hub_rules
from ..errors import Location, SpecError, closest, describe

MODEL_CLASSES = ("Sequential", "Functional", "Model")
# Config keys that never change a shape or a count, whatever their value (`trainable` becomes the
# entry's own key).  Initializer, regularizer and constraint configs go too.
DROPPED = {"name", "trainable", "dtype", "autocast", "activity_regularizer"}
DROPPED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
# Keys some Keras layers write that layercalc's rules do not take: their value does not matter
# (seed, ...), or only their default does (anything else changes the weights Keras creates).
IRRELEVANT = {"seed", "zero_output_for_mask", "unroll", "renorm_clipping", "renorm_momentum", "input_shape",
              "batch_input_shape", "batch_size", "input_dim"}
DEFAULT_ONLY = {"renorm": False, "quantization_config": None}
# Arguments Keras writes as an empty list when they are None (Normalization: `axis = ()` for None).
EMPTY_MEANS_NONE = {("Normalization", "axis")}
# Keyword arguments of a layer call that change no shape or count; tensors given as
# query/value/key (MultiHeadAttention, Attention) or decoder_sequence/encoder_sequence (Keras Hub's
# TransformerDecoder) are inputs, in that order; so are a recurrent layer's initial_state tensors, after its sequence.
IGNORED_CALL_ARGUMENTS = {"training", "mask"}
# The masks Keras passes from layer to layer (mask=, query_mask=, ...): computed by operations it adds itself
# (Embedding(mask_zero=True) and Masking: NotEqual, Any), they change no shape or count, so those operations
# are left out of the spec.
TENSOR_CALL_ARGUMENTS = ("query", "value", "key", "decoder_sequence", "encoder_sequence", "initial_state")
# Call arguments that a spec gives as the layer's own arguments (attention's second output, the scores; a
# causal self-attention, whose keys and values a decoder caches): every call of a layer must give the same
# value.  use_causal_mask is kept for the layers whose rule takes it (MultiHeadAttention, GroupQueryAttention),
# left out for the others (Attention's mask changes no figure).
LAYER_CALL_ARGUMENTS = {"return_attention_scores", "use_causal_mask"}
# Keras Hub's layers (module keras_hub...) that layercalc has rules for, in calc/rules/keras_hub.py; the
# config keys they write that change no shape or count (build shapes, an initializer under a plain name).
KERAS_HUB_DROPPED = {("PositionEmbedding", "initializer"), ("TransformerDecoder", "decoder_sequence_shape"),
                     ("TransformerDecoder", "encoder_sequence_shape")}


@dataclass(frozen=True)
class KerasModel:
    spec: Dict[str, Any]  # plain spec data: what a YAML spec parses to
    origin: str  # where it came from, for the header of a converted spec
    # Custom layers written as Custom entries to fill in (declare=True): layer name -> the TODO comment's lines
    todo: Dict[str, Tuple[str, ...]] = field(default_factory=dict)


class FileLocation(Location):
    """A whole file, no line or column: an imported model's errors read `model.keras: layer ...`."""

    __slots__ = ()

    def __str__(self) -> str:
        return self.file


def file_location(path: str) -> FileLocation:
    return FileLocation(path, 0, 0)


# -- reading ------------------------------------------------------------------------------------


def read_model(path: str, max_bytes: int, declare: bool = False) -> Optional[KerasModel]:
    """The model in a .keras archive or a .json file; None for a .json file that is a layercalc spec.
    declare: a user's custom layer becomes a Custom entry to fill in (convert), else it is refused, with
    the entry that declares it."""
    where = file_location(path)
    if path.lower().endswith(".keras"):
        text, version = _read_archive(path, max_bytes)
        _check_version(version, where)
        config = _parse_json(text, where, "config.json in the archive")
        origin = f"{path} (a .keras archive{f' saved by Keras {version}' if version else ''})"
    else:
        data = _read_file(path, max_bytes)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpecError("is not UTF-8 text: expected the JSON that model.to_json() writes",
                            location=where) from None
        config = _parse_json(text, Location(path, 1, 1), None)
        if not _is_keras_config(config):
            return None
        _check_version(config.get("keras_version"), where)  # Keras 2's to_json() says; Keras 3's does not
        origin = f"{path} (model.to_json())"
    converter = _Converter(where, declare)
    return KerasModel(model_spec(config, where, converter), origin, converter.todo)


def model_from_text(text: str, source: str) -> Optional[KerasModel]:
    """The Keras model in JSON text read from standard input (model.to_json() piped in), or None for anything
    else: a layercalc spec, in YAML or in JSON."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        return None  # the YAML reader says what is wrong with it
    if not _is_keras_config(config):
        return None
    config = _parse_json(text, Location(source, 1, 1), None)  # its limits and checks, as for a file
    _check_version(config.get("keras_version"), file_location(source))
    return KerasModel(model_spec(config, file_location(source)), f"{source} (model.to_json())")


def _read_file(path: str, max_bytes: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise SpecError(f"cannot read the file: {exc.strerror or exc}", location=file_location(path)) from None
    if len(data) > max_bytes:
        raise SpecError(f"model file is larger than {max_bytes // (1024 * 1024)} MiB", location=file_location(path))
    return data


# Keras writes three members (config.json, metadata.json, model.weights.h5) and a few assets; the
# directory listing them is read whole, so it is bounded before zipfile reads it.  The archive itself
# may be any size: its weights are never read.
MAX_ARCHIVE_MEMBERS = 10_000
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024
MAX_METADATA_BYTES = 64 * 1024
# Keras stores or deflates members.  zipfile decompresses bzip2 and LZMA in one unbounded step, whatever
# size the archive declares (2 KiB of bzip2 can hold gigabytes), so only these two are read.
READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _read_archive(path: str, max_bytes: int) -> Tuple[str, Optional[str]]:
    """(config.json text, Keras version from metadata.json) of a .keras archive."""
    where = file_location(path)
    try:
        with open(path, "rb") as handle:
            _check_directory(handle, where)
            with zipfile.ZipFile(handle) as archive:
                members = archive.infolist()
                if len(members) > MAX_ARCHIVE_MEMBERS:
                    raise SpecError(f"the archive has {len(members):,} members, more than the limit of "
                                    f"{MAX_ARCHIVE_MEMBERS:,}", location=where)
                names = archive.namelist()
                if "config.json" not in names:
                    raise SpecError(f"the archive has no config.json (it holds: {', '.join(names) or 'nothing'}): "
                                    "expected a model saved with model.save('model.keras')", location=where)
                config = _read_member(archive, "config.json", max_bytes, where)
                if "metadata.json" not in names:
                    return config, None
                metadata = _read_member(archive, "metadata.json", MAX_METADATA_BYTES, where)
    except OSError as exc:
        raise SpecError(f"cannot read the file: {exc.strerror or exc}", location=where) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, NotImplementedError) as exc:
        hint = " (this is an HDF5 file: the legacy .h5 format, which layercalc does not read)" if _is_hdf5(path) \
            else ""
        raise SpecError(f"not a readable .keras archive{hint}: {exc}", location=where) from None
    try:
        version = json.loads(metadata).get("keras_version")
    except (ValueError, AttributeError, RecursionError):
        version = None
    return config, version if isinstance(version, str) else None


def _check_directory(handle: Any, where: Location) -> None:
    """Refuse an archive whose directory is too large before zipfile reads it: 2 million members took 1 GB."""
    # zipfile's own reader of the end record (private, unchanged since Python 2.6), so the directory is
    # measured exactly as ZipFile will read it, ZIP64 included.  None: not an archive, which ZipFile says.
    end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]
    if end is None:
        return
    size, members = end[zipfile._ECD_SIZE], end[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]
    if members > MAX_ARCHIVE_MEMBERS:
        raise SpecError(f"the archive has {members:,} members, more than the limit of {MAX_ARCHIVE_MEMBERS:,}",
                        location=where)
    if size > MAX_DIRECTORY_BYTES:
        raise SpecError(f"the archive's directory is {size:,} bytes, more than the limit of "
                        f"{MAX_DIRECTORY_BYTES // (1024 * 1024)} MiB", location=where)


def _read_member(archive: zipfile.ZipFile, name: str, limit: int, where: Location) -> str:
    """A member's text, never more than `limit` bytes decompressed, whatever the archive declares."""
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:
        raise SpecError(f"{name} in the archive is encrypted: layercalc reads archives as model.save() writes them",
                        location=where)
    if info.compress_type not in READABLE_METHODS:
        method = zipfile.compressor_names.get(info.compress_type, f"method {info.compress_type}")
        raise SpecError(f"{name} in the archive is compressed with {method}: layercalc reads only stored and "
                        "deflated members, as model.save() writes them", location=where)
    too_large = SpecError(f"{name} in the archive is larger than {limit // 1024:,} KiB", location=where)
    if info.file_size > limit:
        raise too_large
    with archive.open(info) as member:
        data = member.read(limit + 1)  # deflate is decompressed piecewise: at most limit + 1 bytes are made
    if len(data) > limit:
        raise too_large
    return data.decode("utf-8-sig")


def _check_version(version: Any, where: Location) -> None:
    if isinstance(version, str) and version.split(".")[0] in ("1", "2"):
        raise SpecError(f"the model was saved by Keras {version}: layercalc reads the Keras 3 format (load the "
                        "model with Keras 3 and save it again)", location=where)


def _is_hdf5(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


# As deep as a YAML spec may nest (yaml_spec.MAX_YAML_DEPTH): deeper would exhaust Python's stack in the
# stages after reading.  A Keras model nests about four levels per model inside a model.
MAX_JSON_DEPTH = 100
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')  # a string, or a bracket outside strings
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # "\\ud800" in JSON text: a surrogate once read


def _parse_json(text: str, where: Location, what: Optional[str]) -> Any:
    try:
        data = json.loads(text)
    except RecursionError:  # nested deeper than Python's stack
        _too_deep(text, where, what)
    except ValueError as exc:
        if what is None:  # a .json file: point at the line and column
            error = exc if isinstance(exc, json.JSONDecodeError) else None
            location = Location(where.file, error.lineno, error.colno) if error else where
            raise SpecError(f"invalid JSON: {error.msg if error else exc}", location=location) from None
        raise SpecError(f"{what} is not valid JSON: {exc}", location=where) from None
    _check_data(data, text, where, what)
    return data


def _check_data(data: Any, text: str, where: Location, what: Optional[str]) -> None:
    """Refuse JSON nested more than MAX_JSON_DEPTH deep, or holding a lone surrogate ("\\ud800"), which
    is not a character: no message or output could show it."""
    surrogates = (not text.isascii() and _SURROGATE.search(text)) or ("\\u" in text and _SURROGATE_ESCAPE.search(text))
    if not surrogates:  # no string to check (the common case): only the depth, level by level
        level, depth = [data] if isinstance(data, (dict, list)) else [], 1
        while level:
            if depth > MAX_JSON_DEPTH:
                _too_deep(text, where, what)
            level = [item for value in level for item in (value.values() if isinstance(value, dict) else value)
                     if isinstance(item, (dict, list))]
            depth += 1
        return
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                shown = value.encode("utf-8", "backslashreplace").decode("utf-8")
                raise SpecError(f"{what + ': ' if what else ''}the string '{shown}' holds a lone surrogate, which "
                                "is not a character", location=where)
        elif isinstance(value, (dict, list)) and depth > MAX_JSON_DEPTH:
            _too_deep(text, where, what)
        elif isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _too_deep(text: str, where: Location, what: Optional[str]) -> NoReturn:
    """Refuse JSON text nested more than MAX_JSON_DEPTH deep, at the first bracket past the limit."""
    message = f"lists and objects nest more than {MAX_JSON_DEPTH} deep"
    if what is not None:  # inside an archive: the file is the location
        raise SpecError(f"{what}: {message}", location=where)
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        if token.group() in "]}":
            depth -= 1
        elif token.group() in "[{":
            depth += 1
        if depth > MAX_JSON_DEPTH:
            line = text.count("\n", 0, token.start()) + 1
            column = token.start() - (text.rfind("\n", 0, token.start()) + 1) + 1
            raise SpecError(message, location=Location(where.file, line, column))
    raise SpecError(message, location=where)


def _is_keras_config(data: Any) -> bool:
    """A Keras model (to_json, or a bare get_config()) rather than a layercalc spec written as JSON."""
    if not isinstance(data, dict):
        return False
    if "class_name" in data:
        return True
    layers = data.get("layers")
    return isinstance(layers, list) and any(isinstance(item, dict) and "class_name" in item for item in layers)


# -- Keras config values ------------------------------------------------------------------------


def decode(value: Any) -> Any:
    """Keras-serialized values as plain data: __tuple__ and __numpy__ -> lists, a dtype policy -> its name."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    class_name, config = value.get("class_name"), value.get("config")
    if class_name in ("__tuple__", "__numpy__") and isinstance(config, dict) and "value" in config:
        return decode(config["value"])
    if isinstance(class_name, str) and class_name.endswith("DTypePolicy") and isinstance(config, dict):
        return config.get("name")
    return {key: decode(item) for key, item in value.items()}


def _dtype(value: Any) -> Optional[str]:
    value = decode(value)
    return value if isinstance(value, str) else None


def _is_tensor(value: Any) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _is_mask(key: str) -> bool:
    """A mask tensor Keras passes (mask=, query_mask=, ...); use_causal_mask is a flag, not a tensor."""
    return key == "mask" or key.endswith("_mask") and key not in ("attention_mask", "use_causal_mask")


def _tensors(value: Any) -> List[Any]:
    """The Keras tensors in a call argument, in order (lists, tuples and dicts flattened)."""
    if _is_tensor(value):
        return [value]
    if isinstance(value, list):
        return [tensor for item in value for tensor in _tensors(item)]
    if isinstance(value, dict):
        return [tensor for item in value.values() for tensor in _tensors(item)]
    return []


def _leaves(value: Any) -> List[Any]:
    """Tensors and constants in a call argument (lists and dicts flattened)."""
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict) and not _is_tensor(value):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


def _key_text(key: Any, where: Location) -> str:
    """A GetItem key as Keras saves it (ints, __slice__, __ellipsis__, null for a new axis) as the spec writes
    it, between Python's brackets: ':, 1:3, ..., None'."""
    def part(item: Any) -> str:
        if item is None:
            return "None"
        if isinstance(item, int) and not isinstance(item, bool):
            return str(item)
        if isinstance(item, dict) and item.get("class_name") == "__ellipsis__":
            return "..."
        config = item.get("config") if isinstance(item, dict) else None
        if isinstance(config, dict) and item.get("class_name") == "__slice__":
            bounds = [config.get(bound) for bound in ("start", "stop", "step")]
            if all(bound is None or isinstance(bound, int) and not isinstance(bound, bool) for bound in bounds):
                text = ":".join("" if bound is None else str(bound) for bound in bounds)
                return text[:-1] if text.endswith(":") else text
        raise SpecError(f"it indexes with {describe(item)}: layercalc reads indices, slices, ... and None",
                        location=where)

    return ", ".join(part(item) for item in (key if isinstance(key, list) else [key]))


def _history(tensor: Any, where: Location) -> Tuple[str, int, int]:
    history = tensor.get("config", {}).get("keras_history") if isinstance(tensor.get("config"), dict) else None
    if (isinstance(history, list) and len(history) == 3 and isinstance(history[0], str)
            and all(isinstance(item, int) for item in history[1:])):
        return history[0], history[1], history[2]
    raise SpecError(f"a tensor without a valid keras_history: {describe(history)}", location=where)


def _triples(value: Any, what: str, where: Location) -> List[Tuple[str, int, int]]:
    """input_layers / output_layers: [name, node, index], a list of them, or a dict of them."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise SpecError(f"the model's '{what}' must list [layer, node, index] triples, found {describe(value)}",
                        location=where)
    triples = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                and all(isinstance(number, int) for number in item[1:])):
            raise SpecError(f"the model's '{what}' must list [layer, node, index] triples, found {describe(item)}",
                            location=where)
        triples.append((item[0], item[1], item[2]))
    return triples


# -- models -> spec data ------------------------------------------------------------------------


def model_spec(config: Any, where: Location, converter: Optional["_Converter"] = None) -> Dict[str, Any]:
    """A Keras model config (to_json() or config.json) -> plain spec data."""
    if isinstance(config, dict) and "class_name" not in config and "layers" in config:
        config = {"class_name": "Functional" if "input_layers" in config else "Sequential", "config": config}
    from .keras_hub_backbones import backbone_spec, is_backbone

    if is_backbone(config):  # a Keras Hub backbone saves its constructor's arguments, not its layers
        return backbone_spec(config, where)
    return (converter or _Converter(where)).top(config)


@dataclass
class _Scope:
    """Names as one model's layers see them: Keras layer name -> spec reference."""

    names: Dict[str, str] = field(default_factory=dict)
    # A nested model's outputs: instance -> ([global reference of each output], its block output reference).
    nested: Dict[str, Tuple[List[str], str]] = field(default_factory=dict)
    prefix: str = ""  # 'outer/inner/': how the spec names this scope's layers globally


class _Converter:
    def __init__(self, where: Location, declare: bool = False) -> None:
        self.where = where
        self.blocks: Dict[str, Dict[str, Any]] = {}
        self.declare = declare
        self.todo: Dict[str, Tuple[str, ...]] = {}
        self.model: Any = None  # the model's config, as read
        self.policy = "float32"  # the dtype policy most of the model's layers have: the spec's precision
        # layer name -> its output shape, as its readers' inputs record it: for a custom layer's entry, found when
        # there is one
        self.recorded_outputs: Optional[Dict[str, Any]] = None

    # -- the model ------------------------------------------------------------------------------
    def top(self, entry: Any) -> Dict[str, Any]:
        class_name, config = self._model_parts(entry, None)
        self.model = entry
        self.policy = _model_policy(entry)
        spec: Dict[str, Any] = {"name": config.get("name")} if isinstance(config.get("name"), str) else {}
        scope = _Scope()
        if class_name == "Sequential":
            input_layer, members = self._sequential_members(config, entry)
            batch, shape = self._input(input_layer)
            keras_name = self._layer_name(input_layer)
            named = any(isinstance(layer, dict) and isinstance(layer.get("config"), dict)
                        and layer["config"].get("name") == "input" for layer in members)
            if named:  # a layer is named 'input', the name `input:` gives: keep the InputLayer's
                shape = {keras_name: shape}
            single = not named  # `input:` (its shape, or {shape, dtype}), not `inputs:`
            scope.names[keras_name] = keras_name if named else "input"
            layers = self._chain(members, scope)
            outputs = None
        else:
            inputs = self._functional_inputs(config)
            batches = {self._input(layer)[0] for layer in inputs.values()}
            if len(batches) > 1:
                raise SpecError(f"the model's inputs have different batch sizes ({', '.join(map(str, batches))}): "
                                "a spec has one batch size", location=self.where)
            batch = batches.pop()
            shape = {name: self._input(layer)[1] for name, layer in inputs.items()}
            scope.names.update({name: name for name in inputs})
            layers = self._graph(config, scope)
            single = False
            outputs = [self._reference(history, scope, "the model's outputs")
                       for history in _triples(config.get("output_layers"), "output_layers", self.where)]
        if batch is not None:
            spec["batch"] = batch
        spec.update(POLICIES[self.policy])
        spec["input" if single else "inputs"] = shape
        if self.blocks:
            spec["blocks"] = self.blocks
        spec["layers"] = layers
        if outputs is not None and outputs != [layers[-1]["name"]]:
            spec["outputs"] = outputs
        return spec

    def _model_parts(self, entry: Any, name: Optional[str]) -> Tuple[str, Dict[str, Any]]:
        if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
            raise SpecError(f"expected a Keras model config with 'class_name' and 'config', found {describe(entry)}",
                            location=self.where)
        class_name = entry.get("class_name")
        config = entry["config"]
        if class_name not in MODEL_CLASSES or not isinstance(config.get("layers"), list):
            what = f"'{class_name}'" if isinstance(class_name, str) else describe(class_name)
            raise SpecError(f"the model is a {what}, not a Sequential or Functional model: a subclassed model's "
                            "config has no layer graph to read", location=self.where, layer=name,
                            layer_type=class_name if isinstance(class_name, str) else None)
        if class_name != "Sequential" and "input_layers" not in config:
            raise SpecError("a Functional model's config without 'input_layers'", location=self.where, layer=name,
                            layer_type=class_name)
        return ("Sequential" if class_name == "Sequential" else "Functional"), config

    def _sequential_members(self, config: Dict[str, Any], entry: Dict[str, Any]):
        """(the InputLayer config, the other layers) of a Sequential model."""
        members = [layer for layer in config["layers"]]
        if members and isinstance(members[0], dict) and members[0].get("class_name") == "InputLayer":
            return members[0], members[1:]
        shape = config.get("build_input_shape") or (entry.get("build_config") or {}).get("input_shape")
        if not isinstance(shape, list):
            raise SpecError("the Sequential model has no input shape (it was saved before it was built): "
                            "give it a keras.Input", location=self.where)
        return {"class_name": "InputLayer", "config": {"batch_shape": shape, "name": "input"}}, members

    def _functional_inputs(self, config: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
        by_name = {self._layer_name(layer): layer for layer in config["layers"]}
        inputs = {}
        for name, node, index in _triples(config.get("input_layers"), "input_layers", self.where):
            layer = by_name.get(name)
            if layer is None or layer.get("class_name") != "InputLayer":
                raise SpecError(f"the model's input '{name}' is not one of its InputLayers", location=self.where)
            inputs[name] = layer
        return inputs

    def _input(self, layer: Dict[str, Any]) -> Tuple[Any, Any]:
        """(batch, spec input) of an InputLayer config: batch_shape -> batch + shape, and its dtype unless it is the
        one the spec gives an input without one (the `dtype:` a float16 policy writes, else float32)."""
        config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        name = config.get("name", "input")
        shape = decode(config.get("batch_shape"))
        if shape is None and "batch_input_shape" in config:
            raise SpecError(f"input '{name}' has a Keras 2 'batch_input_shape': layercalc reads models saved by "
                            "Keras 3", location=self.where)
        if not isinstance(shape, list) or not shape or not all(
                dim is None or isinstance(dim, int) and not isinstance(dim, bool) for dim in shape):
            raise SpecError(f"input '{name}': batch_shape must be a list of sizes and nulls, found {describe(shape)}",
                            location=self.where)
        dtype = _dtype(config.get("dtype")) or "float32"
        rest = shape[1:]
        default = POLICIES[self.policy].get("dtype", "float32")  # what the spec gives an input without a dtype
        return shape[0], rest if dtype == default else {"shape": rest, "dtype": dtype}

    # -- layers ---------------------------------------------------------------------------------
    def _chain(self, members: List[Any], scope: _Scope) -> List[Dict[str, Any]]:
        """A Sequential model's layers: each takes the one before."""
        entries = []
        for layer in members:
            entries.append(self._entry(layer, scope))
        if not entries:
            raise SpecError("the Sequential model has no layers", location=self.where)
        return entries

    def _graph(self, config: Dict[str, Any], scope: _Scope) -> List[Dict[str, Any]]:
        """A Functional model's layers, in the config's order, with their inputs."""
        entries: List[Dict[str, Any]] = []
        previous = next(iter(scope.names.values())) if len(scope.names) == 1 else None
        pending: List[Tuple[str, int, Any, Callable[..., Optional[List[str]]]]] = []  # later calls not yet written
        masks = _mask_operations(config)
        for layer in config["layers"]:
            if not isinstance(layer, dict):
                raise SpecError(f"a layer must be a mapping with 'class_name' and 'config', found {describe(layer)}",
                                location=self.where)
            if layer.get("class_name") == "InputLayer" or (_origin(layer) == "operation" and layer.get("name") in masks):
                continue
            name = self._layer_name(layer)
            class_name = layer.get("class_name")
            context = dict(layer=name, layer_type=class_name if isinstance(class_name, str) else None)
            nodes = layer.get("inbound_nodes")
            if not isinstance(nodes, list) or not nodes:
                raise SpecError("the layer is not connected (no inbound_nodes)", location=self.where, **context)

            first_call: Dict[str, Any] = {}  # the layer arguments its first call gives (return_attention_scores)

            operation = _operation_rule(layer)

            def inputs(node=nodes[0], previous=previous, context=context, call_arguments=None,
                       layer_arguments=None, first_call=first_call, operation=operation) -> Optional[List[str]]:
                try:
                    given: Dict[str, Any] = {}
                    references = self._call_inputs(node, scope, call_arguments, given, operation)
                    if call_arguments is None:  # the first call: the layer's own entry
                        first_call.update(given)
                        if layer_arguments is not None:
                            layer_arguments.update(given)
                    elif given != first_call:
                        key = min(key for key in {**given, **first_call} if given.get(key) != first_call.get(key))
                        raise SpecError(f"its calls differ in {key}, which a spec gives once for all of a layer's "
                                        "calls", location=self.where)
                except SpecError as error:
                    raise error.add_context(location=self.where, **context)
                return references if references != [previous] else None

            entries.append(self._entry(layer, scope, inputs))
            # A layer called several times (shared weights): its other calls follow it, named as Keras numbers
            # them (`shared@1` is node 1, `shared[1][0]` in model.summary()), with the call arguments that change
            # figures (reverse=True); the graph checks them against the layer's rule.
            # A call on a later layer's output (a tied head: embed(hidden, reverse=True)) waits for that layer.
            pending += [(name, call, node, inputs) for call, node in enumerate(nodes[1:], start=1)]
            while True:
                ready = [item for item in pending if self._known_inputs(item[2], scope)]
                if not ready:
                    break
                for called, call, node, call_inputs in ready:
                    pending.remove((called, call, node, call_inputs))
                    call_arguments: Dict[str, Any] = {}
                    references = call_inputs(node, previous=None, call_arguments=call_arguments) or []
                    entries.append({"call": called, "name": _call_name(called, call),
                                    "inputs": references[0] if len(references) == 1 else references,
                                    **call_arguments})
            previous = entries[-1]["name"]
        for _, _, node, call_inputs in pending:  # inputs never known: the reference's message says which
            call_inputs(node, previous=None, call_arguments={})
        if not entries:
            raise SpecError("the model has no layers besides its inputs", location=self.where)
        return entries

    def _known_inputs(self, node: Any, scope: _Scope) -> bool:
        """Whether every tensor a call reads comes from a layer or input already written (a malformed node:
        True, so that its message is raised where it stands)."""
        if not isinstance(node, dict) or not isinstance(node.get("kwargs", {}) or {}, dict):
            return True
        kwargs = node.get("kwargs") or {}
        tensors = _tensors(node.get("args", [])) + [tensor for key in TENSOR_CALL_ARGUMENTS
                                                    for tensor in _tensors(kwargs.get(key))]
        try:
            return all(_history(tensor, self.where)[0] in scope.names or _history(tensor, self.where)[0] in scope.nested
                       for tensor in tensors)
        except SpecError:
            return True

    def _call_inputs(self, node: Any, scope: _Scope, call_arguments: Optional[Dict[str, Any]] = None,
                     layer_arguments: Optional[Dict[str, Any]] = None, operation: Optional[type] = None) -> List[str]:
        """The spec references of the tensors a layer was called on; a later call's other keyword arguments
        go into `call_arguments` (a layer's first call, its own entry, can carry none), those a spec gives as
        layer arguments (LAYER_CALL_ARGUMENTS) into `layer_arguments`."""
        if isinstance(node, list):
            raise SpecError("inbound_nodes in the Keras 2 format: layercalc reads models saved by Keras 3",
                            location=self.where)
        if not isinstance(node, dict):
            raise SpecError(f"an inbound node must be a mapping with 'args' and 'kwargs', found {describe(node)}",
                            location=self.where)
        args, kwargs = node.get("args", []), node.get("kwargs", {}) or {}
        if not isinstance(kwargs, dict):
            raise SpecError(f"an inbound node's 'kwargs' must be a mapping, found {describe(kwargs)}",
                            location=self.where)
        if operation is not None:
            args, kwargs = self._operation_operands(operation, args, kwargs, layer_arguments)
        tensors = _tensors(args)
        constants = [value for value in _leaves(args) if value is not None and not _is_tensor(value)]
        if constants:
            raise SpecError(f"it is called with {json.dumps(constants[0])} besides its input tensors, which a spec "
                            "cannot express", location=self.where)
        for key, value in kwargs.items():
            if key in TENSOR_CALL_ARGUMENTS or _is_mask(key):
                continue
            if _tensors(value):
                raise SpecError(f"it is called with a tensor as '{key}', which a spec cannot express",
                                location=self.where)
            if key not in IGNORED_CALL_ARGUMENTS and value not in (None, False):
                if key in LAYER_CALL_ARGUMENTS and layer_arguments is not None:
                    layer_arguments[key] = value
                    continue
                if call_arguments is not None and key not in ("call", "name", "inputs"):  # a call entry's own keys
                    call_arguments[key] = value
                    continue
                raise SpecError(f"it is called with {key}={json.dumps(value)}, which a spec cannot express",
                                location=self.where)
        for key in TENSOR_CALL_ARGUMENTS:
            tensors += _tensors(kwargs.get(key))
        if not tensors:
            raise SpecError("it is called on no tensor", location=self.where)
        return [self._reference(_history(tensor, self.where), scope, "its inputs") for tensor in tensors]

    def _operation_operands(self, rule: type, args: Any, kwargs: Dict[str, Any],
                            layer_arguments: Optional[Dict[str, Any]]) -> Tuple[List[Any], Dict[str, Any]]:
        """An operation's call: (its tensor arguments, the other keyword arguments); its constant operands
        (x + 3.0's 3.0, x[1:3]'s key) matched to the parameters of its keras.ops function, by position or
        name, become the spec's arguments (x2: 3.0, key: '1:3')."""
        args = args if isinstance(args, list) else [args]
        parameters = list(rule.call_parameters)
        named = [(parameters[position] if position < len(parameters) else rule.variadic, value)
                 for position, value in enumerate(args)]
        named += [(key, kwargs[key]) for key in kwargs if key in parameters]
        tensors, constants = [], {}
        for parameter, value in named:
            if _tensors(value) and parameter != "key":
                tensors.append(value)
            elif parameter in parameters and parameter != rule.variadic:
                constants[parameter] = _key_text(value, self.where) if parameter == "key" else decode(value)
            else:
                raise SpecError(f"it is called with {json.dumps(value)} besides its input tensors, which a spec "
                                "cannot express", location=self.where)
        if layer_arguments is not None:
            layer_arguments.update(constants)
        return tensors, {key: value for key, value in kwargs.items() if key not in parameters}

    def _reference(self, history: Tuple[str, int, int], scope: _Scope, what: str) -> str:
        name, node, index = history
        if name in scope.nested:
            outputs, block_output = scope.nested[name]
            if index >= len(outputs):
                raise SpecError(f"{what} ask for output {index} of '{name}', which has {len(outputs)}",
                                location=self.where)
            if outputs[index] == block_output:
                return _call_name(name, node)  # the block instance (or its call) stands for its output
            if node != 0:
                raise SpecError(f"{what} use output {index} of call {node} of the nested model '{name}': only the "
                                "first output of a nested model's later calls can be used", location=self.where)
            if scope.prefix:
                raise SpecError(f"{what} use output {index} of the nested model '{name}' inside another nested "
                                "model: only its first output can be used there", location=self.where)
            return outputs[index]
        if name not in scope.names:
            raise SpecError(f"{what} use '{name}', which is not a layer or an input of the model", location=self.where)
        reference = _call_name(scope.names[name], node)
        return reference if index == 0 else f"{reference}:{index}"

    def _layer_name(self, layer: Any) -> str:
        config = layer.get("config") if isinstance(layer, dict) else None
        name = (config or {}).get("name") if isinstance(config, dict) else None
        name = name if isinstance(name, str) else layer.get("name") if isinstance(layer, dict) else None
        if not isinstance(name, str) or not name:
            raise SpecError(f"a layer without a name: {describe(layer)}", location=self.where)
        return name

    def _entry(self, layer: Any, scope: _Scope,
               inputs: Optional[Callable[..., Optional[List[str]]]] = None) -> Dict[str, Any]:
        """One spec layer entry (or a block use, for a nested model); `inputs` gives its references
        (None: the previous entry's output), asked once the layer's class is known to be supported."""
        if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
            raise SpecError(f"a layer must be a mapping with 'class_name' and 'config', found {describe(layer)}",
                            location=self.where)
        name = self._layer_name(layer)
        if layer.get("class_name") in MODEL_CLASSES:
            block_name, args = self._nested(layer, name, scope), {}
        else:
            block_name, args = None, self._arguments(layer, name)
        operation = _operation_rule(layer)
        type_name = "Custom" if block_name is None and _origin(layer) == "custom" else layer["class_name"]
        entry: Dict[str, Any] = {"type": block_name or (operation.keras_name() if operation else type_name),
                                 "name": name}
        call_arguments: Dict[str, Any] = {}  # return_attention_scores: a spec's layer argument
        references = inputs(layer_arguments=call_arguments) if inputs else None
        if references is not None:
            entry["inputs"] = references[0] if len(references) == 1 else references
        if layer["config"].get("trainable") is False:
            entry["trainable"] = False
        if block_name is None and operation is None:
            entry.update(_own_policy(layer["config"], self.policy))  # the float32 softmax of a mixed model
        entry.update(args)
        rule = None if block_name or operation else rules.lookup(type_name)
        entry.update({key: value for key, value in call_arguments.items()
                      if key != "use_causal_mask" or (rule is not None and key in rule.arguments())})
        scope.names.setdefault(name, name)
        return entry

    def _arguments(self, layer: Dict[str, Any], name: str) -> Dict[str, Any]:
        """The layer's arguments, from its config (see _config_arguments); unsupported classes refused."""
        class_name = layer.get("class_name")
        context = dict(location=self.where, layer=name, layer_type=class_name if isinstance(class_name, str) else None)
        if not isinstance(class_name, str):
            what = "no class_name" if class_name is None else f"class_name {describe(class_name)}"
            raise SpecError(f"a layer needs a class_name such as 'Dense', found {what}", **context)
        origin = _origin(layer)
        rule = _operation_rule(layer) if origin == "operation" else rules.lookup(class_name)
        if origin == "operation" and rule is None:
            known = [name for name in rules.all_type_names() if name.startswith("ops.")]
            raise SpecError(f"Keras operation '{class_name}' ({layer.get('module')}.{class_name}) is not supported"
                            f"{closest(rules.registered_name('ops', class_name), known)}: layercalc "
                            "knows the operations `layercalc layers` lists under ops", **context)
        if origin == "keras_hub" and (rule is None or rule.__module__ != keras_hub_rules.__name__):
            known = sorted(name for name, value in vars(keras_hub_rules).items()
                           if isinstance(value, type) and value.__module__ == keras_hub_rules.__name__
                           and rules.lookup(name) is value)
            raise SpecError(f"Keras Hub layer class '{class_name}' is not supported: layercalc knows Keras Hub's "
                            f"{', '.join(known)}", **context)
        if origin == "custom":
            return self._custom(layer, name, context)
        if rule is None:
            raise SpecError(f"layer class '{class_name}' is not supported{closest(class_name, rules.all_type_names())}:"
                            " layercalc has no rule for its shapes and weights; `layercalc layers` lists the "
                            "supported types", **context)
        config = {key: value for key, value in layer["config"].items() if (class_name, key) not in KERAS_HUB_DROPPED}
        return self._config_arguments(rule, config, context)

    def _custom(self, layer: Dict[str, Any], name: str, context: Dict[str, Any]) -> Dict[str, Any]:
        """A user's layer class: the arguments of the Custom entry that declares it (declare), else refused with
        that entry.  Its input and output shapes are what the file records (build_config, the tensors its
        readers take); its weights and MACs only its code knows."""
        what = f"custom layer class '{layer.get('registered_name') or layer['class_name']}' (module: " \
               f"{layer.get('module') or 'none'})"
        input_shape = (layer.get("build_config") or {}).get("input_shape")
        # several inputs (called on a list): one shape each, their axes named B, L, C then B1, L1, C1, ...
        several = isinstance(input_shape, list) and len(input_shape) > 1 and all(
            isinstance(shape, list) and shape and not any(isinstance(dim, list) for dim in shape)
            for shape in input_shape)
        shapes = input_shape if several else [input_shape]
        axes = [_axis_names(shape) for shape in shapes]
        if self.recorded_outputs is None:
            self.recorded_outputs = _recorded_outputs(self.model)
        output = self.recorded_outputs.get(name)
        if any(names is None for names in axes):
            todo = ["the input's shape is not recorded: name its axes in input_axes (batch first) and write "
                    "output_shape with them"]
            arguments: Dict[str, Any] = {"input_axes": [], "output_shape": []}
        else:
            axes = [names if index == 0 else [f"{name}{index}" for name in names] for index, names in enumerate(axes)]
            arguments = {"input_axes": axes if several else axes[0],
                         "output_shape": _shape_expression(output or shapes[0], shapes, axes)}
            inputs = (f"its inputs {' and '.join(map(_shape_text, shapes))}, one list each" if several
                      else f"its input {_shape_text(input_shape)}")
            todo = [f"input_axes name the axes of {inputs}; "
                    + (f"output_shape is the {_shape_text(output)} the file records, written with them"
                       if output else "its output's shape is not recorded: output_shape is a guess (the "
                       + ("first input's)" if several else "input's)"))]
        arguments.update({"weights": {}, "macs": 0})
        todo = [f"TODO: {what} runs code layercalc cannot read: declare its figures.", *todo,
                "weights: each weight its build() creates, {name: shape} (non_trainable_weights: the others); "
                "macs: its multiply-accumulates per example (0 if left out)."]
        if not self.declare:
            entry = _flow({"type": "Custom", "name": name, **arguments})
            raise SpecError(f"{what} is unknown: layercalc cannot know the shapes or weights its code makes; declare "
                            f"it in a spec as {entry}, with the shape of each weight its build() creates and its "
                            "MACs (`layercalc convert` writes the spec of the model with this entry to fill in)", **context)
        self.todo[name] = tuple(todo)
        return arguments

    def _config_arguments(self, rule: type, config: Dict[str, Any], context: Dict[str, Any]) -> Dict[str, Any]:
        """Arguments the rule knows, unless they are its default; keys known not to matter dropped; any other
        key kept, for the rule to refuse."""
        known = rule.arguments()
        args: Dict[str, Any] = {}
        for key, raw in config.items():
            if key in DROPPED or key.endswith(DROPPED_SUFFIXES):
                continue
            value = decode(raw)
            if value == [] and (rule.__name__, key) in EMPTY_MEANS_NONE:
                value = None
            if key in known:  # before IRRELEVANT: Embedding's input_dim is an argument
                argument = known[key]
                outer = _dtype(config.get("dtype"))  # a wrapped layer's policy: its own, or its wrapper's
                outer = outer if outer in POLICIES else self.policy
                if "LayerConfig" in str(argument.type) and isinstance(value, list):  # RNN's cells
                    value = [self._wrapped(item, key, context, outer) for item in value]
                elif "LayerConfig" in str(argument.type) and value is not None:
                    value = self._wrapped(value, key, context, outer)
                if _is_default(argument, value):
                    continue
                args[key] = value
            elif key in IRRELEVANT:
                continue
            elif key in DEFAULT_ONLY:
                if value != DEFAULT_ONLY[key]:
                    raise SpecError(f"{key}={json.dumps(value)} is not supported (it changes the weights Keras "
                                    f"creates); layercalc knows only {key}={json.dumps(DEFAULT_ONLY[key])}",
                                    argument=key, **context)
            else:
                args[key] = value  # the rule refuses it, naming the closest argument it knows
        return args

    def _wrapped(self, value: Any, key: str, context: Dict[str, Any], outer: str) -> Dict[str, Any]:
        """A wrapped layer's config (Bidirectional, TimeDistributed) -> {type: LSTM, units: ...}, with its dtype
        policy when it is not `outer`, its wrapper's."""
        if not isinstance(value, dict) or not isinstance(value.get("config"), dict):
            return value  # the rule says what it expects
        class_name = value.get("class_name")
        if class_name in MODEL_CLASSES:
            return self._wrapped_model(value, key, context)
        rule = rules.lookup(class_name) if isinstance(class_name, str) else None
        if rule is None or _origin(value) != "layer":
            raise SpecError(f"'{key}' wraps {describe(class_name)}, a layer class layercalc does not support",
                            argument=key, **context)
        inner = {"type": class_name}
        if value["config"].get("trainable") is False:
            inner["trainable"] = False
        inner.update(_own_policy(value["config"], outer))
        inner.update(self._config_arguments(rule, value["config"], context))
        return inner

    def _model_layers(self, class_name: str, config: Dict[str, Any], entry: Dict[str, Any], scope: _Scope,
                      what: str, one_input: bool = False) -> Tuple[List[Dict[str, Any]], List[str], List[str]]:
        """(layer entries, output references, a Functional model's input names) of a model read in `scope`: a
        Sequential model's input is `input`, a Functional model's keep their names (one_input: its one is `input`)."""
        if class_name == "Sequential":
            input_layer, members = self._sequential_members(config, entry)
            scope.names[self._layer_name(input_layer)] = "input"
            entries = self._chain(members, scope)
            return entries, [entries[-1]["name"]], []
        inputs = list(self._functional_inputs(config))
        scope.names.update({input_name: "input" if one_input else input_name for input_name in inputs})
        entries = self._graph(config, scope)
        outputs = [self._reference(history, scope, what)
                   for history in _triples(config.get("output_layers"), "output_layers", self.where)]
        return entries, outputs, [] if one_input else inputs

    def _wrapped_model(self, value: Dict[str, Any], key: str, context: Dict[str, Any]) -> Dict[str, Any]:
        """A model wrapped by a layer (TimeDistributed(a Sequential or Functional model)) -> {type: Model, layers:
        [...], output: ...}: its layers in a scope of their own, its one input named `input`."""
        class_name, config = self._model_parts(value, context.get("layer"))
        blocks = len(self.blocks)
        inputs = 1 if class_name == "Sequential" else len(self._functional_inputs(config))
        if inputs != 1:
            raise SpecError(f"'{key}' wraps a model with {inputs} inputs: layercalc reads a wrapped model of one "
                            "input", argument=key, **context)
        entries, outputs, _ = self._model_layers(class_name, config, value, _Scope(), f"the outputs of '{key}'", True)
        if len(outputs) != 1 or len(self.blocks) != blocks or any("call" in entry for entry in entries):
            problem = (f"{len(outputs)} outputs" if len(outputs) != 1 else "a model nested in it"
                       if len(self.blocks) != blocks else "a layer called twice")
            raise SpecError(f"'{key}' wraps a model with {problem}: layercalc reads a wrapped model of one output, "
                            "whose layers are called once", argument=key, **context)
        model: Dict[str, Any] = {"type": "Model"}
        if config.get("trainable") is False:
            model["trainable"] = False
        model["layers"] = entries
        if outputs[0] != entries[-1]["name"]:
            model["output"] = outputs[0]
        return model

    def _nested(self, layer: Dict[str, Any], name: str, outer: _Scope) -> str:
        """A model used as a layer -> a block definition; returns the block's name."""
        class_name, config = self._model_parts(layer, name)
        scope = _Scope(prefix=outer.prefix + name + "/")
        block: Dict[str, Any] = {}
        entries, outputs, inputs = self._model_layers(class_name, config, layer, scope, f"the outputs of '{name}'")
        if inputs:
            block["inputs"] = inputs
        first = outputs[0].rpartition(":")[0] if re.search(r":\d+$", outputs[0]) else outputs[0]
        if first not in {entry["name"] for entry in entries}:
            raise SpecError(f"the nested model's first output is '{outputs[0]}', not one of its layers' outputs",
                            location=self.where, layer=name, layer_type=class_name)
        block["layers"] = entries
        if outputs[0] != entries[-1]["name"]:
            block["output"] = outputs[0]  # a layer, or its n-th output ('lstm:1')
        block_name = self._block_name(class_name)
        self.blocks[block_name] = block
        # Layers outside refer to its outputs by their global names (the instance name stands for the
        # block's output, its first output).
        outer.nested[name] = ([self._global(output, scope) for output in outputs], self._global(outputs[0], scope))
        return block_name

    def _global(self, reference: str, scope: _Scope) -> str:
        """A reference inside a nested model as the spec names it from anywhere: 'inner/lstm:1'."""
        base, colon, index = reference.rpartition(":")
        if not (colon and index.isdigit()):
            base, colon, index = reference, "", ""
        if base in scope.nested:  # a model nested in this one: its block output
            return scope.nested[base][1] + colon + index
        return scope.prefix + reference

    def _block_name(self, class_name: str) -> str:
        """'Sequential', then 'Sequential_1', ...: the type a collapsed row shows (`--depth`)."""
        candidate, count = class_name, 0
        while candidate in self.blocks:
            count += 1
            candidate = f"{class_name}_{count}"
        return candidate


AXIS_NAMES = {2: ("B", "C"), 3: ("B", "L", "C"), 4: ("B", "H", "W", "C"), 5: ("B", "D", "H", "W", "C")}


def _axis_names(shape: Any) -> Optional[List[str]]:
    """Names for the axes of a custom layer's recorded input shape (batch first), or None when it records one
    shape of known rank: B, H, W, C for an image, B then D1, D2, ... past rank 5."""
    if not isinstance(shape, list) or not shape or any(isinstance(dim, list) for dim in shape):
        return None
    return list(AXIS_NAMES.get(len(shape), ("B", *(f"D{axis}" for axis in range(1, len(shape))))))


def _shape_expression(shape: List[Any], input_shapes: List[List[Any]], axes: List[List[str]]) -> List[Any]:
    """A recorded output shape written with the inputs' axis names where a size is an input's on the same axis
    (the first such input's; None on the batch axis: B), so that the entry holds for other input sizes too."""
    def named(axis: int, dim: Any) -> Any:
        for input_shape, names in zip(input_shapes, axes):
            if axis < len(input_shape) and dim == input_shape[axis] and (dim is not None or axis == 0):
                return names[axis]
        return dim

    return [named(axis, dim) for axis, dim in enumerate(shape)]


def _flow(value: Any) -> str:
    """A spec value in YAML's flow style, on one line: {type: Custom, input_axes: [B, C], weights: {}}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(_flow, value)) + "]"
    return "null" if value is None else json.dumps(value) if isinstance(value, str) and not value.isidentifier() \
        else str(value)


def _shape_text(shape: List[Any]) -> str:
    return "(" + ", ".join("None" if dim is None else str(dim) for dim in shape) + ("," if len(shape) == 1 else "") + ")"


def _recorded_outputs(config: Any) -> Dict[str, Any]:
    """Layer name -> the shape of its (first) output as the layers that read it record it: the shapes of the Keras
    tensors in a Functional model's inbound_nodes, and in a Sequential model the next layer's build input shape."""
    found: Dict[str, Any] = {}

    def walk(value: Any) -> None:
        if _is_tensor(value):
            history = (value.get("config") or {}).get("keras_history")
            if isinstance(history, list) and len(history) == 3 and history[1:] == [0, 0]:
                found.setdefault(history[0], (value.get("config") or {}).get("shape"))
        elif isinstance(value, dict):
            if value.get("class_name") == "Sequential" and isinstance((value.get("config") or {}).get("layers"), list):
                members = value["config"]["layers"]
                for layer, following in zip(members, members[1:]):
                    if isinstance(layer, dict) and isinstance(following, dict):
                        shape = (following.get("build_config") or {}).get("input_shape")
                        if isinstance((layer.get("config") or {}).get("name"), str) and shape is not None:
                            found.setdefault(layer["config"]["name"], shape)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(config)
    return found


# Keras' dtype policies as a spec's `dtype:` (the variables' dtype, float32 left out) or `mixed_precision:`; a
# layer's own, one of these, is its `dtype:`.
POLICIES = {"float32": {}, "float16": {"dtype": "float16"}, "bfloat16": {"dtype": "bfloat16"},
            "float64": {"dtype": "float64"}, "mixed_float16": {"mixed_precision": "float16"},
            "mixed_bfloat16": {"mixed_precision": "bfloat16"}}


def _own_policy(config: Dict[str, Any], default: str) -> Dict[str, str]:
    """{"dtype": a layer's policy} when it is one of POLICIES other than `default` (the model's, or the wrapper's
    of a wrapped layer), else {}."""
    policy = _dtype(config.get("dtype"))
    return {"dtype": policy} if policy in POLICIES and policy != default else {}


def _model_policy(config: Any) -> str:
    """The model's dtype policy, which becomes the spec's `dtype:` or `mixed_precision:`: the one most of its
    layers have (nested models' and wrapped layers' included; the first of equals), when it is one of POLICIES,
    else float32.  A layer with another policy of POLICIES gets it as its own `dtype:`."""
    policies: List[str] = []

    def walk(layer: Any) -> None:
        inner, class_name = (layer.get("config"), layer.get("class_name")) if isinstance(layer, dict) else (None, None)
        if not isinstance(inner, dict) or class_name == "InputLayer" or _origin(layer) == "operation":
            return
        if class_name in MODEL_CLASSES:
            for member in inner.get("layers") if isinstance(inner.get("layers"), list) else []:
                walk(member)
            return
        policy = _dtype(inner.get("dtype"))
        if policy is not None:
            policies.append(policy)
        for value in inner.values():  # wrapped layers and models: Bidirectional's layer, RNN's cells
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and isinstance(item.get("config"), dict) and (
                        "dtype" in item["config"] or item.get("class_name") in MODEL_CLASSES):
                    walk(item)

    walk(config)
    most = Counter(policies).most_common(1)[0][0] if policies else "float32"  # the first of those most often given
    return most if most in POLICIES else "float32"


def _call_name(reference: str, node: int) -> str:
    """What the spec names a layer's node-th call: the layer itself for the first, 'shared@1' for the second."""
    return reference if node == 0 else f"{reference}@{node}"


def _origin(layer: Dict[str, Any]) -> str:
    """'layer' (a Keras layer class), 'operation' (keras.ops, such as x + 3.0), 'keras_hub' (a Keras Hub layer
    class: registered as keras_hub>TransformerEncoder) or 'custom' (a user's class)."""
    registered, module = layer.get("registered_name"), layer.get("module")
    if isinstance(module, str):
        if module.startswith(("keras.src.ops", "keras.ops")):
            return "operation"
        root = module.split(".")[0]
        return "layer" if root == "keras" else "keras_hub" if root == "keras_hub" else "custom"
    if isinstance(registered, str) and registered.startswith("keras_hub>"):
        return "keras_hub"
    return "custom" if isinstance(registered, str) and registered != layer.get("class_name") else "layer"


def _mask_operations(config: Dict[str, Any]) -> set:
    """The names of the operations of a Functional model whose outputs only make masks (mask=, query_mask=):
    those Keras adds for Embedding(mask_zero=True) and Masking.  Found backwards from the model's outputs
    through every tensor a layer reads but its masks; a malformed config finds none (its messages come later)."""
    layers = {layer.get("name"): layer for layer in config.get("layers", []) if isinstance(layer, dict)}
    outputs = config.get("output_layers")
    outputs = list(outputs.values()) if isinstance(outputs, dict) else outputs
    if isinstance(outputs, list) and len(outputs) == 3 and isinstance(outputs[0], str):
        outputs = [outputs]
    needed = {item[0] for item in outputs or [] if isinstance(item, list) and item and isinstance(item[0], str)}
    waiting = list(needed)
    while waiting:
        layer = layers.get(waiting.pop())
        nodes = layer.get("inbound_nodes") if isinstance(layer, dict) else None
        for node in nodes if isinstance(nodes, list) else []:
            if not isinstance(node, dict) or not isinstance(node.get("kwargs", {}) or {}, dict):
                return set()
            read = [node.get("args")] + [value for key, value in (node.get("kwargs") or {}).items() if not _is_mask(key)]
            for tensor in _tensors(read):
                history = tensor.get("config", {}).get("keras_history") if isinstance(tensor.get("config"), dict) else None
                source = history[0] if isinstance(history, list) and history and isinstance(history[0], str) else None
                if source is not None and source not in needed:
                    needed.add(source)
                    waiting.append(source)
    return {name for name, layer in layers.items() if name not in needed and _origin(layer) == "operation"}


def _operation_rule(layer: Any) -> Optional[type]:
    """The ops rule of a Keras operation node (keras.src.ops.numpy.Add -> ops.add), or None."""
    if not isinstance(layer, dict) or _origin(layer) != "operation" or not isinstance(layer.get("class_name"), str):
        return None
    rule = rules.lookup(rules.registered_name("ops", layer["class_name"]))
    return rule if rule is not None and rule.family == "ops" else None


def _is_default(argument, value: Any) -> bool:
    """Whether a config value is the rule's default, so a converted spec can leave it out."""
    default = argument.default
    if default is MISSING:
        return False
    if isinstance(value, bool) != isinstance(default, bool):
        return False  # True == 1 in Python, not in a spec
    if value == default or (isinstance(default, tuple) and value == list(default)):
        return True
    if default is None and "linear" in argument.metadata.get("choices", ()):
        return value == "linear"  # Keras writes activation=None as 'linear'
    # A size given once per axis ([1, 1]) is the default size (1) on every axis.
    return (str(argument.type).startswith("Size") and isinstance(default, int) and isinstance(value, list)
            and bool(value) and all(item == default and not isinstance(item, bool) for item in value))
