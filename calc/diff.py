"""Two Reports -> their differences, layer by layer (matched by name) and in total: numbers only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from .dims import Dim
from .report import COLUMNS, Counts, LayerRow, Report, number


@dataclass(frozen=True)
class LayerChange:
    name: str
    status: str  # added | removed | changed | same
    before: Optional[LayerRow]
    after: Optional[LayerRow]

    def delta(self, column: str) -> Any:
        old = getattr(self.before.counts, column) if self.before else 0
        new = getattr(self.after.counts, column) if self.after else 0
        return None if old is None or new is None else new - old

    def as_dict(self) -> Dict[str, Any]:
        def side(row):
            if row is None:
                return None
            shape = row.output_shape
            shape = [list(map(number, item)) for item in shape] if isinstance(shape, list) else list(map(number, shape))
            return {"type": row.type, "output_shape": shape, **row.counts.as_dict()}

        return {"name": self.name, "status": self.status, "before": side(self.before), "after": side(self.after),
                "delta": {column: number(self.delta(column)) for column in COLUMNS}}


@dataclass(frozen=True)
class Diff:
    before_name: str
    after_name: str
    changes: List[LayerChange]
    before_totals: Counts
    after_totals: Counts
    per_batch: bool = False  # MACs of each spec's whole batch, not of one example
    unchanged: bool = False  # the layers that did not change are listed too
    before_batch: Dim = None
    after_batch: Dim = None

    @property
    def listed(self) -> List[LayerChange]:
        """The layers every format shows: those that changed, and the others when `unchanged` says so."""
        return [change for change in self.changes if self.unchanged or change.status != "same"]

    def total_delta(self, column: str) -> Any:
        old, new = getattr(self.before_totals, column), getattr(self.after_totals, column)
        return None if old is None or new is None else new - old

    @property
    def differs(self) -> bool:
        return any(change.status != "same" for change in self.changes)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "before": self.before_name, "after": self.after_name,
            "per": "batch" if self.per_batch else "example",
            "batch": {"before": number(self.before_batch), "after": number(self.after_batch)},
            "differs": self.differs,
            "layers": [change.as_dict() for change in self.listed],
            "totals": {"before": self.before_totals.as_dict(), "after": self.after_totals.as_dict(),
                       "delta": {column: number(self.total_delta(column)) for column in COLUMNS}},
        }


def _status(before: LayerRow, after: LayerRow) -> str:
    same = (before.type == after.type and before.output_shapes == after.output_shapes
            and before.counts == after.counts and before.inputs == after.inputs)
    return "same" if same else "changed"


def diff_reports(before: Report, after: Report, before_name: str, after_name: str, per_batch: bool = False,
                 unchanged: bool = False) -> Diff:
    old = {row.name: row for row in before.layers}
    new = {row.name: row for row in after.layers}
    # Removed layers go right after the nearest earlier layer of `before` that is still there (one pass).
    removed_after: dict = {}
    anchor = None
    for row in before.layers:
        if row.name in new:
            anchor = row.name
        else:
            removed_after.setdefault(anchor, []).append(row.name)
    order = removed_after.get(None, []) + [name for row in after.layers
                                           for name in (row.name, *removed_after.get(row.name, ()))]
    changes = []
    for name in order:
        if name not in old:
            changes.append(LayerChange(name, "added", None, new[name]))
        elif name not in new:
            changes.append(LayerChange(name, "removed", old[name], None))
        else:
            changes.append(LayerChange(name, _status(old[name], new[name]), old[name], new[name]))
    return Diff(before_name, after_name, changes, before.totals, after.totals, per_batch, unchanged, before.batch,
                after.batch)
