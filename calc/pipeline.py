"""The library's entry points, which the command line calls too: a spec in, a Report (or a budget
check, or a comparison) out.

    >>> from calc import summarize, parse_spec
    >>> report = summarize(parse_spec("input: [28, 28, 1]\\nlayers: [{type: Conv2D, filters: 8, kernel_size: 3}]"),
    ...                    memory=True)
    >>> report.layers[0].output_shape, report.totals.params, report.costs.memory.parameters
    ((None, 26, 26, 8), 80, 320)

`source` is a path, '-' for standard input, or a Spec already parsed (calc.parse_spec).  Errors are
LayercalcError; the parameters they name are this module's (`bindings`, `batch`, `per_batch`, `columns`,
`max_layers`, `dtype`, `optimizer`, `attention`, `mixed_precision`, `limits`), which the command line maps to
its flags.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Tuple, Union

from .analysis import analyze, collapse, totals_by_type
from .analysis import merge_calls as merged_calls
from .analysis import tree as tree_view
from .costs import conventions
from .dims import MAX_DIM
from .errors import Param, UsageError, closest, describe
from .readers import imported_spec, is_keras_path, read_spec
from .render import COST_NAMES, choose_columns, count, parse_columns
from .report import Report
from .spec import Spec
from .spec.build import MAX_LAYERS
from .spec.counts import BUDGET_KEYS, parse_limit

if TYPE_CHECKING:  # imported by the calls that need them: a summary loads none
    from .budget import CheckResult
    from .diff import Diff
    from .derivation import Explanation

Source = Union[str, "os.PathLike[str]", Spec]


def summarize(source: Source, *, bindings: Optional[Mapping[str, int]] = None, max_layers: int = MAX_LAYERS,
              per_batch: bool = False, depth: Optional[int] = None,
              columns: Union[str, Sequence[str], None] = None, flops: bool = False, memory: bool = False,
              costs: Optional[bool] = None, dtype: Optional[str] = None, optimizer: str = "adam",
              count_bias: bool = False, count_elementwise: bool = False, merge_calls: bool = False,
              attention: str = "materialized", mixed_precision: Optional[str] = None,
              training_flops: bool = False, tree: bool = False, by_type: bool = False,
              batch: Optional[int] = None) -> Report:
    """Every layer's shapes and counts, and the totals, as `layercalc summary` shows them.

    bindings: values for symbolic dimensions ({'H': 224}); max_layers: refuse specs that expand to more.
    per_batch: MACs (and FLOPs) for the spec's whole batch.  depth: blocks nested this deep or more as
    one row each.  columns: the summary's columns ('name,params', '+flops', or a list of names), chosen
    here once and kept in `report.columns`.  flops, memory: those figures are wanted (the defaults of
    the columns include them).  costs: compute FLOPs, memory and receptive fields (None: when flops,
    memory, per_batch or a column needs them); dtype (None: the spec's, else float32), optimizer,
    count_bias and count_elementwise are their conventions.  merge_calls: one row per layer called several
    times (shared weights), as Keras' model.summary() shows it and the text formats print it; without it,
    one row per call, as the JSON report gives them.
    attention: what attention layers keep for the backward pass, in the training estimate: "materialized"
    (their scores and probabilities) or "fused" (none, as flash attention).  mixed_precision: "bfloat16"
    or "float16" for activations, attention's saved tensors and the KV cache, with parameters, gradients
    and optimizer states in float32 (dtype, if given, must be float32).  training_flops: the FLOPs of one
    training step (3 × forward) beside 6·N·tokens, in the totals.  Each implies costs; the first two, memory.
    tree: the rows as a tree (`report.tree`): each block's row, its children's rows under it (`level`), down to
    `depth`.  by_type: the totals per layer type in `report.by_type` (the rows stay as asked).
    batch: the batch size, in place of the spec's `batch:` (or where it has none).
    """
    flops = flops or count_bias or count_elementwise
    memory = memory or dtype is not None or mixed_precision is not None or attention != "materialized"
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 1):
        raise UsageError((Param("depth"), f" must be a positive integer, found {describe(depth)}"))
    asked = _column_names(columns)
    if costs is None:
        costs = flops or memory or per_batch or training_flops or any(name in COST_NAMES for name in asked)
    spec, name = _read(source, bindings, max_layers, batch)
    dtype, mixed_precision = _precision(spec, dtype, mixed_precision)
    convention = conventions(dtype, optimizer, count_bias, count_elementwise, mixed_precision, attention,
                             training_flops) if costs else None
    report = analyze(spec, convention, per_batch, name)
    if by_type:
        report = replace(report, by_type=totals_by_type(report))
    if tree:
        report = tree_view(report, depth)
    elif depth is not None:
        report = collapse(report, depth)
    if merge_calls:
        report = merged_calls(report)
    chosen = None if columns is None else parse_columns(asked, added=_added(columns))  # errors after the spec's
    return replace(report, columns=None if chosen is None else choose_columns(chosen, report, flops, memory),
                   shown=("flops",) * flops + ("memory",) * memory)


def _precision(spec: Spec, dtype: Optional[str], mixed_precision: Optional[str]) -> Tuple[str, Optional[str]]:
    """(dtype, mixed precision) of the figures: the options', else the spec's `dtype:` and `mixed_precision:`
    (either option sets both: --dtype float16 on a mixed-precision spec counts every number in float16); mixed
    precision keeps variables in float32."""
    if dtype is None and mixed_precision is None:
        mixed_precision = spec.mixed_precision
    return dtype or ("float32" if mixed_precision else spec.dtype or "float32"), mixed_precision


def _column_names(columns: Union[str, Sequence[str], None]) -> Tuple[str, ...]:
    if columns is None:
        return ()
    text = columns if isinstance(columns, str) else ",".join(columns)
    return tuple(name.strip() for name in text.lstrip("+").split(","))


def _added(columns: Union[str, Sequence[str]]) -> bool:
    return isinstance(columns, str) and columns.lstrip().startswith("+")


def check(source: Source, *, limits: Optional[Mapping[str, Union[int, str]]] = None,
          bindings: Optional[Mapping[str, int]] = None, max_layers: int = MAX_LAYERS,
          per_batch: bool = False, batch: Optional[int] = None, dtype: Optional[str] = None,
          optimizer: str = "adam", count_bias: bool = False, count_elementwise: bool = False,
          attention: str = "materialized", mixed_precision: Optional[str] = None) -> CheckResult:
    """The spec's budgets (`budget:` in it, overridden by `limits`, such as {'max_params': 2_000_000} or
    {'max_training_memory': '2 GiB'}) against its figures, as `layercalc check` checks them; a spec with no
    budget at all is refused.  per_batch: max_macs and max_flops limit the whole batch; batch as for
    `summarize`.  FLOPs and memory are counted under the conventions that `summarize` takes (dtype, optimizer,
    count_bias, count_elementwise, attention, mixed_precision), and each result says which."""
    from .budget import COST_BUDGETS, check_budgets

    overrides = {}
    for budget, value in (limits or {}).items():
        if budget not in BUDGET_KEYS:
            raise UsageError((Param("limits"), f": unknown budget {describe(budget)}{closest(str(budget), BUDGET_KEYS)};"
                              f" the budgets are {', '.join(BUDGET_KEYS)}"))
        overrides[budget] = parse_limit(budget, value, budget)
    spec, name = _read(source, bindings, max_layers, batch)
    budgets = {**spec.budget, **overrides}
    dtype, mixed_precision = _precision(spec, dtype, mixed_precision)
    convention = conventions(dtype, optimizer, count_bias, count_elementwise, mixed_precision, attention)
    costs = any(budget in COST_BUDGETS for budget in budgets)
    report = analyze(spec, convention if costs else None, per_batch=per_batch, source=name)  # its errors first
    if not budgets:
        raise UsageError((f"{name} has no budget to check: add one to the spec (such as 'budget: {{max_params: "
                          "2M}') or give ", Param("limits")))
    return check_budgets(report, budgets, _path(source), per_batch, name)


def compare(before: Source, after: Source, *, bindings: Optional[Mapping[str, int]] = None,
            max_layers: int = MAX_LAYERS, per_batch: bool = False, batch: Optional[int] = None,
            unchanged: bool = False) -> Diff:
    """Layers added, removed and changed between two specs (matched by name), and the totals, as
    `layercalc diff` shows them.  batch as for `summarize`, for both specs; unchanged: list the layers that
    did not change too (`Diff.listed`, which every format shows)."""
    from .diff import diff_reports

    reports = []
    for source in (before, after):
        spec, name = _read(source, bindings, max_layers, batch)
        reports.append(analyze(spec, per_batch=per_batch, source=name))
    return diff_reports(*reports, _path(before), _path(after), per_batch, unchanged)


def convert(model: str) -> str:
    """The spec (YAML text) of a Keras model file (.keras or .json) or a Hugging Face config.json, as
    `layercalc convert` writes it: a header with the origin and totals, then the layers; refused where
    `summarize` would refuse it."""
    from .readers import read_import

    model = os.fspath(model)
    if not is_keras_path(model):
        raise UsageError(f"convert reads a Keras model (a .keras or .json file) or a Hugging Face config.json, "
                         f"found '{model}'")
    imported = read_import(model, declare=True)
    if imported is None:
        raise UsageError(f"{model} is a layercalc spec already, not a Keras model or a Hugging Face config.json")
    return converted_spec(imported, model)


def converted_spec(imported: Any, model: str) -> str:
    """The spec text `convert` writes for a model read_import(model, declare=True) gave (`imported`)."""
    from . import __version__
    from .spec.dumping import dump_spec  # the YAML writer: only convert needs it

    totals = analyze(imported_spec(imported.spec, model)).totals
    todo = getattr(imported, "todo", {})  # a Keras model's custom layers, written as Custom entries to fill in
    header = (f"Converted by layercalc {__version__} from {imported.origin}.",
              f"{count(totals.params)} params ({count(totals.trainable_params)} trainable, "
              f"{count(totals.non_trainable_params)} non-trainable), {count(totals.macs)} MACs per example"
              + (f", without the weights and MACs of {', '.join(todo)} (TODO below)." if todo else "."))
    return dump_spec(imported.spec, header, todo)


def explain(source: Source, layers: Sequence[str] = (), *, bindings: Optional[Mapping[str, int]] = None,
            max_layers: int = MAX_LAYERS, batch: Optional[int] = None) -> Explanation:
    """Each figure of the named layers (every layer when none is named) derived step by step with the layer's
    own numbers, as `layercalc explain` shows it: the analysis gives each layer its input shapes, then the
    layer's rule is traced (calc/derivation.py).  `layers`: names, or one name; a block instance's name
    stands for each of its layers.  batch as for `summarize`.

    >>> from calc import explain, parse_spec
    >>> spec = parse_spec("input: [300, 300, 3]\\nlayers: [{type: Conv2D, filters: 16, kernel_size: 5}]")
    >>> conv = explain(spec, "conv2d").layers[0]
    >>> [(step.label, step.value) for step in conv.steps if step.derived]
    [('axis 1', 296), ('axis 2', 296), ('kernel', 1200), ('params', 1216), ('MACs', 105139200)]
    """
    from .derivation import explain_layers
    from .graph import build_graph

    layers = (layers,) if isinstance(layers, str) else tuple(layers)
    spec, name = _read(source, bindings, max_layers, batch)
    graph = build_graph(spec)
    known = [node.name for node in graph.nodes]
    names = []
    for layer in layers:
        # A block instance (`conv2_block1`, a row of `summary --depth 1`) stands for every layer in it.
        inner = [known_name for known_name in known if known_name.startswith(f"{layer}/")] \
            if layer in graph.blocks else []
        if layer not in known and not inner:
            raise UsageError(f"{name} has no layer {describe(layer)}{closest(str(layer), [*known, *graph.blocks])}; "
                             "`layercalc summary` lists its layers")
        names += inner or [layer]
    return explain_layers(graph, analyze(graph, source=name), tuple(names))


def _read(source: Source, bindings: Optional[Mapping[str, int]], max_layers: int, batch: Optional[int] = None):
    """(Spec, what messages call it), with `batch` in place of the spec's own when given."""
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_DIM):
        raise UsageError((Param("batch"), f" must be a positive integer of at most 2**62, found {describe(batch)}"))
    if isinstance(source, Spec):
        if bindings:
            raise UsageError((Param("bindings"), " are applied as a spec is read: give them to parse_spec, or give "
                              "summarize a path"))
        return source if batch is None else replace(source, batch=batch), "the spec"
    for symbol, value in (bindings or {}).items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DIM:
            raise UsageError((Param("bindings"), f" {symbol}: the value must be a positive integer of at most 2**62, "
                              f"found {describe(value)}"))
    path = _path(source)
    spec = read_spec(path, max_layers=max_layers, bindings=dict(bindings or {}))
    return spec if batch is None else replace(spec, batch=batch), "standard input" if path == "-" else path


def _path(source: Source) -> str:
    """The source as the user named it: a path, '-', or a parsed spec's source name."""
    return source.source if isinstance(source, Spec) else os.fspath(source)
