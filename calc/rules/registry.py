"""The layer registries, one per framework: each rule class under its framework's name and aliases,
found by name, with only the family modules a spec uses imported.

Keras' rules are the family modules beside this one (calc/rules/<family>.py); PyTorch's are a sibling
family set (calc/rules/torch/<family>.py) with a registry of its own, so that Conv2d (torch) and
Conv2D (Keras) never meet.  A spec says which it uses (`framework:`; Keras by default)."""

from __future__ import annotations

import functools
import importlib
import os
import re
from typing import Dict, List, NamedTuple, Optional, Tuple

from ..errors import closest

FAMILIES = (
    "core", "conv", "pooling", "reshaping", "preprocessing", "norm", "regularization", "activation", "rnn",
    "attention", "merge", "keras_hub", "hugging_face", "ops", "applications",
    "custom",
)

# The classes keras.layers exports (Keras 3.15) that layercalc leaves out on purpose, and why: shown at the
# end of `layercalc layers` and of docs/layers.md, and in the message for such a type;
# tests/test_layers_exported.py fails when a class Keras exports is neither registered nor here.
LEFT_OUT = (
    ("Lambda", "runs an arbitrary Python function: only running it tells its output shape"),
    ("TFSMLayer", "calls a TensorFlow SavedModel, whose graph is not in the model"),
    ("JaxLayer", "calls a JAX function, whose shapes and parameters only running it tells"),
    ("FlaxLayer", "calls a Flax module, whose shapes and parameters only running it tells"),
    ("TorchModuleWrapper", "calls a PyTorch module, whose shapes and parameters only running it tells"),
    ("Layer", "the base class of every layer: a subclass (a custom layer) defines its own shapes; declare one "
              "with type: Custom"),
    ("Wrapper", "the abstract base of Bidirectional, TimeDistributed and SpectralNormalization, never used itself"),
)

TORCH_FAMILIES = (
    "conv", "linear", "norm", "activation", "pooling", "dropout", "sparse", "reshaping", "recurrent", "transformer",
    "functional", "torchvision",
)
# Families whose types are named in a namespace of their own: keras.ops' Add is `ops.add`, beside the Add layer.
TYPE_PREFIXES = {"ops": "ops."}

REGISTRY: Dict[str, type] = {}  # canonical Keras class name -> rule class
ALIASES: Dict[str, str] = {}  # alias -> canonical name
TORCH_REGISTRY: Dict[str, type] = {}  # torch.nn module name (or torch function) -> rule class
TORCH_ALIASES: Dict[str, str] = {}


class RuleSet(NamedTuple):
    """One framework's rules: the package of its family modules, their names, and its registry."""

    package: str
    folder: str  # where the family modules' source is read (types_defined_in)
    families: Tuple[str, ...]
    registry: Dict[str, type]
    aliases: Dict[str, str]


FRAMEWORKS = {
    "keras": RuleSet(__package__, os.path.dirname(__file__), FAMILIES, REGISTRY, ALIASES),
    "torch": RuleSet(f"{__package__}.torch", os.path.join(os.path.dirname(__file__), "torch"), TORCH_FAMILIES,
                     TORCH_REGISTRY, TORCH_ALIASES),
}
DEFAULT_FRAMEWORK = "keras"


def registered_name(family: str, class_name: str) -> str:
    """The type name of a family's rule class: its class name, or in a namespaced family the prefix and the
    snake-cased class name, as keras.ops names its functions (a trailing _ dropped: Any_ is ops.any).

    >>> registered_name("core", "Dense"), registered_name("ops", "TrueDivide"), registered_name("ops", "Any_")
    ('Dense', 'ops.true_divide', 'ops.any')
    """
    prefix = TYPE_PREFIXES.get(family)
    return prefix + snake_case(class_name.rstrip("_")) if prefix else class_name


def register(cls: type) -> type:
    """Class decorator: make a rule available under its name (`registered_name`) and aliases, in the registry
    of the framework whose package defines it."""
    package, _, cls.family = cls.__module__.rpartition(".")
    cls.type_name = registered_name(cls.family, cls.__name__)
    rule_set = next(rule_set for rule_set in FRAMEWORKS.values() if rule_set.package == package)
    rule_set.registry[cls.type_name] = cls
    for alias in cls.aliases:
        rule_set.aliases[alias] = cls.type_name
    return cls


# How a family module writes a registered rule: "@register", other decorators, "class Name(...):", then its
# body up to the next line at column 0, where an "aliases = (...)" line names its aliases.
_CLASS_AFTER_REGISTER = re.compile(r"(?:@[^\n]*\n)*class (\w+)")
_TOP_LEVEL_LINE = re.compile(r"\n\S")
_ALIASES = re.compile(r"\n[ \t]+aliases = \(([^)]*)\)")


