"""The rich table, in the spirit of Keras' model.summary()."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..errors import visible
from ..report import Report
from . import (DIFF_RIGHT, PAGE, budget_figures, by_type_table, column_rows, diff_headers, diff_rows, diff_totals,
               headers, summary_columns, summary_footer)


def plain(text: str, style: str = "") -> Text:
    """Text from the input as a table shows it: never read as rich markup or an emoji code (a Text, not a
    str), control characters spelled out."""
    return Text(visible(text), style=style)


def build_table(report: Report, title: str, columns=None, flops: bool = False, memory: bool = False) -> Group:
    """The summary table: `columns` as calc.render.choose_columns gives them (default: Keras' own), and
    the footer's totals, with FLOPs and memory figures when asked for."""
    columns, flops, memory = summary_columns(report, columns, flops, memory)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header, right in headers(columns):
        if right:
            table.add_column(header, justify="right", no_wrap=True)
        else:
            table.add_column(header, overflow="fold")
    for cells in column_rows(report, columns):
        table.add_row(*map(Text, cells))  # column_rows spelled out the control characters
    return Group(titled(f'Model: "{title}"', table), footer(report, columns, flops, memory))


def build_by_type(report: Report, title: str) -> Group:
    """The totals per layer type (--by-type), and the summary's footer."""
    heads, rows, flops, memory = by_type_table(report)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header, right in heads:
        table.add_column(header, justify="right" if right else "left", no_wrap=right,
                         overflow="ellipsis" if right else "fold")
    for cells in rows:
        table.add_row(*map(Text, cells))  # by_type_table spelled out the control characters
    return Group(titled(f'Model: "{title}", by layer type', table), footer(report, (), flops, memory))


def footer(report: Report, columns, flops: bool, memory: bool) -> Text:
    """The lines under a summary table: totals and notes, the labels bold."""
    text = Text()
    for label, value in summary_footer(report, columns, flops, memory):
        text.append(label, style="bold")
        text.append(value + "\n")
    return text


def plain_text(renderable) -> str:
    """What rich prints of `renderable` anywhere but a terminal: no styles, never wrapped (a page as wide as
    the table's natural width: tables do not expand, so a very wide page lays them out at their natural
    width). Lines keep rich's padding; calc.render.unpadded strips it."""
    import io

    console = Console(file=io.StringIO(), color_system=None, force_terminal=False, width=PAGE)
    console.print(renderable)
    return console.file.getvalue()


def titled(title: str, table: Table) -> Group:
    """A table under its title, the title a line of its own: wrapped (in a terminal narrower than it) only
    between words, never at the table's width, which cut 'Model: "mnist-convnet"' mid-word."""
    return Group(plain(title, "table.title"), table)


def build_check(results) -> Group:
    """One table per spec: each budget's limit, actual, margin, verdict, and what its figure counts."""
    parts = []
    for result in results:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("Budget", "Limit", "Actual", "Margin", "Verdict", "Convention"):
            table.add_column(column, justify="left" if column in ("Budget", "Verdict", "Convention") else "right",
                             no_wrap=column != "Convention")  # the words wrap in a narrow terminal
        for budget in result.results:
            name = budget.name + (f" ({budget.layer})" if budget.layer else "")
            limit, actual, margin, excess = budget_figures(budget)
            verdict = Text("ok", style="green") if budget.ok else Text(f"EXCEEDED by {excess}", style="bold red")
            table.add_row(plain(name), limit, actual, margin, verdict, plain(budget.convention))
        parts.append(titled(result.spec, table))
    return Group(*parts)


def build_diff(diff) -> Group:
    """The layers `diff.listed`, before and after side by side, and the totals."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for index, column in enumerate(diff_headers(diff)):
        table.add_column(column, justify="right" if index in DIFF_RIGHT else "left")
    marks = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow"), "same": (" ", "")}
    for change, cells in diff_rows(diff):
        mark, style = marks[change.status]
        table.add_row(Text(mark, style=style), Text(cells[1], style=style), *map(Text, cells[2:]))
    footer = Text()
    for label, before, after, change in diff_totals(diff):
        footer.append(f" {label} (before → after): ", style="bold")
        footer.append(f"{before} → {after} ({change})\n")
    if not diff.differs:
        footer.append(" No layer differs.\n")
    return Group(titled(f"{diff.before_name} → {diff.after_name}", table), footer)
