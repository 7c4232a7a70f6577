"""Error types that carry where in the spec they come from.

A rule raises with what failed (and which argument, if one did); the stage
that knows the layer adds its name, type and YAML location once.  Only the
CLI turns errors into messages on stderr and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Location:
    """A position in a spec file: 1-based line and column, as editors count."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class LayercalcError(Exception):
    """Base of every error layercalc reports to the user (exit code 2)."""

    def __init__(
        self,
        message: str,
        *,
        location: Optional[Location] = None,
        layer: Optional[str] = None,
        layer_type: Optional[str] = None,
        argument: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
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

    def __str__(self) -> str:
        prefix = f"{self.location}: " if self.location else ""
        if self.layer:
            kind = f" ({self.layer_type})" if self.layer_type else ""
            prefix += f"layer '{self.layer}'{kind}: "
        return prefix + self.message


class SpecError(LayercalcError):
    """The spec is malformed: bad YAML, unknown names, wrong argument types."""


class ShapeError(LayercalcError):
    """The spec is well formed but its shapes do not fit together."""


class UsageError(LayercalcError):
    """The command line is invalid."""
