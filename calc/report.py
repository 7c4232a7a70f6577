"""The Report: numbers only, no formatting.  Renderers turn it into text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

from .dims import Dim, Shape


@dataclass(frozen=True)
class Counts:
    params: Dim
    trainable_params: Dim
    non_trainable_params: Dim
    macs: Dim

    def as_dict(self) -> Dict[str, Any]:
        return {
            "params": self.params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "macs": self.macs,
        }


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

    def to_dict(self) -> Dict[str, Any]:
        """The JSON report of SPEC.md section 3."""

        def shape(value):
            return [list(item) for item in value] if isinstance(value, list) else list(value)

        return {
            "name": self.name,
            "inputs": [{"name": row.name, "shape": list(row.shape)} for row in self.inputs],
            "layers": [
                {
                    "name": row.name,
                    "type": row.type,
                    "inputs": list(row.inputs),
                    "output_shape": shape(row.output_shape),
                    **row.counts.as_dict(),
                }
                for row in self.layers
            ],
            "outputs": list(self.outputs),
            "totals": self.totals.as_dict(),
        }
