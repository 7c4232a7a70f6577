"""A JSON Schema of the spec format, generated from the layer registry, so editors
(the YAML language server) validate and complete specs."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict

from . import rules
from .spec.build import DTYPES, FRAMEWORKS, MIXED_PRECISIONS
from .spec.counts import BUDGET_KEYS, MEMORY_BUDGETS
from .spec.expansion import MODEL_ARGUMENTS

_INT = {"type": "integer"}
_POSITIVE = {"type": "integer", "minimum": 1}
_SYMBOL = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}
_COUNT = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^\s*[0-9_.,]+\s*[KkMmGgTt]?\s*$"}]}
_BYTES = {"anyOf": [{"type": "integer", "minimum": 0},
                    {"type": "string", "pattern": r"^\s*[0-9_.,]+\s*([KkMmGgTt][Ii])?[Bb]?\s*$"}]}
_BLOCK_ARGUMENT = {"type": "string", "pattern": r"^\$([A-Za-z_][A-Za-z0-9_]*|\{.*\})$"}

# Argument type name (see rules.ARGUMENT_TYPES) -> JSON Schema.
_TYPES: Dict[str, Dict[str, Any]] = {
    "int": _INT,
    "PositiveInt": _POSITIVE,
    "NonNegativeInt": {"type": "integer", "minimum": 0},
    "bool": {"type": "boolean"},
    "str": {"type": "string"},
    "float": {"type": "number"},
    "Size": {"anyOf": [_POSITIVE, {"type": "array", "items": _POSITIVE, "minItems": 1}]},
    "Axis": {"anyOf": [_INT, {"type": "array", "items": _INT, "minItems": 1}]},
    "TargetShape": {"type": "array", "items": {"anyOf": [_POSITIVE, {"const": -1}]}},
    "Padding": {"anyOf": [_INT, {"type": "array", "items": {"anyOf": [_INT, {"type": "array", "items": _INT}]}}]},
    "PartialShape": {"anyOf": [_INT, {"type": "array", "items": {"anyOf": [_INT, {"type": "null"}]}}]},
    "Array": {"anyOf": [{"type": "number"}, {"type": "array"}]},
    "AxisNames": {"type": "array", "items": {"type": "string"}},
    "SizeExpression": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]},
    "SizeExpressions": {"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"},
                                                             {"type": "null"}]}},
    "WeightShapes": {"type": "object", "additionalProperties": {
        "type": "array", "items": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]}}},
    "LayerConfig": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}},
}
_DIM = {"anyOf": [_POSITIVE, {"type": "null"}, _SYMBOL]}
_SHAPE = {"type": "array", "items": _DIM}


def _argument_schema(f: dataclasses.Field) -> Dict[str, Any]:
    if "choices" in f.metadata:
        schema: Dict[str, Any] = {"enum": list(f.metadata["choices"])}
    else:
        type_name, optional = rules.argument_type(str(f.type))
        schema = dict(_TYPES.get(type_name, {}))
        if optional:
            schema = {"anyOf": [schema, {"type": "null"}]} if schema else {}
    schema["description"] = rules.describe_type(f)
    if f.default is not dataclasses.MISSING and isinstance(f.default, (int, float, str, bool, type(None))):
        schema["default"] = f.default
    return schema


def _layer_rule(name: str, rule_class: type) -> Dict[str, Any]:
    fields = dataclasses.fields(rule_class)
    properties = {rules.argument_name(f): _argument_schema(f) for f in fields}
    properties.update({key: {} for key in rule_class.ignored_arguments if key not in MODEL_ARGUMENTS})
    if rule_class.dtype_policy:
        properties["dtype"] = {"enum": [*rules.LAYER_DTYPES, None],
                               "description": "the layer's Keras dtype policy: its weights' and outputs' dtype "
                                              "(default: the spec's dtype and mixed_precision)"}
    required = [rules.argument_name(f) for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    return {
        "if": {"properties": {"type": {"enum": [name, *rule_class.aliases]}}, "required": ["type"]},
        "then": {"properties": {**_RESERVED, **properties}, "required": required, "additionalProperties": False},
    }


_RESERVED = {
    "type": {"type": "string"},
    "name": {"type": "string"},
    "inputs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "repeat": {"anyOf": [_POSITIVE, _BLOCK_ARGUMENT]},
    "trainable": {"type": "boolean"},
}


def _layer_items(framework: str) -> Dict[str, Any]:
    """A layer of the `layers:` list of a spec of this framework: a call, or a layer of its registry's types."""
    registry = rules.load_all(framework)
    type_names = sorted([*registry, *rules.FRAMEWORKS[framework].aliases])
    what = "A Keras layer class name" if framework == "keras" else "A torch.nn module name or a torch function"
    layer = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"anyOf": [{"enum": type_names}, {"type": "string"}],
                                "description": f"{what} (or a block defined under blocks:)"}},
        "allOf": [_layer_rule(name, rule_class) for name, rule_class in registry.items()],
    }
    # Another call of a layer or block instance ({call: encoder, inputs: [b]}): its own keys, and the call
    # arguments some layer's call() takes (reverse); the graph checks them against the called layer.
    call_arguments = sorted({name for rule_class in registry.values() for name in rule_class.call_arguments})
    call = {"type": "object", "required": ["call"], "additionalProperties": False,
            "properties": {"call": {"type": "string"}, "name": _RESERVED["name"], "inputs": _RESERVED["inputs"],
                           **{name: {} for name in call_arguments}}}
    return {"if": {"required": ["call"]}, "then": call, "else": layer}


