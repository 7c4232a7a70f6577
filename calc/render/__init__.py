"""Report -> text.  The only place numbers become strings."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from ..dims import Dim, Shape, format_shape
from ..errors import Param, UsageError, closest, visible
from ..report import FLOAT32_INPUTS_NOTE, LAYER_DTYPES_NOTE

def load(name: str):
    """The renderer module `name` (json, markdown, csv, table), imported on first use."""
    import importlib

    return importlib.import_module(f"{__name__}.{name}")


PAGE = 10_000  # cells: the width of a page that is not a terminal, where tables are never wrapped
_UNITS = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))


def count(value: Dim) -> str:
    """An exact count with thousands separators; '?' when unknown.

    >>> count(34826), count(None)
    ('34,826', '?')
    """
    if value is None:
        return "?"
    return f"{value:,}" if isinstance(value, int) else str(value)


def human(value: Dim) -> str:
    """A count in decimal units, one decimal: 1.2 K, 138.4 M.

    >>> human(1216), human(138357544), human(999), human(None)
    ('1.2 K', '138.4 M', '999', 'unknown')
    """
    if value is None:
        return "unknown"
    if not isinstance(value, int):
        return str(value)
    for size, unit in _UNITS:
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}"
    return str(value)


def shapes(value: "Shape | list") -> str:
    """One shape as Keras prints it, or a bracketed list of several."""
    if isinstance(value, list):
        return "[" + ", ".join(format_shape(item) for item in value) + "]"
    return format_shape(value)


def unpadded(pieces: Iterable[str]) -> Iterator[str]:
    """Text laid out as rich lays out a table, without the spaces that pad its lines: each piece is whole lines.

    >>> list(unpadded([" Param # \\n     320 \\n", "\\n"]))
    [' Param #\\n     320\\n', '\\n']
    """
    for piece in pieces:
        yield "\n".join(line.rstrip(" ") for line in piece.split("\n"))


def percent(value) -> str:
    """A margin in percent: '+92.1%', '-3.5%', or 'n/a' for a zero limit."""
    return "n/a" if value is None else f"{value:+.1f}%"


def totals_lines(report, flops: bool = False, memory: bool = False, text=visible):
    """('Total params', '34,826 (136.04 KB)') ... for the footer of every text format; with flops and memory,
    the FLOPs total and the memory figures, each saying what it counts (a layer named as the format's
    `text` escapes it)."""
    totals = report.totals
    for label, column in (("Total params", "params"), ("Trainable params", "trainable_params"),
                          ("Non-trainable params", "non_trainable_params")):
        yield label, with_memory(getattr(totals, column), report.parameter_bytes(column))
    if report.has_buffers:
        yield "Buffers", with_human(totals.buffers)
    yield macs_label(report), with_human(totals.macs)
    if totals.active_params is not None:  # a mixture of experts: its MACs are the active path's
        yield "Active params per token", with_human(totals.active_params)
    yield from cost_lines(report, flops, memory, text)


_KERAS_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def keras_size(value: int) -> str:
    """Bytes as Keras' model.summary() writes parameter memory (keras/src/utils/summary_utils.py,
    readable_memory_size): units of 1,024, two decimals, from B to PB.

    >>> keras_size(34826 * 4), keras_size(0), keras_size(128), keras_size(1023), keras_size(25636712 * 4)
    ('136.04 KB', '0.00 B', '128.00 B', '1023.00 B', '97.80 MB')
    """
    size: float = value
    for unit in _KERAS_UNITS[:-1]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {_KERAS_UNITS[-1]}"


def with_memory(params: Dim, weight_bytes: Dim) -> str:
    """A parameter count and its memory as Keras prints them: '34,826 (136.04 KB)', '0 (0.00 B)'; a count
    that is not a number, without its bytes."""
    if not isinstance(params, int):
        return count(params) if params is not None else "unknown"
    return f"{count(params)} ({keras_size(weight_bytes)})"


def summary_columns(report, columns=None, flops: bool = False, memory: bool = False):
    """(columns, flops, memory) of a summary table: `columns` as calc.render.choose_columns gives them
    (default: the report's, else Keras' own), and whether the footer shows FLOPs and memory figures."""
    flops, memory = flops or "flops" in report.shown, memory or "memory" in report.shown
    columns = columns or report.columns or choose_columns(None, report, flops, memory)
    return columns, flops or "flops" in columns, memory or "memory" in columns


def summary_footer(report, columns, flops: bool, memory: bool) -> List[Tuple[str, str]]:
    """The lines under a summary table, as (label, text): ' Total params: ', '34,826 (136.04 KB)' ...; the
    labels are bold in a terminal."""
    lines = [(f" {label}: ", value) for label, value in totals_lines(report, flops, memory)]
    lines += [("", f" {note}") for note in (field_notes(report) if "receptive_field" in columns else ())]
    if report.valid_when:
        lines.append((" Valid when: ", ", ".join(report.valid_when)))
    return lines


def by_type_table(report, text=visible) -> Tuple[List[Tuple[str, bool]], List[List[str]], bool, bool]:
    """(headers, rows of cells, flops, memory) of the totals per layer type (report.by_type): its type, layers,
    params and MACs, and FLOPs and output bytes when the summary shows them; names escaped by `text`."""
    _, flops, memory = summary_columns(report)
    heads = [("Type", False), ("Layers", True), ("Param #", True), ("MACs", True)]
    heads += [("FLOPs", True)] * flops + [("Memory", True)] * memory
    rows = []
    for item in report.by_type:
        cells = [text(item.type), count(item.layers), count(item.counts.params), count(item.counts.macs)]
        cells += [count(item.costs.flops) if item.costs else "?"] * flops
        cells += [size(item.costs.activation_bytes) if item.costs else "?"] * memory
        rows.append(cells)
    return heads, rows, flops, memory


def with_human(value: Dim) -> str:
    """'34,826 (34.8 K)', '999', 'unknown'."""
    size = human(value)
    text = count(value) if value is not None else "unknown"
    return text + (f" ({size})" if value is not None and size != str(value) else "")


def per_token_text(value) -> str:
    """A figure per token: exact ('19,304,284,160 (19.3 G)'), or with two decimals when the division leaves a
    fraction ('1,234.50 (1.2 K)'); 'unknown' when symbols leave no exact quotient.

    >>> per_token_text(Fraction(2469, 2)), per_token_text(None)
    ('1,234.50 (1.2 K)', 'unknown')
    """
    if isinstance(value, Fraction):
        return f"{float(value):,.2f} ({human(round(value))})"
    return with_human(value)


def macs_label(report) -> str:
    costs = report.costs
    if costs is not None and costs.conventions.per_batch:
        return f"MACs per batch of {costs.conventions.batch}"
    return "MACs per example"


_BINARY = ((1024**4, "TiB"), (1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB"))


def size(value: Dim) -> str:
    """Bytes in binary units (1 KiB = 1,024 B), one decimal; '?' when unknown.

    >>> size(1216 * 4), size(553430176), size(512), size(None)
    ('4.8 KiB', '527.8 MiB', '512 B', '?')
    """
    if value is None:
        return "?"
    if not isinstance(value, int):
        return f"{value} B"
    for unit_size, unit in _BINARY:
        if abs(value) >= unit_size:
            return f"{value / unit_size:.1f} {unit}"
    return f"{value} B"


def exact_size(value: Dim) -> str:
    """'553,430,176 B (527.8 MiB)'."""
    if value is None:
        return "unknown"
    text = f"{count(value)} B"
    return text + (f" ({size(value)})" if isinstance(value, int) and value >= 1024 else "")


FLOPS_TERMS = {"2*macs": "2·MACs", " + bias_adds": " + bias additions",
               " + elementwise_ops": " + elementwise operations"}


def flops_convention(conventions) -> str:
    """'2·MACs + bias additions': the FLOPs convention in words."""
    text = conventions.flops
    for term, words in FLOPS_TERMS.items():
        text = text.replace(term, words)
    return text


def cost_lines(report, flops: bool, memory: bool, text=visible):
    costs = report.costs
    if costs is None:
        return
    convention = costs.conventions
    per = f"per batch of {convention.batch}" if convention.per_batch else "per example"
    tokens = costs.per_token
    if flops:
        yield f"FLOPs {per} ({flops_convention(convention)})", with_human(costs.totals.flops)
        if tokens is not None:
            keys = ", every key counted" * costs.memory.attention  # attention's T² products: no causal mask
            yield f"FLOPs per token ({per} ÷ {count(tokens.positions)} token positions{keys})", \
                per_token_text(tokens.forward)
    training = costs.training
    if training is not None:
        step = "per example (batch unknown)" if convention.batch is None else f"per step of batch {convention.batch}"
        yield f"Training FLOPs {step} (3 × forward: backward = 2 × forward)", with_human(training.flops)
        yield f"6·N·{training.unit} estimate (N = trainable params, {count(training.tokens)} {training.unit})", \
            with_human(training.estimate_6nd)
        if tokens is not None:
            yield f"Training FLOPs per token (per step ÷ {count(training.tokens)} tokens)", \
                per_token_text(tokens.training)
    if memory:
        held = costs.memory
        slots = f"{convention.optimizer_slots} {convention.optimizer} slot{'s' * (convention.optimizer_slots != 1)}"
        at = f" at {text(held.peak_layer)}" if held.peak_layer else ""
        yield "Parameter memory", exact_size(held.parameters)
        yield "Activation memory (inputs and outputs)", exact_size(held.activations)
        saved = ""
        if held.attention:
            kept = "none: fused" if convention.attention == "fused" else "scores and probabilities"
            yield f"Attention's saved tensors ({kept})", exact_size(held.attention_saved)
            if held.cached:
                yield "KV cache (keys and values at every key position)", exact_size(held.kv_cache)
            saved = ", attention's saved tensors"
        yield f"Inference peak (parameters + outputs alive{at})", exact_size(held.inference)
        if held.cached:
            yield "Serving memory (inference peak + KV cache)", exact_size(held.serving)
        yield f"Training estimate (parameters, gradients, {slots}, activations{saved})", exact_size(held.training)
        batch = "one example (batch unknown)" if convention.batch is None else f"batch {convention.batch}"
        numbers = f"{convention.dtype} ({convention.bytes_per_element} B a number)"
        if convention.mixed_precision:
            numbers = (f"mixed precision: parameters, gradients, optimizer states {numbers}; activations "
                       f"{convention.mixed_precision} ({convention.bytes_per_activation} B)")
            if report.float32_inputs(convention):
                numbers += FLOAT32_INPUTS_NOTE
        if report.parameter_byte_totals is not None:
            numbers += LAYER_DTYPES_NOTE
        yield "Memory", f"{numbers}, {batch}; 1 KiB = 1,024 B"
        yield "Peak", "exact for the layers in this order, each output freed after its last consumer"


def budget_figures(budget) -> Tuple[str, str, str, str]:
    """(limit, actual, margin, excess) of a checked budget as text: counts, or bytes (with their binary size)."""
    if not budget.in_bytes:
        return (count(budget.limit), count(budget.actual), f"{count(budget.margin)} ({percent(budget.margin_percent)})",
                count(-budget.margin))
    return (exact_size(budget.limit), exact_size(budget.actual),
            f"{count(budget.margin)} B ({percent(budget.margin_percent)})", f"{count(-budget.margin)} B")


# -- diff -------------------------------------------------------------------------------------------

def diff_macs_label(diff) -> str:
    """'MACs per example', 'MACs per batch of 32', or 'MACs per batch of 32 → 64' when the batches differ."""
    if not diff.per_batch:
        return "MACs per example"
    before, after = count(diff.before_batch), count(diff.after_batch)
    return f"MACs per batch of {before}" + (f" → {after}" if after != before else "")


def diff_headers(diff) -> List[str]:
    """The columns of a diff's layer table, in every text format: before and after side by side."""
    return ["", "Layer", "Type", "Output Shape before", "Output Shape after", "Params before", "Params after",
            "Δ Params", "Δ " + diff_macs_label(diff) if diff.per_batch else "Δ MACs"]


