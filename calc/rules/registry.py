"""The layer registry: each rule class under its Keras name and aliases, found by name,
with only the family modules a spec uses imported."""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..errors import closest

FAMILIES = (
    "core", "conv", "pooling", "reshaping", "preprocessing", "norm", "regularization", "activation", "rnn",
    "attention", "merge", "keras_hub", "ops", "applications",
)
# Families whose types are named in a namespace of their own: keras.ops' Add is `ops.add`, beside the Add layer.
TYPE_PREFIXES = {"ops": "ops."}

REGISTRY: Dict[str, type] = {}  # canonical Keras class name -> rule class
ALIASES: Dict[str, str] = {}  # alias -> canonical name


def registered_name(family: str, class_name: str) -> str:
    """The type name of a family's rule class: its class name, or in a namespaced family the prefix and the
    snake-cased class name, as keras.ops names its functions (a trailing _ dropped: Any_ is ops.any).

    >>> registered_name("core", "Dense"), registered_name("ops", "TrueDivide"), registered_name("ops", "Any_")
    ('Dense', 'ops.true_divide', 'ops.any')
    """
    prefix = TYPE_PREFIXES.get(family)
    return prefix + snake_case(class_name.rstrip("_")) if prefix else class_name


def register(cls: type) -> type:
    """Class decorator: make a rule available under its Keras name and aliases."""
    cls.family = cls.__module__.rsplit(".", 1)[-1]
    cls.type_name = registered_name(cls.family, cls.__name__)
    REGISTRY[cls.type_name] = cls
    for alias in cls.aliases:
        ALIASES[alias] = cls.type_name
    return cls


# How a family module writes a registered rule: "@register", other decorators, "class Name(...):", then its
# body up to the next line at column 0, where an "aliases = (...)" line names its aliases.
_CLASS_AFTER_REGISTER = re.compile(r"(?:@[^\n]*\n)*class (\w+)")
_TOP_LEVEL_LINE = re.compile(r"\n\S")
_ALIASES = re.compile(r"\n[ \t]+aliases = \(([^)]*)\)")


@functools.cache
def types_defined_in(family: str) -> Tuple[str, ...]:
    """The types and aliases a family module registers, read from its source text (a fraction of a
    millisecond), so that a spec imports only the families it uses: importing all of them costs tens
    of milliseconds at start-up. A test checks this against the registry; a type it misses still
    works, through load_all()."""
    try:
        source = (Path(__file__).parent / f"{family}.py").read_text(encoding="utf-8")
    except OSError:  # installed without sources: its types are found through load_all()
        return ()
    names = []
    for text in source.split("\n@register\n")[1:]:
        header = _CLASS_AFTER_REGISTER.match(text)
        body_end = _TOP_LEVEL_LINE.search(text, header.end())
        aliases = _ALIASES.search(text, header.end(), body_end.start() if body_end else len(text))
        names += [registered_name(family, header.group(1)), *re.findall(r"[\w.]+", aliases.group(1) if aliases else "")]
    return tuple(names)


def family_of(type_name: str) -> Optional[str]:
    """The family module that registers a type or alias (reading only the families before it), or None."""
    return next((family for family in FAMILIES if type_name in types_defined_in(family)), None)


@functools.cache
def load_all() -> Dict[str, type]:
    """Import every family module (once), so the registry is complete."""
    for family in FAMILIES:
        importlib.import_module(f"{__package__}.{family}")
    return REGISTRY


def lookup(type_name: str, ignore_case: bool = False) -> Optional[type]:
    """The rule class for a Keras layer name or alias, or None."""
    known = REGISTRY.get(ALIASES.get(type_name, type_name))
    if known is not None:
        return known
    family = None if ignore_case else family_of(type_name)
    if family is not None:
        importlib.import_module(f"{__package__}.{family}")
        rule_class = REGISTRY.get(ALIASES.get(type_name, type_name))
        if rule_class is not None:
            return rule_class
    load_all()
    if ignore_case:
        by_lower = {name.lower(): name for name in all_type_names()}
        type_name = by_lower.get(type_name.lower(), type_name)
    canonical = ALIASES.get(type_name, type_name)
    return REGISTRY.get(canonical)


def all_type_names() -> List[str]:
    load_all()
    return sorted([*REGISTRY, *ALIASES])


def unknown_type_hint(type_name: str) -> str:
    """What to say after "unknown layer type 'X'": an activation function's name used as a type gets the
    layer that applies it (GELU is `Activation` with `activation: gelu`, not the ELU layer the spelling
    is closest to); anything else the closest type's name.

    >>> unknown_type_hint("GELU"), unknown_type_hint("relu"), unknown_type_hint("Dense2")
    (' (an activation function: write {type: Activation, activation: gelu})', " (did you mean 'ReLU'?)", " (did you mean 'Dense'?)")
    """
    from .arguments import ACTIVATIONS

    names = [name for name in all_type_names() if "." not in name or "." in type_name]  # ops.* when asked
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


