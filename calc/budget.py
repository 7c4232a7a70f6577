"""Report + limits -> the verdict of `layercalc check`: numbers only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .errors import Param, ShapeError
from .report import Report

# Budget name -> (what it limits, the report's total it reads). max_layer_params limits each layer.
BUDGETS = {
    "max_params": ("total parameters", "params"),
    "max_trainable_params": ("trainable parameters", "trainable_params"),
    "max_non_trainable_params": ("non-trainable parameters", "non_trainable_params"),
    "max_macs": ("MACs per example", "macs"),
    "max_layer_params": ("parameters of any one layer", "params"),
}


@dataclass(frozen=True)
class BudgetResult:
    name: str
    limit: int
    actual: int
    layer: Optional[str] = None  # for per-layer budgets: the largest layer

    @property
    def ok(self) -> bool:
        return self.actual <= self.limit

    @property
    def margin(self) -> int:
        """What is left (positive) or the excess (negative)."""
        return self.limit - self.actual

    @property
    def margin_percent(self) -> Optional[float]:
        return None if self.limit == 0 else round(100 * self.margin / self.limit, 2)

    def as_dict(self) -> Dict[str, object]:
        return {"budget": self.name, "limit": self.limit, "actual": self.actual, "margin": self.margin,
                "margin_percent": self.margin_percent, "ok": self.ok,
                **({"layer": self.layer} if self.layer else {})}


@dataclass(frozen=True)
class CheckResult:
    spec: str
    results: Tuple[BudgetResult, ...]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def as_dict(self) -> Dict[str, object]:
        return {"spec": self.spec, "ok": self.ok, "budgets": [result.as_dict() for result in self.results]}


def check_budgets(report: Report, limits: Dict[str, int], spec: str) -> CheckResult:
    """Compare the report with each limit; a figure that is unknown or symbolic cannot be checked."""
    results: List[BudgetResult] = []
    for name, limit in limits.items():
        what, column = BUDGETS[name]
        layer = None
        if name == "max_layer_params":
            # The largest layer; or the first whose count is not a number, which cannot be checked.
            unknown = next((row for row in report.layers if not isinstance(row.counts.params, int)), None)
            largest = unknown or max(report.layers, key=lambda row: row.counts.params)
            actual, layer = largest.counts.params, largest.name
        else:
            actual = getattr(report.totals, column)
        if actual is None:
            raise ShapeError(f"cannot check {name}: the {what} are unknown (it depends on a dimension given as null)")
        if not isinstance(actual, int):
            raise ShapeError((f"cannot check {name}: the {what} are the symbolic expression '{actual}' (bind its "
                              "symbols with ", Param("bindings"), ")"))
        results.append(BudgetResult(name, limit, actual, layer))
    return CheckResult(spec, tuple(results))
