"""The rich table, in the spirit of Keras' model.summary()."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..errors import visible
from ..report import Report
from . import PAGE, by_type_table, column_rows, count, headers, percent, shapes, summary_columns, summary_footer


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
    """One table per spec: each budget's limit, actual, margin and verdict."""
    parts = []
    for result in results:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("Budget", "Limit", "Actual", "Margin", "Verdict"):
            table.add_column(column, justify="left" if column in ("Budget", "Verdict") else "right", no_wrap=True)
        for budget in result.results:
            name = budget.name + (f" ({budget.layer})" if budget.layer else "")
            margin = f"{count(budget.margin)} ({percent(budget.margin_percent)})"
            verdict = Text("ok", style="green") if budget.ok else Text(
                f"EXCEEDED by {count(-budget.margin)}", style="bold red")
            table.add_row(plain(name), count(budget.limit), count(budget.actual), margin, verdict)
        if not result.results:
            table.add_row("(no budget: add one under budget: or pass --max-params)", "", "", "", "")
        parts.append(titled(result.spec, table))
    return Group(*parts)


def signed(value) -> str:
    if value is None:
        return "?"
    if not isinstance(value, int):
        return str(value)
    return f"{value:+,}" if value else "0"


def build_diff(diff, show_all: bool = False) -> Group:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("", "Layer", "Type", "Output Shape", "Params", "Δ Params", "Δ MACs"):
        table.add_column(column, justify="right" if column.startswith(("Params", "Δ")) else "left")
    marks = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow"), "same": (" ", "")}
    for change in diff.changes:
        if change.status == "same" and not show_all:
            continue
        mark, style = marks[change.status]
        before, after = change.before, change.after
        kind = after.type if after else before.type
        if before and after and before.type != after.type:
            kind = f"{before.type} → {after.type}"
        shape = shapes(after.output_shape) if after else shapes(before.output_shape)
        if before and after and before.output_shapes != after.output_shapes:
            shape = f"{shapes(before.output_shape)} → {shapes(after.output_shape)}"
        params = count(after.counts.params) if after else count(0)
        table.add_row(Text(mark, style=style), plain(change.name, style), plain(kind), shape, params,
                      signed(change.delta("params")), signed(change.delta("macs")))
    footer = Text()
    for label, column in (("Total params", "params"), ("Trainable params", "trainable_params"),
                          ("Non-trainable params", "non_trainable_params"),
                          ("MACs per batch" if diff.per_batch else "MACs per example", "macs")):
        old, new = getattr(diff.before_totals, column), getattr(diff.after_totals, column)
        footer.append(f" {label}: ", style="bold")
        footer.append(f"{count(old)} → {count(new)} ({signed(diff.total_delta(column))})\n")
    if not diff.differs:
        footer.append(" No layer differs.\n")
    return Group(titled(f"{diff.before_name} → {diff.after_name}", table), footer)