DIFF_RIGHT = (5, 6, 7, 8)  # the numbers' columns


def diff_rows(diff, text=visible, shape=shapes) -> Iterator[Tuple[Any, List[str]]]:
    """(change, cells) of each listed layer, in diff_headers' order (the mark cell empty: each format marks
    the change's status its own way); names and types escaped by `text`, shapes written by `shape`."""
    for change in diff.listed:
        before, after = change.before, change.after
        kind = text((after or before).type)
        if before and after and before.type != after.type:
            kind = f"{text(before.type)} → {text(after.type)}"
        yield change, ["", text(change.name), kind, shape(before.output_shape) if before else "",
                              shape(after.output_shape) if after else "",
                              count(before.counts.params) if before else "", count(after.counts.params) if after else "",
                              signed(change.delta("params")), signed(change.delta("macs"))]


def diff_totals(diff) -> Iterator[Tuple[str, str, str, str]]:
    """(label, before, after, change) of each total a diff shows."""
    for label, column in (("Total params", "params"), ("Trainable params", "trainable_params"),
                          ("Non-trainable params", "non_trainable_params"), (diff_macs_label(diff), "macs")):
        yield (label, count(getattr(diff.before_totals, column)), count(getattr(diff.after_totals, column)),
               signed(diff.total_delta(column)))


