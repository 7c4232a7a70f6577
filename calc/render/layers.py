"""`layercalc layers`: the registry as text; and docs/layers.md, the registry as a markdown reference."""

from __future__ import annotations

import dataclasses
import inspect

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .. import rules
from ..errors import SpecError
from .markdown import markdown_table


def _default(f: dataclasses.Field) -> str:
    if f.default is dataclasses.MISSING:
        return "required"
    return "null" if f.default is None else str(f.default).lower() if isinstance(f.default, bool) else str(f.default)


def shape_arguments(rule_class: type) -> list:
    """The arguments that change shapes or counts: those not typed 'Any'."""
    return [f for f in dataclasses.fields(rule_class) if rules.affects_shapes(f)]


def list_layers(framework: str = rules.DEFAULT_FRAMEWORK) -> Group:
    """The supported types by family, then (Keras) the classes of keras.layers left out on purpose, and why."""
    registry = rules.load_all(framework)
    title = "Supported layer types" if framework == rules.DEFAULT_FRAMEWORK else f"Supported {framework} module types"
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=title, title_justify="left")
    table.add_column("Family")
    table.add_column("Type (aliases)")
    table.add_column("Arguments that change shapes or counts (default)", overflow="fold")
    for family in rules.FRAMEWORKS[framework].families:
        for name, rule_class in registry.items():
            if rule_class.family != family:
                continue
            aliases = f" ({', '.join(rule_class.aliases)})" if rule_class.aliases else ""
            arguments = ", ".join(f"{rules.argument_name(f)}={_default(f)}" for f in shape_arguments(rule_class))
            table.add_row(family, name + aliases, arguments)
    left_out = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"\n{LEFT_OUT_TITLE}", title_justify="left")
    left_out.add_column("Type", no_wrap=True)
    left_out.add_column("Why", overflow="fold")
    for name, reason in rules.LEFT_OUT:
        left_out.add_row(name, reason)
    return Group(table, left_out) if framework == rules.DEFAULT_FRAMEWORK else Group(table)


LEFT_OUT_TITLE = "Left out on purpose (keras.layers classes with no output shape to compute)"


def describe_layer(type_name: str, framework: str = rules.DEFAULT_FRAMEWORK) -> Group:
    rule_class = rules.lookup(type_name, ignore_case=True, framework=framework)
    if rule_class is None:
        raise SpecError(f"unknown layer type '{type_name}'{rules.unknown_type_hint(type_name, framework)}")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Argument")
    table.add_column("Type")
    table.add_column("Default")
    for row in _argument_rows(rule_class):
        table.add_row(*row)
    aliases = f"  aliases: {', '.join(rule_class.aliases)}" if rule_class.aliases else ""
    header = Text(f"{rule_class.keras_name()} ({rule_class.family}){aliases}\n", style="bold")
    return Group(header, Text(inspect.cleandoc(rule_class.__doc__ or "") + "\n"), table)


def _argument_rows(rule_class: type) -> list:
    """(argument, type, default) for each argument of a rule."""
    return [(rules.argument_name(f),
             rules.describe_type(f) if rules.affects_shapes(f) else "no effect on shapes or counts", _default(f))
            for f in dataclasses.fields(rule_class)]


def layer_reference(framework: str = rules.DEFAULT_FRAMEWORK) -> str:
    """docs/layers.md (docs/torch_layers.md): every registered type by family, with its aliases, formulas and
    arguments (what `layercalc layers TYPE` prints), so the docs follow from the registry (`make docs`)."""
    registry = rules.load_all(framework)
    if framework == rules.DEFAULT_FRAMEWORK:
        parts = ["# Supported layer types\n\n"
                 "Generated from the layer registry by `make docs` (a test fails when it is out of date); "
                 "`layercalc layers TYPE` prints one type's entry.\n"]
    else:
        parts = [f"# Supported {framework} module types (`framework: {framework}`)\n\n"
                 "Generated from the torch registry by `make docs` (a test fails when it is out of date); "
                 f"`layercalc layers TYPE --framework {framework}` prints one type's entry.\n"]
    for family in rules.FRAMEWORKS[framework].families:
        parts.append(f"\n## {family}\n")
        for name, rule_class in registry.items():
            if rule_class.family != family:
                continue
            aliases = f"Aliases: {', '.join(rule_class.aliases)}.\n\n" if rule_class.aliases else ""
            doc = inspect.cleandoc(rule_class.__doc__ or "")
            rows = _argument_rows(rule_class)
            arguments = markdown_table(["argument", "type", "default"], rows) if rows else "No arguments.\n"
            parts.append(f"\n### {name}\n\n{aliases}```text\n{doc}\n```\n\n{arguments}")
    if framework == rules.DEFAULT_FRAMEWORK:
        parts.append(f"\n## {LEFT_OUT_TITLE}\n\n" + markdown_table(["type", "why"], list(rules.LEFT_OUT)))
    return "".join(parts)
