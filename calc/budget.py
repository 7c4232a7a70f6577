"""Report + limits -> the verdict of `layercalc check`: numbers only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .errors import Param, ShapeError
from .report import LAYER_DTYPES_NOTE, Report

# Budget name -> (what it limits, the figure it reads: a total of the report's counts, or of its costs).
# max_layer_params limits each layer.
BUDGETS = {
    "max_params": ("total parameters", "params"),
    "max_trainable_params": ("trainable parameters", "trainable_params"),
    "max_non_trainable_params": ("non-trainable parameters", "non_trainable_params"),
    "max_macs": ("MACs", "macs"),
    "max_layer_params": ("parameters of any one layer", "params"),
    "max_flops": ("FLOPs", "flops"),
    "max_activation_memory": ("activation bytes", "activations"),
    "max_inference_memory": ("inference memory bytes", "inference"),
    "max_training_memory": ("training memory bytes", "training"),
    "max_serving_memory": ("serving memory bytes", "serving"),
}
COST_BUDGETS = ("max_flops", "max_activation_memory", "max_inference_memory", "max_training_memory",
                "max_serving_memory")


@dataclass(frozen=True)
class BudgetResult:
    name: str
    limit: int
    actual: int
    layer: Optional[str] = None  # for per-layer budgets: the largest layer
    convention: str = ""  # what the figure counts, and under which conventions

    @property
    def in_bytes(self) -> bool:
        return self.name in COST_BUDGETS[1:]

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
                **({"layer": self.layer} if self.layer else {}), "convention": self.convention}


@dataclass(frozen=True)
class CheckResult:
    spec: str
    results: Tuple[BudgetResult, ...]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def as_dict(self) -> Dict[str, object]:
        return {"spec": self.spec, "ok": self.ok, "budgets": [result.as_dict() for result in self.results]}


def check_budgets(report: Report, limits: Dict[str, int], spec: str, per_batch: bool = False,
                  source: str = "") -> CheckResult:
    """Compare the report with each limit; a figure that is unknown or symbolic cannot be checked.  The report
    has costs when a FLOPs or memory budget is among the limits; per_batch: its MACs are the whole batch's.
    source: what messages call the spec (default: `spec`, its path)."""
    results: List[BudgetResult] = []
    per = "per batch" if per_batch else "per example"
    for name, limit in limits.items():
        what, column = BUDGETS[name]
        what += f" {per}" * (name in ("max_macs", "max_flops"))
        which = f"cannot check {name} of {source or spec}"
        layer = None
        if name == "max_layer_params":
            # The largest layer; or the first whose count is not a number, which cannot be checked.
            unknown = next((row for row in report.layers if not isinstance(row.counts.params, int)), None)
            largest = unknown or max(report.layers, key=lambda row: row.counts.params)
            actual, layer = largest.counts.params, largest.name
        elif name in COST_BUDGETS:
            costs = report.costs
            actual = getattr(costs.totals if name == "max_flops" else costs.memory, column)
        else:
            actual = getattr(report.totals, column)
        known = name in ("max_inference_memory", "max_serving_memory") and None not in (report.costs.memory.activations,
                                                                report.costs.memory.parameters)
        if actual is None and known:
            raise ShapeError((f"{which}: the symbols decide which moment is the inference "
                              "peak (bind them with ", Param("bindings"), ")"))
        if actual is None:
            raise ShapeError(f"{which}: the {what} are unknown (it depends on a dimension given as null)")
        if not isinstance(actual, int):
            raise ShapeError((f"{which}: the {what} are the symbolic expression '{actual}' (bind its "
                              "symbols with ", Param("bindings"), ")"))
        results.append(BudgetResult(name, limit, actual, layer, convention(name, report, per_batch)))
    return CheckResult(spec, tuple(results))


def convention(name: str, report: Report, per_batch: bool = False) -> str:
    """What a budget's figure counts, in words: 'FLOPs per example: 2 x MACs + bias additions'."""
    costs, batch = report.costs, report.batch
    per = f"per batch of {batch}" if per_batch else "per example"
    if name == "max_macs":
        return f"multiply-accumulates {per}, bias additions excluded"
    if name not in COST_BUDGETS:
        return BUDGETS[name][0]
    rules = costs.conventions
    if name == "max_flops":
        terms = " + bias additions" * rules.count_bias + " + elementwise operations" * rules.count_elementwise
        return f"FLOPs {per}: 2 x MACs{terms}"
    counted = {"max_activation_memory": "every input and layer output",
               "max_inference_memory": "parameters + the peak of outputs alive",
               "max_training_memory": f"parameters + gradients + {rules.optimizer_slots} {rules.optimizer} "
                                      f"slot{'s' * (rules.optimizer_slots != 1)} + activations"
                                      + " + attention's saved tensors" * costs.memory.attention,
               "max_serving_memory": "parameters + the peak of outputs alive + the KV cache"}[name]
    numbers = rules.dtype
    if rules.mixed_precision:
        numbers = f"{rules.dtype} parameters, {rules.mixed_precision} activations"
    if report.parameter_byte_totals is not None:
        numbers += LAYER_DTYPES_NOTE
    whole = "one example (batch unknown)" if batch is None else f"batch {batch}"
    return f"{counted}; {numbers}, {whole}"
