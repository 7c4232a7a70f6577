"""torch.nn's recurrent modules, RNN, LSTM and GRU: num_layers stacked, bidirectional, batch_first, bias,
LSTM's proj_size; their outputs (output, h_n) and LSTM's (output, (h_n, c_n)) as outputs 0, 1 (and 2)."""

from __future__ import annotations

from dataclasses import field
from typing import Any, ClassVar, List

from ...dims import Dim, Shape, dim_sum, format_shape, prod
from ...errors import ShapeError, SpecError
from ..arguments import NonNegativeInt, PositiveInt, choices
from ..base import Weight, rule
from ..registry import register
from .base import Module, inferred


@rule
class Recurrent(Module):
    """A stack of num_layers recurrent layers (each bidirectional: D = 2), G gates (RNN 1, GRU 3, LSTM 4).
    Input (N, L, H_in) with batch_first, else (L, N, H_in) (axis 0, what a spec calls the batch, is then the
    sequence); (L, H_in) unbatched.  H_out = proj_size (LSTM) or hidden_size.

    output: (N, L, D·H_out) (batch_first) or (L, N, D·H_out); h_n (D·num_layers, N, H_out) as output 1;
            LSTM's c_n (D·num_layers, N, hidden_size) as output 2
    params: per layer and direction weight_ih G·H·(H_in, or D·H_out above the first) + weight_hh G·H·H_out
            + bias_ih G·H + bias_hh G·H (bias) + LSTM's weight_hr H_out·H (proj_size)
    MACs:   each weight matrix once per step, per axis-0 slice (an example with batch_first: its L steps)
    """

    gates: ClassVar[int]
    states: ClassVar[int] = 1  # h_n (and LSTM's c_n)

    input_size: PositiveInt | None = None  # inferred from the input when omitted
    hidden_size: PositiveInt
    num_layers: PositiveInt = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False

    @property
    def projected(self) -> int:
        return getattr(self, "proj_size", 0) or self.hidden_size

    def validate(self) -> None:
        if not 0 <= self.dropout <= 1:
            raise SpecError(f"dropout should be a number in range [0, 1], found {self.dropout}", argument="dropout")

    def features(self, x: Shape) -> int:
        if len(x) not in (2, 3):
            raise ShapeError(f"expected a 2D (unbatched) or 3D (batched) input, found {format_shape(x)}")
        return inferred(self.input_size, x[-1], "input_size", x, "features on its last axis")

    def output_shape(self, x: Shape) -> List[Shape]:
        self.features(x)
        directions = 2 if self.bidirectional else 1
        if len(x) == 2:  # unbatched: (L, H_in)
            output, batch = (x[0], directions * self.projected), ()
        else:
            output, batch = (*x[:2], directions * self.projected), (x[0] if self.batch_first else x[1],)
        states = [(directions * self.num_layers, *batch, self.projected)]
        if self.states == 2:
            states.append((directions * self.num_layers, *batch, self.hidden_size))
        return [output, *states]

    def weights(self, x: Shape) -> List[Weight]:
        directions = 2 if self.bidirectional else 1
        gates, projected = self.gates * self.hidden_size, self.projected
        weights = []
        for layer in range(self.num_layers):
            inputs = self.features(x) if layer == 0 else directions * projected
            for suffix in ("", "_reverse")[:directions]:
                weights += [Weight(f"weight_ih_l{layer}{suffix}", (gates, inputs)),
                            Weight(f"weight_hh_l{layer}{suffix}", (gates, projected))]
                if self.bias:
                    weights += [Weight(f"bias_ih_l{layer}{suffix}", (gates,)),
                                Weight(f"bias_hh_l{layer}{suffix}", (gates,))]
                if projected != self.hidden_size:
                    weights.append(Weight(f"weight_hr_l{layer}{suffix}", (projected, self.hidden_size)))
        return weights

    def macs(self, x: Shape, y: Any) -> Dim:
        """Every weight matrix once per step of every sequence in an axis-0 slice: the steps of one example
        (batch_first), one step of the N sequences (axis 0 is the steps), one step (unbatched)."""
        matrices = dim_sum(prod(weight.shape) for weight in self.weights(x) if weight.name.startswith("weight"))
        return prod([x[1] if len(x) == 3 else 1, matrices])

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        biases = dim_sum(prod(weight.shape) for weight in self.weights(x) if weight.name.startswith("bias"))
        return prod([x[1] if len(x) == 3 else 1, biases])


@register
@rule
class RNN(Recurrent):
    __doc__ = Recurrent.__doc__
    gates = 1
    nonlinearity: str = field(default="tanh", metadata=choices("tanh", "relu", ignored=True))


@register
@rule
class GRU(Recurrent):
    __doc__ = Recurrent.__doc__
    gates = 3


@register
@rule
class LSTM(Recurrent):
    __doc__ = Recurrent.__doc__
    gates = 4
    states = 2
    proj_size: NonNegativeInt = 0

    def validate(self) -> None:
        super().validate()
        if self.proj_size >= self.hidden_size:
            raise SpecError(f"proj_size {self.proj_size} has to be smaller than hidden_size {self.hidden_size}",
                            argument="proj_size")
