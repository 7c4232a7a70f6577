"""The Report: numbers only, no formatting.  Renderers turn it into text."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Tuple, Union

from .dims import Dim, Shape, dim_sum


COLUMNS = ("params", "trainable_params", "non_trainable_params", "macs")


def number(value: Dim) -> Any:
    """A dimension or count for JSON: an int, null, or a symbolic expression as a string."""
    return value if value is None or isinstance(value, int) else str(value)


@dataclass(frozen=True)
class Counts:
    params: Dim
    trainable_params: Dim
    non_trainable_params: Dim
    macs: Dim

    def as_dict(self) -> Dict[str, Any]:
        return {column: number(getattr(self, column)) for column in COLUMNS}


@dataclass(frozen=True)
class InputRow:
    name: str
    shape: Shape  # batch included
    dtype: str


@dataclass(frozen=True)
class LayerRow:
    name: str
    type: str
    inputs: Tuple[str, ...]
    output_shapes: Tuple[Shape, ...]  # one per output (several for an LSTM with return_state)
    counts: Counts
    scope: Tuple[str, ...] = ()  # the block instances this layer is in, outermost first

    @property
    def output_shape(self) -> Union[Shape, List[Shape]]:
        """One shape, or a list of them for a layer with several outputs."""
        return self.output_shapes[0] if len(self.output_shapes) == 1 else list(self.output_shapes)


@dataclass(frozen=True)
class Report:
    name: Optional[str]
    batch: Dim
    inputs: Tuple[InputRow, ...]
    layers: Tuple[LayerRow, ...]
    outputs: Tuple[str, ...]
    totals: Counts
    is_chain: bool
    blocks: Dict[str, Tuple[str, str]] = field(default_factory=dict)  # instance -> (block type, output reference)
    valid_when: Tuple[str, ...] = ()  # conditions on symbols for the figures to hold ('H >= 5')

    def collapsed(self, depth: int) -> "Report":
        """Blocks nested `depth` deep or more shown as one row each, with their totals
        (like Keras' expand_nested=False and torchinfo's depth)."""
        members: Dict[str, List[LayerRow]] = {}
        owner: Dict[str, str] = {}  # layer name -> the collapsed block that holds it
        order: List[str] = []  # row names in report order: layers and collapsed blocks
        for row in self.layers:
            if len(row.scope) < depth:
                order.append(row.name)
                continue
            block = row.scope[depth - 1]
            if block not in members:
                members[block] = []
                order.append(block)
            members[block].append(row)
            owner[row.name] = block

        def shown(reference: str) -> str:
            return owner.get(reference.rpartition(":")[0] or reference, owner.get(reference, reference))

        by_name = {row.name: row for row in self.layers}
        rows = []
        for name in order:
            if name not in members:
                row = by_name[name]
                rows.append(replace(row, inputs=tuple(dict.fromkeys(shown(ref) for ref in row.inputs))))
                continue
            group = members[name]
            inputs = [shown(ref) for row in group for ref in row.inputs]
            block_type, output = self.blocks[name]
            source, colon, index = output.rpartition(":")
            output_row = by_name[source] if colon else by_name[output]
            counts = Counts(*(dim_sum(getattr(row.counts, column) for row in group) for column in COLUMNS))
            rows.append(LayerRow(name, block_type, tuple(dict.fromkeys(ref for ref in inputs if ref != name)),
                                 (output_row.output_shapes[int(index) if colon else 0],), counts,
                                 group[0].scope[:depth - 1]))
        outputs = tuple(dict.fromkeys(shown(ref) for ref in self.outputs))
        previous = self.inputs[0].name if len(self.inputs) == 1 else None
        chain = all(row.inputs == ((self.inputs[0].name,) if index == 0 else (rows[index - 1].name,))
                    for index, row in enumerate(rows)) and previous is not None
        return replace(self, layers=tuple(rows), outputs=outputs, is_chain=chain and outputs == (rows[-1].name,))

    def to_dict(self) -> Dict[str, Any]:
        """The JSON report of SPEC.md section 3."""

        def shape(value):
            if isinstance(value, list):
                return [shape(item) for item in value]
            return [number(dim) for dim in value]

        return {
            "name": self.name,
            "inputs": [{"name": row.name, "shape": shape(row.shape)} for row in self.inputs],
            "layers": [
                {
                    "name": row.name,
                    "type": row.type,
                    "inputs": list(row.inputs),
                    "output_shape": shape(row.output_shape),
                    **row.counts.as_dict(),
                    **({"scope": list(row.scope)} if row.scope else {}),
                }
                for row in self.layers
            ],
            "outputs": list(self.outputs),
            "totals": self.totals.as_dict(),
            **({"valid_when": list(self.valid_when)} if self.valid_when else {}),
        }
