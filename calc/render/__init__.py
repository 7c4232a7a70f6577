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
