"""The spec data types: what every reader's data becomes (`Spec`, its inputs, layers and block
instances), and the located mappings and lists (`YamlMap`, `YamlList`) readers hand to the builder.

Every mapping and list keeps the line and column of its nodes, so any later stage can point an
error at the exact place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple, Union

from ..dims import Dim, Shape
from ..errors import Location
from ..record import Record, record


class YamlMap(dict):
    """A mapping that remembers where it, its keys and its values stand."""

    location: Location
    key_locations: Dict[Any, Location]
    value_locations: Dict[Any, Location]


class YamlList(list):
    """A list that remembers where it and each of its items stand."""

    location: Location
    item_locations: list


@record
class InputSpec(Record):
    """A model input: its name, shape (without the batch axis) and dtype."""

    name: str
    shape: Shape  # without the batch axis
    dtype: Optional[str]  # None when the spec declares none (float, in the numbers' dtype: costs.itemsize)
    location: Location


# A reference to a layer's output: a name as written ('conv', 'lstm:1'), the position of a
# layer in Spec.layers (what blocks and repeat expand to), or (position, output index).
Ref = Union[str, int, Tuple[int, int]]


def with_output(ref: Ref, index: int) -> Ref:
    """The index-th output of the layer `ref` names: 'lstm' -> 'lstm:1', 7 -> (7, 1)."""
    if index == 0:
        return ref
    return f"{ref}:{index}" if isinstance(ref, str) else (ref, index)


@dataclass(frozen=True, eq=False, repr=False)
class LayerSpec(Record):
    """One layer as the spec gives it, blocks and repeats expanded."""

    type: str
    name: Optional[str]  # full name ('stage2/conv'); None: Keras-style auto name, given by the graph
    inputs: Optional[Tuple[Ref, ...]]  # None: the previous layer's output (or the single input)
    trainable: bool
    args: Dict[str, Any]
    location: Location
    type_location: Location
    arg_locations: Dict[str, Location] = field(default_factory=dict)
    inputs_location: Optional[Location] = None
    prefix: str = ""  # the enclosing block instances' prefix ('stage2/'), for auto names
    scope: Tuple[str, ...] = ()  # the enclosing block instances, outermost first
    # This entry is another call of that layer, with its weights: `{call: encoder}` as written (type ''), or a
    # layer of a block instance's call (its type kept from the block).
    call: Optional[Ref] = None

    def arg_location(self, argument: Optional[str]) -> Location:
        return self.arg_locations.get(argument, self.location) if argument else self.location


@dataclass(frozen=True, eq=False, repr=False)
class BlockInstance(Record):
    """One use of a block: its type, and which layer's output is its output."""

    name: str
    type: str
    output: Ref
    location: Location


@record
class Spec(Record):
    """A whole spec, read and expanded: what the graph is built from."""

    name: Optional[str]
    batch: Dim
    inputs: Tuple[InputSpec, ...]
    layers: Tuple[LayerSpec, ...]
    outputs: Optional[Tuple[str, ...]]
    outputs_location: Optional[Location]
    budget: Dict[str, int]
    source: str
    blocks: Dict[str, BlockInstance] = field(default_factory=dict)
    dtype: Optional[str] = None  # the numbers' type for memory figures (None: float32 unless --dtype says)
    framework: str = "keras"  # whose layer types and semantics: keras, or torch (torch.nn modules, channels first)
    mixed_precision: Optional[str] = None  # Keras' mixed policy: activations in this dtype, variables in float32


def located(value: Any, location: Location) -> Any:
    """Plain data (an imported model) as located spec data (the YAML reader's kind), every node at `location`."""
    if isinstance(value, dict):
        data = YamlMap((key, located(item, location)) for key, item in value.items())
        data.location = location
        data.key_locations = dict.fromkeys(data, location)
        data.value_locations = dict.fromkeys(data, location)
        return data
    if isinstance(value, list):
        items = YamlList(located(item, location) for item in value)
        items.location, items.item_locations = location, [location] * len(items)
        return items
    return value
