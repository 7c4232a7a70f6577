"""calc/record.py's records behave as the @dataclass(frozen=True) classes they replace: construction (by
position and keyword, defaults and factories, the errors), equality, hashing, repr, refused assignment, and
dataclasses.replace / fields / asdict."""

import dataclasses
from dataclasses import dataclass, field
from typing import Optional, Tuple

import pytest

from calc.record import Record, record


@record
class Made(Record):
    name: str
    shape: Tuple[int, ...]
    batch: Optional[int] = None
    notes: Tuple[str, ...] = field(default_factory=tuple)
    cached: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compiled:
    name: str
    shape: Tuple[int, ...]
    batch: Optional[int] = None
    notes: Tuple[str, ...] = field(default_factory=tuple)
    cached: int = field(default=0, compare=False)


@dataclass(frozen=True, eq=False, repr=False)
class PerLayer(Record):
    name: str
    params: int = 0


@pytest.mark.parametrize("args, kwargs", [
    (("a", (1, 2)), {}), (("a",), {"shape": (3,), "batch": 4}), ((), {"name": "b", "shape": (), "notes": ("x",)}),
    (("a", (1,), 2, ("n",), 7), {}),
])
def test_a_record_is_made_compared_hashed_and_printed_as_a_frozen_dataclass(args, kwargs):
    made, compiled = Made(*args, **kwargs), Compiled(*args, **kwargs)
    assert repr(made) == repr(compiled).replace("Compiled", "Made")
    assert dataclasses.asdict(made) == dataclasses.asdict(compiled)
    assert made == Made(*args, **kwargs) and hash(made) == hash(Made(*args, **kwargs))
    assert made == dataclasses.replace(made, cached=99) and made != dataclasses.replace(made, batch=5)
    assert made != compiled and made.__eq__(compiled) is NotImplemented


@pytest.mark.parametrize("args, kwargs", [
    (("a",), {}), (("a", (1,), 2, (), 0, "extra"), {}), (("a", (1,)), {"name": "b"}), (("a", (1,)), {"colour": 1}),
])
def test_a_record_refuses_what_a_dataclass_refuses(args, kwargs):
    with pytest.raises(TypeError) as compiled_error:
        Compiled(*args, **kwargs)
    with pytest.raises(TypeError) as made_error:
        Made(*args, **kwargs)
    # the same refusal, in the same words but for how many positional arguments the class takes
    made, compiled = str(made_error.value).replace("Made", "Compiled"), str(compiled_error.value)
    assert made == compiled or made.split(" takes ")[0] == compiled.split(" takes ")[0]


@pytest.mark.parametrize("item", [Made("a", ()), PerLayer("a", 3)])
def test_a_record_is_frozen(item):
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.name = "b"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del item.name


def test_a_per_layer_record_keeps_its_compiled_init_and_shares_the_rest():
    assert "__init__" in PerLayer.__dict__ and "__eq__" not in PerLayer.__dict__ and "__repr__" not in PerLayer.__dict__
    assert "__init__" not in Made.__dict__
    assert PerLayer("a", 3) == PerLayer(name="a", params=3) and repr(PerLayer("a")) == "PerLayer(name='a', params=0)"
    assert len({PerLayer("a", 3), PerLayer("a", 3), PerLayer("b")}) == 2
