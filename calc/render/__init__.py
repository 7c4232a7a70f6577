"""Report -> text.  The only place numbers become strings."""

from __future__ import annotations

from ..dims import Dim, Shape, format_shape

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


def percent(value) -> str:
    """A margin in percent: '+92.1%', '-3.5%', or 'n/a' for a zero limit."""
    return "n/a" if value is None else f"{value:+.1f}%"


def summary_rows(report):
    """(name, type, output shape, params, MACs, connected to) for every input and layer, as text."""
    for row in report.inputs:
        yield row.name, "InputLayer", shapes(row.shape), "0", "0", ""
    for row in report.layers:
        yield (row.name, row.type, shapes(row.output_shape), count(row.counts.params), count(row.counts.macs),
               ", ".join(row.inputs))


def totals_lines(report):
    """('Total params', '34,826 (34.8 K)') ... for the footer of every text format."""
    totals = report.totals
    for label, value in (("Total params", totals.params), ("Trainable params", totals.trainable_params),
                         ("Non-trainable params", totals.non_trainable_params), ("MACs per example", totals.macs)):
        size = human(value)
        text = count(value) if value is not None else "unknown"
        yield label, text + (f" ({size})" if value is not None and size != str(value) else "")
