"""The summary table as plain text, for output that is not a terminal: the same characters rich lays out
for calc/render/table.py's table on a page that is not a terminal, without rich's cost per row (0.2 ms and
5 KB; 100,000 layers took 38 s). tests/test_plain_table.py compares the two on every spec and on hostile names.

Only rich.cells is imported (a few milliseconds): cells are measured as rich measures them. The rare layouts
that need wrapping are left to rich itself: a title or a footer line wider than the page, a table wider than
the page. Lines are padded as rich pads them (calc.render.unpadded strips the padding)."""

from __future__ import annotations

import re
from typing import Iterator, List

from rich.cells import cell_len

from ..errors import visible
from . import PAGE, column_rows, headers, summary_columns, summary_footer

RULE = "─"
_TRAILING_SPACE = re.compile(r"\s+$")


def width(text: str) -> int:
    """Terminal cells of one line (visible() left no control character: ASCII is one cell a character)."""
    return len(text) if text.isascii() else cell_len(text)


def render_summary_text(report, title: str, columns=None, flops: bool = False, memory: bool = False
                        ) -> Iterator[str]:
    """The summary table as build_table's table prints when piped, in pieces of text (written as they come,
    so the output is never held whole): title, header, rule, rows, totals and notes."""
    columns, flops, memory = summary_columns(report, columns, flops, memory)
    heads = headers(columns)
    widths = [width(header) for header, _ in heads]
    for cells in column_rows(report, columns):
        for index, cell in enumerate(cells):
            for line in cell.split("\n"):
                widths[index] = max(widths[index], width(line))
    # A space at each edge and between cells, and a space of padding either side of a cell but at the edges.
    table_width = sum(widths) + 3 * len(heads) - 1
    if table_width > PAGE:
        yield from _rich_summary(report, title, columns, flops, memory)
        return

    rights = [right for _, right in heads]
    blank = " " * table_width
    yield "\n".join(_wrapped(visible(f'Model: "{title}"'), PAGE, None)) + "\n"
    yield blank + "\n"
    yield _row([[header] for header, _ in heads], widths, rights)
    yield " " + RULE * (table_width - 2) + " \n"
    chunk: List[str] = []
    for cells in column_rows(report, columns):
        chunk.append(_row([cell.split("\n") for cell in cells], widths, rights))
        if len(chunk) == 1000:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
    yield blank + "\n"
    for label, text in summary_footer(report, columns, flops, memory):
        yield "\n".join(_wrapped(label + text, PAGE, None)) + "\n"
    yield "\n"


def _row(cells: List[List[str]], widths: List[int], rights: List[bool]) -> str:
    """One table row, as many lines as its tallest cell; every cell padded to its column's width."""
    height = max(map(len, cells))
    last = len(cells) - 1
    lines = []
    for number in range(height):
        parts = []
        for index, lines_of_cell in enumerate(cells):
            line = lines_of_cell[number] if number < len(lines_of_cell) else ""
            text = _fitted(line, widths[index], "right" if rights[index] else "left")
            parts.append(" " * (index > 0) + text + " " * (index < last))
        lines.append(" " + " ".join(parts) + " \n")
    return "".join(lines)


def _fitted(line: str, size: int, justify) -> str:
    """A line no wider than `size` cells as rich's Text.wrap lays it out: whitespace past `size`
    characters (rich counts characters there, not cells) dropped, then justified."""
    excess = len(line) - size
    trailing = _TRAILING_SPACE.search(line) if excess > 0 else None
    if trailing:
        line = line[:len(line) - min(len(trailing[0]), excess)]
    if justify == "left":
        return line + " " * (size - width(line))
    if justify == "right":
        line = line.rstrip()
        return " " * (size - width(line)) + line
    return line


def _wrapped(text: str, size: int, justify) -> List[str]:
    """One line of text laid out in `size` cells, as rich does: more lines only when it does not fit, and
    then by rich itself."""
    if width(text) <= size:
        return [_fitted(text, size, justify)]
    from rich.console import Console
    from rich.text import Text

    return [line.plain for line in Text(text).wrap(Console(width=size), size, justify=justify)]


def _rich_summary(report, title, columns, flops, memory) -> Iterator[str]:
    """A table wider than the page: rich folds its cells (calc/render/table.py)."""
    from .table import build_table, plain_text

    yield plain_text(build_table(report, title, columns, flops, memory))


# What rich reads in a cell's text besides the text (console markup, emoji codes).
_MARKUP = re.compile(r"\[|:\S*:")


def simple_table_fits(title: str, heads, rows) -> bool:
    """Whether simple_table_text lays the table out as rich does: one-line cells without markup, the table
    and its title within the page, the title's lines within the table."""
    widths = [max(width(cell) for cell in column) for column in zip(heads, *rows)]
    table_width = sum(widths) + 3 * len(widths) - 1
    cells = [*heads, *(cell for row in rows for cell in row)]
    return (table_width <= PAGE and all(width(line) <= table_width for line in title.split("\n"))
            and not any(_MARKUP.search(cell) or "\n" in cell for cell in cells))


def simple_table_text(title: str, heads, rows) -> Iterator[str]:
    """A rich Table(box=SIMPLE_HEAD, pad_edge=False, title=title, title_justify="left") of left-justified
    cells, as it prints when piped (`layercalc layers`), its lines padded as rich pads them; for a table
    that simple_table_fits."""
    widths = [max(width(cell) for cell in column) for column in zip(heads, *rows)]
    table_width = sum(widths) + 3 * len(widths) - 1
    left = [False] * len(heads)
    blank = " " * table_width + "\n"
    yield "".join(line + "\n" for line in title.split("\n"))
    yield blank
    yield _row([[head] for head in heads], widths, left)
    yield " " + RULE * (table_width - 2) + " \n"
    yield "".join(_row([[cell] for cell in row], widths, left) for row in rows)
    yield blank
