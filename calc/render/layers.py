"""`layercalc layers`: the registry as text."""

from __future__ import annotations

import dataclasses
import inspect

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .. import rules
from ..errors import SpecError, closest


def _default(f: dataclasses.Field) -> str:
    if f.default is dataclasses.MISSING:
        return "required"
    return "null" if f.default is None else str(f.default).lower() if isinstance(f.default, bool) else str(f.default)


def shape_arguments(rule_class: type) -> list:
    """The arguments that change shapes or counts: those not typed 'Any'."""
    return [f for f in dataclasses.fields(rule_class) if rules.affects_shapes(f)]


def list_layers() -> Table:
    registry = rules.load_all()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Supported layer types", title_justify="left")
    table.add_column("Family")
    table.add_column("Type (aliases)")
    table.add_column("Arguments that change shapes or counts (default)", overflow="fold")
    for family in rules.FAMILIES:
        for name, rule_class in registry.items():
            if rule_class.family != family:
                continue
            aliases = f" ({', '.join(rule_class.aliases)})" if rule_class.aliases else ""
            arguments = ", ".join(f"{rules.argument_name(f)}={_default(f)}" for f in shape_arguments(rule_class))
            table.add_row(family, name + aliases, arguments)
    return table


def describe_layer(type_name: str) -> Group:
    rule_class = rules.lookup(type_name, ignore_case=True)
    if rule_class is None:
        raise SpecError(f"unknown layer type '{type_name}'{closest(type_name, rules.all_type_names())}")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Argument")
    table.add_column("Type")
    table.add_column("Default")
    for f in dataclasses.fields(rule_class):
        kind = rules.describe_type(f) if rules.affects_shapes(f) else "no effect on shapes or counts"
        table.add_row(rules.argument_name(f), kind, _default(f))
    aliases = f"  aliases: {', '.join(rule_class.aliases)}" if rule_class.aliases else ""
    header = Text(f"{rule_class.__name__} ({rule_class.family}){aliases}\n", style="bold")
    return Group(header, Text(inspect.cleandoc(rule_class.__doc__ or "") + "\n"), table)