def signed(value) -> str:
    """A change: '+40,450', '-520', '0'; '?' when unknown."""
    if value is None:
        return "?"
    if not isinstance(value, int):
        return str(value)
    return f"{value:+,}" if value else "0"


# -- columns of the summary -------------------------------------------------------------------

# name -> (header, right-aligned): the summary's columns, chosen in any order.
COLUMNS = {
    "name": ("Layer", False), "type": ("Type", False), "input_shape": ("Input Shape", False),
    "output_shape": ("Output Shape", False), "params": ("Param #", True), "trainable": ("Trainable #", True),
    "buffers": ("Buffers", True), "active": ("Active #", True),
    "macs": ("MACs", True), "flops": ("FLOPs", True), "memory": ("Memory", True),
    "receptive_field": ("Receptive Field (jump)", False), "attention_saved": ("Attn Saved", True),
    "kv_cache": ("KV Cache", True), "share": ("% MACs", True),
    "params_share": ("% Params", True), "inputs": ("Connected to", False),
}
COST_NAMES = ("flops", "memory", "receptive_field", "attention_saved", "kv_cache")  # columns that need calc.costs


class ColumnChoice(NamedTuple):
    """Columns as asked for: `names`, on their own or (`added`) after the defaults."""

    names: Tuple[str, ...]
    added: bool = False


