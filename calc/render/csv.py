"""CSV: one row per layer (summary) or per budget (check); exact numbers, no thousands separators."""

from __future__ import annotations

import csv
import io

from ..errors import visible
from ..report import Report, number
from . import input_shape, receptive_field, shapes, summary_columns


def _text(value: str) -> str:
    """A cell of text from the input: control characters spelled out, and a quote before a leading = + - @
    (or tab, carriage return) so a spreadsheet shows it rather than running it as a formula (OWASP's "CSV
    injection"). Numbers are never text cells, so a negative delta stays a number."""
    value = visible(value)
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def _write(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def render_summary_csv(report: Report, columns=None, flops: bool = False, memory: bool = False) -> str:
    """Keras' columns, exact (with FLOPs and output bytes when asked for); or the columns chosen."""
    flops, memory = flops or "flops" in report.shown, memory or "memory" in report.shown
    columns = columns or report.columns
    if columns is None:
        counts = ("params", "trainable_params", "non_trainable_params", *("buffers",) * report.has_buffers, "macs")
        counts += ("active_params",) if report.totals.active_params is not None else ()  # a mixture of experts
        extra = ("flops",) * flops + ("activation_bytes",) * memory
        rows = [[_text(row.name), "InputLayer", "", shapes(row.shape), *(0 for _ in counts),
                 *_input_costs(report, index, extra)]
                for index, row in enumerate(report.inputs)]
        rows += [[_text(row.name), _text(row.type), _text(" ".join(row.inputs)), shapes(row.output_shape),
                  *(number(getattr(row.counts, column)) for column in counts),
                  *(number(getattr(row.costs, column)) for column in extra)] for row in report.layers]
        rows.append(["TOTAL", "", "", "", *(number(getattr(report.totals, column)) for column in counts),
                     *(_total(report, "memory" if column == "activation_bytes" else column) for column in extra)])
        return _write(*_with_levels(report, ["name", "type", "inputs", "output_shape", *counts, *extra], rows))
    rows = [[_cell(report, None, column, index) for column in columns] for index in range(len(report.inputs))]
    outputs = {item.name: item for item in (*report.inputs, *report.layers)}  # for input_shape
    rows += [[_cell(report, row, column, outputs=outputs) for column in columns] for row in report.layers]
    rows.append([_total(report, column) for column in columns])
    return _write(*_with_levels(report, [CSV_NAMES.get(column, column) for column in columns], rows))


def _with_levels(report: Report, header, rows):
    """The tree view (--tree) in columns: each row's `level` (the blocks it is nested in; the TOTAL row's
    empty) and whether it is a block `expanded` into the rows under it (whose counts it repeats)."""
    if not report.tree:
        return header, rows
    inputs = len(report.inputs)
    levels = [[0, ""]] * inputs + [[row.level, "yes" if row.expanded else ""] for row in report.layers] + [["", ""]]
    return [*header, "level", "expanded"], [[*row, *level] for row, level in zip(rows, levels)]


CSV_NAMES = {"trainable": "trainable_params", "active": "active_params", "memory": "activation_bytes", "attention_saved": "saved_bytes",
             "kv_cache": "kv_cache_bytes", "share": "macs_percent",
             "params_share": "params_percent"}


def _input_costs(report: Report, index: int, extra) -> list:
    return [0 if column == "flops" else number(report.costs.input_bytes[index]) for column in extra]


def _cell(report: Report, row, column: str, index: int = 0, outputs=None):
    """One exact cell; row None for the input at `index`."""
    if row is None:
        item = report.inputs[index]
        values = {"name": _text(item.name), "type": "InputLayer", "output_shape": shapes(item.shape),
                  "memory": number(report.costs.input_bytes[index]) if report.costs else ""}
        return values.get(column, 0 if column in ("params", "trainable", "buffers", "active", "macs", "flops") else "")
    costs = row.costs
    if column in ("flops", "memory"):
        return number(getattr(costs, "flops" if column == "flops" else "activation_bytes")) if costs else ""
    if column in ("attention_saved", "kv_cache"):
        return number(costs.saved_bytes if column == "attention_saved" else costs.kv_cache_bytes) \
            if costs and costs.attention else ""
    if column in ("share", "params_share"):
        part, whole = (row.counts.macs, report.totals.macs) if column == "share" else (
            row.counts.params, report.totals.params)
        return round(100 * part / whole, 4) if isinstance(part, int) and isinstance(whole, int) and whole else ""
    values = {"name": _text(row.name), "type": _text(row.type), "inputs": _text(" ".join(row.inputs)),
              "output_shape": shapes(row.output_shape), "params": number(row.counts.params),
              "trainable": number(row.counts.trainable_params), "macs": number(row.counts.macs),
              "buffers": number(row.counts.buffers), "active": number(row.counts.active_params),
              "receptive_field": receptive_field(costs.receptive_field) if costs else ""}
    if column == "input_shape":
        return " ".join(input_shape(outputs, reference) for reference in row.inputs)
    return values[column]


def _total(report: Report, column: str):
    totals, costs = report.totals, report.costs
    values = {"name": "TOTAL", "params": number(totals.params), "trainable": number(totals.trainable_params),
              "buffers": number(totals.buffers), "active": number(totals.active_params),
              "macs": number(totals.macs), "flops": number(costs.totals.flops) if costs else "",
              "memory": number(costs.memory.activations) if costs else "",  # the inputs' rows included
              "attention_saved": number(costs.memory.attention_saved) if costs else "",
              "kv_cache": number(costs.memory.kv_cache) if costs else ""}
    return values.get(column, "")


def render_by_type_csv(report: Report) -> str:
    """The totals per layer type (--by-type), exact, and a TOTAL row: each column sums to it."""
    _, flops, memory = summary_columns(report)
    extra = ("flops",) * flops + ("activation_bytes",) * memory
    counts = ("params", "trainable_params", "non_trainable_params", "macs")
    rows = [[_text(item.type), item.layers, *(number(getattr(item.counts, column)) for column in counts),
             *(number(getattr(item.costs, column)) if item.costs else "" for column in extra)]
            for item in report.by_type]
    rows.append(["TOTAL", sum(item.layers for item in report.by_type),
                 *(number(getattr(report.totals, column)) for column in counts),
                 *(_total(report, "memory" if column == "activation_bytes" else column) for column in extra)])
    return _write(["type", "layers", *counts, *extra], rows)


def render_check_csv(results) -> str:
    rows = [[_text(result.spec), budget.name, _text(budget.layer or ""), budget.limit, budget.actual, budget.margin,
             "" if budget.margin_percent is None else budget.margin_percent, "ok" if budget.ok else "exceeded",
             _text(budget.convention)] for result in results for budget in result.results]
    return _write(["spec", "budget", "layer", "limit", "actual", "margin", "margin_percent", "verdict", "convention"],
                  rows)


def render_diff_csv(diff) -> str:
    rows = []
    for change in diff.listed:
        before, after = change.before, change.after
        rows.append([_text(change.name), change.status, _text(before.type) if before else "",
                     _text(after.type) if after else "",
                     shapes(before.output_shape) if before else "", shapes(after.output_shape) if after else "",
                     number(before.counts.params) if before else "", number(after.counts.params) if after else "",
                     number(change.delta("params")), number(change.delta("macs"))])
    return _write(["name", "status", "type_before", "type_after", "shape_before", "shape_after", "params_before",
                   "params_after", "delta_params", "delta_macs"], rows)
