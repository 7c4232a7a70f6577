"""GitHub-flavoured markdown tables, ready for a pull-request comment."""

from __future__ import annotations

import re

from ..errors import visible
from ..report import Report
from . import (DIFF_RIGHT, budget_figures, by_type_table, choose_columns, column_rows, diff_headers, diff_rows,
               diff_totals, field_notes, headers, merged, shapes, totals_lines)

_SYNTAX = re.compile(r"[\\`*\[\]~]")  # what could start a link, an image, a code span, emphasis, strikethrough
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _text(value: str) -> str:
    """Text from the input as markdown shows it: HTML and markdown syntax escaped, control characters spelled
    out (pipes are escaped by markdown_table, in every cell). Underscores are left alone: names are full of them,
    and inside a word one starts no emphasis."""
    value = _SYNTAX.sub(lambda match: "\\" + match[0], visible(value))
    return re.sub("[&<>]", lambda match: _ENTITIES[match[0]], value)


def _code(value: str) -> str:
    """Text from the input as a code span, where markdown and HTML are not read: only a backtick could end
    it, so text with one is shown as _text shows it instead."""
    value = visible(value)
    return _text(value) if "`" in value else f"`{value}`"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def markdown_table(header, rows, right=()) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if index in right else "---" for index in range(len(header))) + "|"]
    lines += ["| " + " | ".join(_escape(str(cell)) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_summary_markdown(report: Report, title: str, columns=None, flops: bool = False,
                            memory: bool = False) -> str:
    flops, memory = flops or "flops" in report.shown, memory or "memory" in report.shown
    columns = columns or report.columns or choose_columns(None, report, flops, memory)
    shown = headers(columns)
    code = [index for index, column in enumerate(merged(columns)) if column in ("output_shape", "input_shape")]
    rows = [[f"`{cell}`" if index in code and cell else cell or ("-" if column == "inputs" else "")
             for index, (column, cell) in enumerate(zip(merged(columns), cells))]
            for cells in column_rows(report, columns, ", ", _text)]
    right = tuple(index for index, (_, is_right) in enumerate(shown) if is_right)
    text = (f"**Model: {_escape(_text(title))}**\n\n" + markdown_table([header for header, _ in shown], rows, right=right)
            + "\n")
    return text + _footer(report, columns, flops or "flops" in columns, memory or "memory" in columns)


def _footer(report: Report, columns, flops: bool, memory: bool) -> str:
    """The totals (FLOPs and memory figures when shown) and notes, as a list."""
    lines = totals_lines(report, flops, memory, _text)
    text = "\n".join(f"- {label}: **{value}**" for label, value in lines) + "\n"
    for note in field_notes(report) if "receptive_field" in columns else ():
        text += f"- {note}\n"
    if report.valid_when:
        text += f"- Valid when: {', '.join(report.valid_when)}\n"
    return text


def render_by_type_markdown(report: Report, title: str) -> str:
    """The totals per layer type (--by-type), and the totals."""
    heads, rows, flops, memory = by_type_table(report, _text)
    right = tuple(index for index, (_, is_right) in enumerate(heads) if is_right)
    return (f"**Model: {_escape(_text(title))}, by layer type**\n\n"
            + markdown_table([header for header, _ in heads], rows, right=right) + "\n"
            + _footer(report, (), flops, memory))


def render_check_markdown(results) -> str:
    rows = []
    for result in results:
        for budget in result.results:
            layer = f" ({_text(budget.layer)})" if budget.layer else ""
            limit, actual, margin, _ = budget_figures(budget)
            rows.append([_code(result.spec), budget.name + layer, limit, actual, margin,
                         "✅ ok" if budget.ok else "❌ exceeded", _text(budget.convention)])
    return markdown_table(["Spec", "Budget", "Limit", "Actual", "Margin", "Verdict", "Convention"], rows,
                          right=(2, 3, 4))


def render_diff_markdown(diff) -> str:
    """The layers `diff.listed`, before and after side by side, and a table of the totals."""
    marks = {"added": "➕ added", "removed": "➖ removed", "changed": "✏️ changed", "same": "same"}
    rows = []
    for change, cells in diff_rows(diff, _text, lambda shape: f"`{shapes(shape)}`"):
        rows.append([marks[change.status], _code(change.name), *cells[2:]])
    text = f"**{_escape(_text(diff.before_name))} → {_escape(_text(diff.after_name))}**\n\n"
    text += markdown_table(diff_headers(diff), rows, right=DIFF_RIGHT)
    text += "\n| | Before | After | Δ |\n|---|---:|---:|---:|\n"
    for label, before, after, change in diff_totals(diff):
        text += f"| {label} | {before} | {after} | {change} |\n"
    return text + ("" if diff.differs else "\nNo layer differs.\n")