def parse_columns(names: Sequence[str], added: bool = False) -> ColumnChoice:
    """Column names as asked for, checked: these columns, or (`added`) the defaults and then these.

    >>> parse_columns(["flops", " memory"], added=True)
    ColumnChoice(names=('flops', 'memory'), added=True)
    """
    names = tuple(name.strip() for name in names if name.strip())
    for name in names:
        if name not in COLUMNS:
            raise UsageError((Param("columns"), f": unknown column '{name}'{closest(name, COLUMNS)}; "
                              f"choose from {', '.join(COLUMNS)}"))
    if not names:
        raise UsageError((Param("columns"), f" needs at least one column; choose from {', '.join(COLUMNS)}"))
    return ColumnChoice(names, added)


def choose_columns(choice: Optional[ColumnChoice], report, flops: bool = False, memory: bool = False
                   ) -> Tuple[str, ...]:
    """The summary's columns: those chosen, or the defaults followed by those added; the defaults are
    Keras' (name and type, output shape, params, MACs), FLOPs and memory when asked for, and the
    connections of a model that is not a chain."""
    active = ["active"] if report.totals.active_params is not None else []  # a mixture of experts
    defaults = ["name", "type", "output_shape", "params", *["buffers"] * report.has_buffers, *active, "macs"]
    defaults += ["flops"] * flops + ["memory"] * memory
    defaults += [] if report.is_chain else ["inputs"]
    if choice is None:
        return tuple(defaults)
    chosen = defaults + [name for name in choice.names if name not in defaults] if choice.added else choice.names
    return tuple(dict.fromkeys(chosen))


def headers(columns: Sequence[str]) -> List[Tuple[str, bool]]:
    """(header, right-aligned) per shown column: name and type side by side read 'Layer (type)', as Keras."""
    return [("Layer (type)", False) if column == "name+type" else COLUMNS[column] for column in merged(columns)]


def merged(columns: Sequence[str]) -> List[str]:
    result: List[str] = []
    for column in columns:
        if column == "type" and result and result[-1] == "name":
            result[-1] = "name+type"
        else:
            result.append(column)
    return result