@functools.cache
def types_defined_in(family: str, framework: str = DEFAULT_FRAMEWORK) -> Tuple[str, ...]:
    """The types and aliases a family module registers, read from its source text (a fraction of a
    millisecond), so that a spec imports only the families it uses: importing all of them costs tens
    of milliseconds at start-up. A test checks this against the registry; a type it misses still
    works, through load_all()."""
    try:
        with open(os.path.join(FRAMEWORKS[framework].folder, f"{family}.py"), encoding="utf-8") as file:
            source = file.read()
    except OSError:  # installed without sources: its types are found through load_all()
        return ()
    names = []
    for text in source.split("\n@register\n")[1:]:
        header = _CLASS_AFTER_REGISTER.match(text)
        body_end = _TOP_LEVEL_LINE.search(text, header.end())
        aliases = _ALIASES.search(text, header.end(), body_end.start() if body_end else len(text))
        names += [registered_name(family, header.group(1)), *re.findall(r"[\w.]+", aliases.group(1) if aliases else "")]
    return tuple(names)


def family_of(type_name: str, framework: str = DEFAULT_FRAMEWORK) -> Optional[str]:
    """The family module that registers a type or alias (reading only the families before it), or None."""
    return next((family for family in FRAMEWORKS[framework].families
                 if type_name in types_defined_in(family, framework)), None)


@functools.cache
def load_all(framework: str = DEFAULT_FRAMEWORK) -> Dict[str, type]:
    """Import every family module of a framework (once), so its registry is complete."""
    rule_set = FRAMEWORKS[framework]
    for family in rule_set.families:
        importlib.import_module(f"{rule_set.package}.{family}")
    return rule_set.registry


def lookup(type_name: str, ignore_case: bool = False, framework: str = DEFAULT_FRAMEWORK) -> Optional[type]:
    """The rule class for a layer name or alias of the framework, or None."""
    rule_set = FRAMEWORKS[framework]
    registry, aliases = rule_set.registry, rule_set.aliases
    known = registry.get(aliases.get(type_name, type_name))
    if known is not None:
        return known
    family = None if ignore_case else family_of(type_name, framework)
    if family is not None:
        importlib.import_module(f"{rule_set.package}.{family}")
        rule_class = registry.get(aliases.get(type_name, type_name))
        if rule_class is not None:
            return rule_class
    load_all(framework)
    if ignore_case:
        by_lower = {name.lower(): name for name in all_type_names(framework)}
        type_name = by_lower.get(type_name.lower(), type_name)
    canonical = aliases.get(type_name, type_name)
    return registry.get(canonical)


def all_type_names(framework: str = DEFAULT_FRAMEWORK) -> List[str]:
    rule_set = FRAMEWORKS[framework]
    load_all(framework)
    return sorted([*rule_set.registry, *rule_set.aliases])


def unknown_type_hint(type_name: str, framework: str = DEFAULT_FRAMEWORK) -> str:
    """What to say after "unknown layer type 'X'": an activation function's name used as a type gets the
    layer that applies it (GELU is `Activation` with `activation: gelu`, not the ELU layer the spelling
    is closest to); anything else the closest type's name.

    >>> unknown_type_hint("GELU"), unknown_type_hint("relu"), unknown_type_hint("Dense2")
    (' (an activation function: write {type: Activation, activation: gelu})', " (did you mean 'ReLU'?)", " (did you mean 'Dense'?)")
    """
    from .arguments import ACTIVATIONS

    names = all_type_names(framework)
    if framework != DEFAULT_FRAMEWORK:  # an activation is a module of its own in torch (GELU)
        return closest(type_name, names)
    if type_name == "InputLayer":
        return (" (a model's input: only a spec's first layer may be an InputLayer, when the spec has no input: "
                "or inputs:, and it is then the input)")
    left_out = dict(LEFT_OUT)
    if type_name in left_out:
        return f" (left out on purpose: {type_name} {left_out[type_name]})"
    names = [name for name in names if "." not in name or "." in type_name]  # ops.* when asked
    functions = [name for name in (type_name.lower(), snake_case(type_name)) if name in ACTIVATIONS]
    if functions and type_name.lower() not in {name.lower() for name in names}:  # relu: the ReLU layer is meant
        return f" (an activation function: write {{type: Activation, activation: {functions[0]}}})"
    return closest(type_name, names)


@functools.lru_cache(maxsize=None)
def snake_case(name: str) -> str:
    """Keras' auto-name prefix for a class name.

    >>> snake_case("MaxPooling2D"), snake_case("BatchNormalization"), snake_case("Conv2DTranspose")
    ('max_pooling2d', 'batch_normalization', 'conv2d_transpose')
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


