"""Layer rules: one module per Keras layer family (core, conv, pooling, ...), one class per layer type;
PyTorch's modules are a sibling family set with a registry of its own (torch/).

base.py holds the Layer base class and the helpers the families share, arguments.py the argument
types and their checks, registry.py the registry and name lookup. Other stages use what is
re-exported here, as `rules.lookup(...)`, `rules.Layer`.
"""

from .arguments import (COMMON_IGNORED, LAYER_DTYPES, affects_shapes, argument_name, argument_type,
                        check_dtype_policy, describe_type)
from .base import PASS_THROUGH, Layer, Tap
from .registry import (ALIASES, DEFAULT_FRAMEWORK, FAMILIES, FRAMEWORKS, LEFT_OUT, REGISTRY, all_type_names, load_all,
                       lookup, registered_name, snake_case, unknown_type_hint)

__all__ = [
    "ALIASES", "COMMON_IGNORED", "DEFAULT_FRAMEWORK", "FAMILIES", "FRAMEWORKS", "LAYER_DTYPES", "LEFT_OUT",
    "PASS_THROUGH", "REGISTRY", "Layer", "Tap",
    "affects_shapes", "all_type_names", "argument_name", "argument_type", "check_dtype_policy", "describe_type",
    "load_all", "lookup",
    "registered_name", "snake_case", "unknown_type_hint",
]
