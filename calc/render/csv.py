"""CSV: one row per layer (summary) or per budget (check); exact numbers, no thousands separators."""

from __future__ import annotations

import csv
import io

from ..report import Report, number
from . import shapes


def _write(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def render_summary_csv(report: Report) -> str:
    columns = ("params", "trainable_params", "non_trainable_params", "macs")
    rows = [[row.name, "InputLayer", "", shapes(row.shape), 0, 0, 0, 0] for row in report.inputs]
    rows += [[row.name, row.type, " ".join(row.inputs), shapes(row.output_shape),
              *(number(getattr(row.counts, column)) for column in columns)] for row in report.layers]
    rows.append(["TOTAL", "", "", "", *(number(getattr(report.totals, column)) for column in columns)])
    return _write(["name", "type", "inputs", "output_shape", *columns], rows)


def render_check_csv(results) -> str:
    rows = [[result.spec, budget.name, budget.layer or "", budget.limit, budget.actual, budget.margin,
             "" if budget.margin_percent is None else budget.margin_percent, "ok" if budget.ok else "exceeded"]
            for result in results for budget in result.results]
    return _write(["spec", "budget", "layer", "limit", "actual", "margin", "margin_percent", "verdict"], rows)


def render_diff_csv(diff) -> str:
    rows = []
    for change in diff.changes:
        before, after = change.before, change.after
        rows.append([change.name, change.status, before.type if before else "", after.type if after else "",
                     shapes(before.output_shape) if before else "", shapes(after.output_shape) if after else "",
                     number(before.counts.params) if before else "", number(after.counts.params) if after else "",
                     number(change.delta("params")), number(change.delta("macs"))])
    return _write(["name", "status", "type_before", "type_after", "shape_before", "shape_after", "params_before",
                   "params_after", "delta_params", "delta_macs"], rows)
