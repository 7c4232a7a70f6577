"""GitHub-flavoured markdown tables, ready for a pull-request comment."""

from __future__ import annotations

from ..budget import CheckResult
from ..report import Report
from . import count, percent, shapes, summary_rows, totals_lines


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _table(header, rows, right=()) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if index in right else "---" for index in range(len(header))) + "|"]
    lines += ["| " + " | ".join(_escape(str(cell)) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_summary_markdown(report: Report, title: str) -> str:
    connected = not report.is_chain
    header = ["Layer (type)", "Output Shape", "Param #", "MACs"] + (["Connected to"] if connected else [])
    rows = [[f"{name} ({kind})", f"`{shape}`", params, macs] + ([inputs or "-"] if connected else [])
            for name, kind, shape, params, macs, inputs in summary_rows(report)]
    text = f"**Model: {_escape(title)}**\n\n" + _table(header, rows, right=(2, 3)) + "\n"
    text += "\n".join(f"- {label}: **{value}**" for label, value in totals_lines(report)) + "\n"
    if report.valid_when:
        text += f"- Valid when: {', '.join(report.valid_when)}\n"
    return text


def render_check_markdown(results) -> str:
    rows = []
    for result in results:
        for budget in result.results:
            rows.append([f"`{result.spec}`", budget.name + (f" ({budget.layer})" if budget.layer else ""),
                         count(budget.limit), count(budget.actual), f"{count(budget.margin)} ({percent(budget.margin_percent)})",
                         "✅ ok" if budget.ok else "❌ exceeded"])
    return _table(["Spec", "Budget", "Limit", "Actual", "Margin", "Verdict"], rows, right=(2, 3, 4))


def render_diff_markdown(diff, show_all: bool = False) -> str:
    from .table import signed

    marks = {"added": "➕ added", "removed": "➖ removed", "changed": "✏️ changed", "same": "same"}
    rows = []
    for change in diff.changes:
        if change.status == "same" and not show_all:
            continue
        before, after = change.before, change.after
        shape_before = f"`{shapes(before.output_shape)}`" if before else ""
        shape_after = f"`{shapes(after.output_shape)}`" if after else ""
        rows.append([marks[change.status], f"`{change.name}`", (after or before).type, shape_before, shape_after,
                     signed(change.delta("params")), signed(change.delta("macs"))])
    text = f"**{_escape(diff.before_name)} → {_escape(diff.after_name)}**\n\n"
    text += _table(["", "Layer", "Type", "Output shape before", "after", "Δ Params", "Δ MACs"], rows, right=(5, 6))
    text += "\n| | Before | After | Δ |\n|---|---:|---:|---:|\n"
    for label, column in (("Total params", "params"), ("Trainable params", "trainable_params"),
                          ("Non-trainable params", "non_trainable_params"), ("MACs per example", "macs")):
        text += (f"| {label} | {count(getattr(diff.before_totals, column))} | "
                 f"{count(getattr(diff.after_totals, column))} | {signed(diff.total_delta(column))} |\n")
    return text
