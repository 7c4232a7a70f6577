"""`layercalc layers`: the registry as text; and docs/layers.md, the registry as a markdown reference."""

from __future__ import annotations

import dataclasses
import inspect

from typing import Iterator, List, Tuple

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


def layer_tables(framework: str = rules.DEFAULT_FRAMEWORK) -> List[Tuple[str, Tuple[str, ...], List[Tuple[str, ...]]]]:
    """(title, headers, rows) of each table `layercalc layers` prints: the supported types by family, then
    (Keras) the classes of keras.layers left out on purpose, and why."""
    registry = rules.load_all(framework)
    title = "Supported layer types" if framework == rules.DEFAULT_FRAMEWORK else f"Supported {framework} module types"
    rows = []
    for family in rules.FRAMEWORKS[framework].families:
        for name, rule_class in registry.items():
            if rule_class.family != family:
                continue
            aliases = f" ({', '.join(rule_class.aliases)})" if rule_class.aliases else ""
            arguments = ", ".join(f"{rules.argument_name(f)}={_default(f)}" for f in shape_arguments(rule_class))
            rows.append((family, name + aliases, arguments))
    tables = [(title, ("Family", "Type (aliases)", "Arguments that change shapes or counts (default)"), rows)]
    if framework == rules.DEFAULT_FRAMEWORK:
        tables.append((f"\n{LEFT_OUT_TITLE}", ("Type", "Why"), list(rules.LEFT_OUT)))
    return tables


def list_layers(framework: str = rules.DEFAULT_FRAMEWORK):
    """The layer_tables as rich tables, for a terminal."""
    from rich import box
    from rich.console import Group
    from rich.table import Table

    tables = []
    for title, heads, rows in layer_tables(framework):
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=title, title_justify="left")
        for index, head in enumerate(heads):
            last = index == len(heads) - 1
            table.add_column(head, overflow="fold" if last else "ellipsis", no_wrap=not last and len(heads) == 2)
        for row in rows:
            table.add_row(*row)
        tables.append(table)
    return Group(*tables)


def list_layers_text(framework: str = rules.DEFAULT_FRAMEWORK) -> Iterator[str]:
    """The layer_tables as list_layers' tables print when piped (calc/render/plain_table.py)."""
    from .plain_table import simple_table_fits, simple_table_text

    tables = layer_tables(framework)
    if not all(simple_table_fits(*table) for table in tables):
        from .table import plain_text

        yield plain_text(list_layers(framework))
        return
    for table in tables:
        yield from simple_table_text(*table)


LEFT_OUT_TITLE = "Left out on purpose (keras.layers classes with no output shape to compute)"


def describe_layer(type_name: str, framework: str = rules.DEFAULT_FRAMEWORK):
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

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
