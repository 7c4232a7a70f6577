"""Frozen records whose methods are written once, here, over their fields, instead of compiled for each class.

@dataclass(frozen=True) compiles six methods for every class it makes (__init__, __eq__, __hash__, __repr__,
__setattr__, __delattr__): creating the classes of the spec, the graph, the report and the layer rules was a
third of the CPU time of a ResNet-50 summary.  A record is a dataclass (`dataclasses.fields`, `replace` and
`asdict` work on it) that compares, hashes, prints and refuses assignment as a frozen dataclass does:

    @record                                           # made a few times a run: Record's __init__, nothing compiled
    class Report(Record): ...

    @dataclass(frozen=True, eq=False, repr=False)     # made for every layer: the dataclass' compiled __init__,
    class LayerRow(Record): ...                       # faster per instance
"""

from __future__ import annotations

import dataclasses
from typing import Any, Tuple


def record(cls: type) -> type:
    """A Record subclass as a dataclass, with no method compiled for it (its __init__ is Record's)."""
    return dataclasses.dataclass(init=False, eq=False, repr=False)(cls)


class Record:
    """Base of the records: the methods @dataclass(frozen=True) would compile, over the class's fields."""

    def __init__(self, *args: Any, **values: Any) -> None:
        """Each field from the arguments (by position, then by keyword; a keyword-only field by keyword only),
        else its default, as a dataclass' __init__."""
        fields = self.__class__.__dict__.get("_record_fields") or self.__class__.record_fields()
        name = self.__class__.__qualname__
        positional = [field_name for field_name, _, _, kw_only in fields if not kw_only]
        if len(args) > len(positional):
            raise TypeError(f"{name}.__init__() takes {len(positional) + 1} positional arguments but "
                            f"{len(args) + 1} were given")
        for field_name, value in zip(positional, args):
            if field_name in values:
                raise TypeError(f"{name}.__init__() got multiple values for argument '{field_name}'")
            values[field_name] = value
        for unknown in values.keys() - {field[0] for field in fields}:
            raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{unknown}'")
        for field_name, default, factory, kw_only in fields:
            if field_name in values:
                value = values[field_name]
            elif default is not dataclasses.MISSING:
                value = default
            elif factory is not dataclasses.MISSING:
                value = factory()
            else:
                raise TypeError(f"{name}.__init__() missing 1 required {'keyword-only' if kw_only else 'positional'} "
                                f"argument: '{field_name}'")
            object.__setattr__(self, field_name, value)

    @classmethod
    def record_fields(cls) -> Tuple[Tuple[str, Any, Any, bool], ...]:
        """(name, default, default factory, keyword-only) of each field, computed once per class."""
        cls._record_fields = tuple((f.name, f.default, f.default_factory, f.kw_only) for f in dataclasses.fields(cls))
        return cls._record_fields

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field '{name}'")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field '{name}'")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _compared(self) == _compared(other)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, f.name) for f in dataclasses.fields(self)
                          if (f.compare if f.hash is None else f.hash)))

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}("
                f"{', '.join(f'{f.name}={getattr(self, f.name)!r}' for f in dataclasses.fields(self) if f.repr)})")


def _compared(item: Record) -> Tuple[Any, ...]:
    return tuple(getattr(item, f.name) for f in dataclasses.fields(item) if f.compare)