def column_rows(report, columns: Sequence[str], joiner: str = "\n", text=visible) -> Iterator[List[str]]:
    """Each input's and layer's cells, as text, in the order of `merged(columns)`; every name and type
    from the input escaped by `text`, the format's helper (by default control characters spelled out)."""
    shown = merged(columns)
    totals = report.totals
    for index, row in enumerate(report.inputs):
        input_bytes = report.costs.input_bytes[index] if report.costs else None
        name = text(row.name)
        cells = {"name": name, "type": "InputLayer", "name+type": f"{name} (InputLayer)",
                 "output_shape": shapes(row.shape), "input_shape": "", "params": "0", "trainable": "0", "active": "0",
                 "macs": "0", "buffers": "0",
                 "flops": "0", "memory": size(input_bytes), "receptive_field": "", "attention_saved": "",
                 "kv_cache": "", "share": "", "params_share": "",
                 "inputs": "-"}
        yield [cells[column] for column in shown]
    outputs = {row.name: row for row in report.inputs}
    for row in report.layers:
        costs, name, kind = row.costs, branch(row.level) + text(row.name), text(row.type)
        cells = {
            "name": name, "type": kind, "name+type": f"{name} ({kind})",
            "output_shape": shapes(row.output_shape), "params": count(row.counts.params),
            "trainable": count(row.counts.trainable_params), "macs": count(row.counts.macs),
            "buffers": count(row.counts.buffers),
            "active": "" if row.counts.active_params is None else count(row.counts.active_params),
            "flops": count(costs.flops) if costs else "?", "memory": size(costs.activation_bytes) if costs else "?",
            "receptive_field": receptive_field(costs.receptive_field) if costs else "",
            "attention_saved": size(costs.saved_bytes) if costs and costs.attention else "",
            "kv_cache": size(costs.kv_cache_bytes) if costs and costs.attention else "",
            "share": share(row.counts.macs, totals.macs), "params_share": share(row.counts.params, totals.params),
            "inputs": joiner.join(map(text, row.inputs)),
        }
        if "input_shape" in shown:
            cells["input_shape"] = joiner.join(input_shape(outputs, reference) for reference in row.inputs)
        outputs[row.name] = row
        yield [cells[column] for column in shown]


def branch(level: int) -> str:
    """What a row of the tree view starts with, `level` blocks deep, as torchinfo draws it.

    >>> branch(0), branch(1), branch(2)
    ('', '└─ ', '│  └─ ')
    """
    return "│  " * (level - 1) + "└─ " if level else ""


def input_shape(outputs, reference: str) -> str:
    name, colon, index = reference.rpartition(":")
    if not (colon and index.isdigit() and name in outputs):
        name, index = reference, "0"
    row = outputs.get(name)
    if row is None:
        return "?"
    shape_list = getattr(row, "output_shapes", None) or (row.shape,)
    return shapes(shape_list[int(index)] if int(index) < len(shape_list) else shape_list[0])


def share(part: Dim, whole: Dim) -> str:
    """part as a percentage of whole, one decimal; '-' for a zero whole, '?' when either is not a number."""
    if not isinstance(part, int) or not isinstance(whole, int):
        return "?"
    return "-" if whole == 0 else f"{100 * part / whole:.1f}%"


def receptive_field(field) -> str:
    """'212×212 (32)': the size on each spatial axis, then the jump (one number when every axis has the
    same); * when merged paths have different jumps, † when one depends on the whole input."""
    if field is None:
        return ""
    def dim(value) -> str:
        return "?" if value is None else str(value)

    jumps = {dim(jump) for jump in field.jump}
    text = "×".join(dim(value) for value in field.size)
    text += f" ({jumps.pop() if len(jumps) == 1 else '×'.join(dim(jump) for jump in field.jump)})"
    return text + "*" * field.jumps_differ + "†" * field.includes_global


def field_notes(report) -> List[str]:
    """Footnotes for the receptive-field marks the table shows."""
    fields = [row.costs.receptive_field for row in report.layers if row.costs and row.costs.receptive_field]
    notes = []
    if any(field.jumps_differ for field in fields):
        notes.append("* paths merged here reach it with different jumps (strides); the largest field is shown")
    if any(field.includes_global for field in fields):
        notes.append("† a path merged here depends on the whole input (e.g. squeeze-and-excitation)")
    return notes