def spec_schema() -> Dict[str, Any]:
    # Inside a block, any value may be a block argument ($filters, ${filters * 4}): check structure only.
    block_layer = {"if": {"required": ["call"]}, "then": {"type": "object", "required": ["call"]},
                   "else": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}}}
    input_spec = {"anyOf": [_SHAPE, {"type": "object", "required": ["shape"], "additionalProperties": False,
                                     "properties": {"shape": _SHAPE, "dtype": {"type": "string"}}}]}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://github.com/layercalc/layercalc/spec.schema.json",
        "title": "layercalc model spec",
        "type": "object",
        "additionalProperties": False,
        "required": ["layers"],
        "properties": {
            "name": {"type": ["string", "integer"]},
            "framework": {"enum": list(FRAMEWORKS), "description": "whose layer types and semantics (default keras)"},
            "batch": _DIM,
            "dtype": {"enum": list(DTYPES), "description": "bytes behind the memory figures (default float32)"},
            "mixed_precision": {"enum": list(MIXED_PRECISIONS), "description": "Keras' mixed policy: activations in "
                                "this dtype, variables in float32 (as --mixed-precision, which overrides it)"},
            "input": input_spec,
            "inputs": {"type": "object", "additionalProperties": input_spec, "minProperties": 1},
            "symbols": {"type": "object", "additionalProperties": _POSITIVE},
            "blocks": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["layers"], "additionalProperties": False,
                "properties": {
                    "args": {"anyOf": [{"type": "array"}, {"type": "object"}]},
                    "inputs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                    "output": {"type": "string"},
                    "layers": {"type": "array", "minItems": 1, "items": block_layer},
                }}},
            "layers": {"type": "array", "minItems": 1},
            "outputs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "budget": {"type": "object", "additionalProperties": False,
                       "properties": {key: _BYTES if key in MEMORY_BUDGETS else _COUNT for key in BUDGET_KEYS}},
        },
        "oneOf": [{"required": ["input"]}, {"required": ["inputs"]}],
        # the layers' types and arguments: torch.nn's in a torch spec, Keras' otherwise
        "if": {"required": ["framework"], "properties": {"framework": {"const": "torch"}}},
        "then": {"properties": {"layers": {"items": _layer_items("torch")}}},
        "else": {"properties": {"layers": {"items": _layer_items("keras")}}},
    }
