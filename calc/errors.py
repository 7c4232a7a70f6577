"""Error types that carry where in the spec they come from.

A rule raises with what failed (and which argument, if one did); the stage
that knows the layer adds its name, type and YAML location once.  Only the
CLI turns errors into messages on stderr and exit codes.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, NamedTuple, Optional, Tuple, Union


class Param(NamedTuple):
    """A library parameter a message names (`per_batch`, `bindings`); the command line shows its own
    flag there instead (--per-batch, --set), so the library never speaks of flags."""

    name: str


Message = Union[str, Tuple[Union[str, Param], ...]]  # text, or text and the parameters it names


class Location(NamedTuple):
    """A position in a spec file: 1-based line and column, as editors count.
    (A NamedTuple: specs make one per YAML node, and it is the cheapest immutable record.)"""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class LayercalcError(Exception):
    """Base of every error layercalc reports to the user (exit code 2)."""

    def __init__(
        self,
        message: Message,
        *,
        location: Optional[Location] = None,
        layer: Optional[str] = None,
        layer_type: Optional[str] = None,
        argument: Optional[str] = None,
    ) -> None:
        self.parts = (message,) if isinstance(message, str) else tuple(message)
        self.message = self.text()
        super().__init__(self.message)
        self.location = location
        self.layer = layer
        self.layer_type = layer_type
        self.argument = argument

    def add_context(
        self,
        *,
        location: Optional[Location] = None,
        layer: Optional[str] = None,
        layer_type: Optional[str] = None,
    ) -> "LayercalcError":
        """Fill in what the raiser did not know; never overwrite what it did."""
        self.location = self.location or location
        self.layer = self.layer or layer
        self.layer_type = self.layer_type or layer_type
        return self

    def text(self, names: Optional[Mapping[str, str]] = None) -> str:
        """The message, each parameter it names spelled as `names` says (its own name if absent)."""
        names = names or {}
        return "".join(names.get(part.name, part.name) if isinstance(part, Param) else part for part in self.parts)

    def __str__(self) -> str:
        return self.described()

    def described(self, names: Optional[Mapping[str, str]] = None) -> str:
        """The message with where and in which layer it happened; parameters spelled as `names` says."""
        prefix = f"{self.location}: " if self.location else ""
        # A type as written may be anything (' Dense', 'a b'): quoted then, so the message still reads.
        # A dotted name (ops.add) reads as one too.
        plain = not self.layer_type or all(part.isidentifier() for part in self.layer_type.split("."))
        kind = self.layer_type if plain else f"'{self.layer_type}'"
        if self.layer:
            prefix += f"layer '{self.layer}'{f' ({kind})' if kind else ''}: "
        elif kind:
            prefix += f"{kind} layer: "
        return prefix + self.text(names)


class SpecError(LayercalcError):
    """The spec is malformed: bad YAML, unknown names, wrong argument types."""


class ShapeError(LayercalcError):
    """The spec is well formed but its shapes do not fit together."""


class UsageError(LayercalcError):
    """The command line is invalid."""


# -- wording shared by every message ------------------------------------------------


def closest(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or '' if none is close."""
    import difflib  # only a message needs it: a few milliseconds of start-up otherwise

    candidates = [str(candidate) for candidate in candidates]
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not matches:
        lowered = {candidate.lower(): candidate for candidate in candidates}
        matches = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def describe(value: Any) -> str:
    """A value as a message quotes it: its YAML spelling and, if useful, its kind."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


# -- text from the input, shown inert ------------------------------------------------

# Characters that move the cursor, start escape sequences, break lines or reorder what is shown: C0 controls,
# and past them DEL, C1 controls, the line and paragraph separators and the bidi marks, embeddings, overrides
# and isolates.
BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x1f{BEYOND_C0}]")
_BEYOND_C0 = re.compile(f"[{BEYOND_C0}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str) -> str:
    r"""Text with every control character spelled out, so it can neither style, move nor split a line.

    >>> print(visible("a\x1b[31m\nb\u202e"))
    a\x1b[31m\nb\u202e
    """
    return _CONTROL.sub(lambda match: _NAMED.get(match[0]) or _code(ord(match[0])), text)


def _code(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escaped_beyond_c0(text: str) -> str:
    r"""JSON or YAML text with DEL, C1 and the bidi controls that the encoder left as they are written as
    \u escapes (\u0085), which are the same characters inside a JSON string or a double-quoted YAML scalar.

    >>> print(escaped_beyond_c0('"a\u202eb"'))
    "a\u202eb"
    """
    return _BEYOND_C0.sub(lambda match: _code(ord(match[0])).replace("\\x", "\\u00"), text)


MAX_MESSAGE = 1_000  # characters in one error line
# a quoted name or value longer than any real one (its opening quote not the closing one of a word: 'name' ... 'other')
_QUOTED = re.compile(r"(?<!\w)'([^']{200,})'")


def elide(text: str, limit: int) -> str:
    """The start and end of text, at most `limit` characters in all.

    >>> elide("abcdefghij", 7)
    'abc…hij'
    """
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


def message_line(message: str) -> str:
    """An error message as one inert line of at most MAX_MESSAGE characters: control characters spelled out,
    each long quoted name or value elided in its middle, and the line too if it is still longer."""
    line = _QUOTED.sub(lambda match: f"'{elide(match[1], 120)}'", visible(message))
    return elide(line, MAX_MESSAGE)
