"""Recurrent layers (written once in `Recurrent`), RNN with its cells (SimpleRNNCell, GRUCell, LSTMCell,
StackedRNNCells) and the wrappers Bidirectional and TimeDistributed."""

from __future__ import annotations

import dataclasses
from dataclasses import field
from functools import cached_property
from typing import Any, ClassVar, List, Optional, Sequence, Tuple

from ..dims import Dim, Shape, dim_sum, format_shape, prod
from ..errors import ShapeError, SpecError, closest, describe
from .arguments import ACTIVATIONS, LayerConfig, LayerConfigs, NonNegativeInt, PositiveInt, Size, choices
from .base import (
    SPATIAL_NAMES, Layer, Tap, Weight, activation_ops, elements, expect_rank, join_channels, rule, split_channels,
)
from .conv import DATA_FORMATS, WindowArguments
from .registry import register
from .wrapped import Wrapped, inside


def _activation(default: str) -> Any:
    """An activation argument with a Keras default other than null."""
    return field(default=default, metadata=choices(*ACTIVATIONS, ignored=True))


# -- recurrent layers -----------------------------------------------------------------


def sequence_with_states(shapes: Sequence[Shape], states: Sequence[Shape], type_name: str) -> Shape:
    """The first input (the sequence), after checking the others, a recurrent layer's initial states: none, or
    one per state, each of that state's shape (an unknown axis matches any)."""
    sequence, initial, count = shapes[0], shapes[1:], len(states)
    if initial and len(initial) != count:
        raise ShapeError(f"{type_name} takes {count} initial state{'s' if count > 1 else ''} after its sequence "
                         f"(inputs: [sequence, {', '.join(f'state{index}' for index in range(count))}]), found "
                         f"{len(initial)}")
    for given, state in zip(initial, states):
        if len(given) != len(state) or any(a is not None and b is not None and a != b for a, b in zip(given, state)):
            raise ShapeError(f"an initial state of shape {format_shape(given)} where the state is "
                             f"{format_shape(state)}")
    return sequence


@rule
class Recurrent(Layer):
    """A layer that runs a cell over axis 1 (time); subclasses give the cell's state and cost."""

    states: ClassVar[int]  # state tensors a cell carries (returned with return_state)
    max_inputs = 3  # the sequence, then its initial states (initial_state= in Keras): states of them

    def rule_input(self, shapes: Sequence[Shape]) -> Shape:
        """The sequence; initial states, the other inputs, must be one per state, of the state's shape."""
        return sequence_with_states(shapes, [self.state_shape(shapes[0])] * self.states, self.keras_name())

    def state_shape(self, x: Shape) -> Shape:
        """The shape of one state (batch included), after checking x."""
        raise NotImplementedError

    def step_macs(self, x: Shape) -> Dim:
        raise NotImplementedError

    def output_shape(self, x: Shape) -> Any:
        state = self.state_shape(x)
        check_stateful(self.stateful, x)
        output = (state[0], x[1], *state[1:]) if self.return_sequences else state
        return [output, *[state] * self.states] if self.return_state else output

    def macs(self, x: Shape, y: Any) -> Dim:
        return prod([x[1], self.step_macs(x)])

    def positions(self, x: Shape) -> Dim:
        """Positions of the state (1; a ConvLSTM's output positions), each with its own gates."""
        return 1

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        """timesteps · positions · the bias of every gate (GRU's reset_after: an input and a recurrent bias)."""
        if not self.use_bias:
            return 0
        bias = next(weight for weight in self.weights(x) if weight.name == "bias")
        return prod([x[1], prod(bias.shape), self.positions(x)])

    def elementwise(self, x: Shape, y: Any) -> Dim:
        """timesteps · the gates' arithmetic on each element of the state (see each cell)."""
        return prod([x[1], self.step_elementwise(), elements(self.state_shape(x))])

    def step_elementwise(self) -> int:
        """Elementwise operations per state element in one step."""
        raise NotImplementedError


def check_stateful(stateful: bool, x: Shape) -> None:
    """A stateful recurrent layer keeps its states from batch to batch: it needs a known batch size."""
    if stateful and x[0] is None:
        raise ShapeError("stateful=True needs a known batch size (batch: N in the spec), found None",
                         argument="stateful")


def lstm_step_ops(activation: Optional[str], recurrent_activation: Optional[str]) -> int:
    """Elementwise operations per state element in one LSTM step: add the input and recurrent products
    of 4 gates: 4; the recurrent activation on i, f, o and the activation on the candidate; c = f·c + i·g:
    3; h = o·activation(c): 1 + the activation.

    >>> lstm_step_ops("tanh", "sigmoid")
    13
    """
    return 4 + 3 * activation_ops(recurrent_activation) + 2 * activation_ops(activation) + 3 + 1


@rule
class DenseRNN(Recurrent):
    """A dense recurrent cell with `gates` blocks of units in its kernels."""

    gates: ClassVar[int]

    units: PositiveInt
    activation: str | None = _activation("tanh")
    use_bias: bool = True
    kernel_initializer: Any = "glorot_uniform"
    recurrent_initializer: Any = "orthogonal"
    bias_initializer: Any = "zeros"
    kernel_regularizer: Any = None
    recurrent_regularizer: Any = None
    bias_regularizer: Any = None
    kernel_constraint: Any = None
    recurrent_constraint: Any = None
    bias_constraint: Any = None
    dropout: Any = 0.0
    recurrent_dropout: Any = 0.0
    seed: Any = None
    return_sequences: bool = False
    return_state: bool = False
    go_backwards: bool = False
    stateful: bool = False
    unroll: Any = False

    def features(self, x: Shape) -> int:
        expect_rank(x, 3, "(batch, timesteps, features)")
        if x[-1] is None:
            raise ShapeError(f"the features axis must be known, found None in {format_shape(x)}")
        return x[-1]

    def state_shape(self, x: Shape) -> Shape:
        self.features(x)
        return (x[0], self.units)

    def bias_shape(self) -> Shape:
        return (self.gates * self.units,)

    def weights(self, x: Shape) -> List[Weight]:
        width = self.gates * self.units
        weights = [Weight("kernel", (self.features(x), width)), Weight("recurrent_kernel", (self.units, width))]
        if self.use_bias:
            weights.append(Weight("bias", self.bias_shape()))
        return weights

    def step_macs(self, x: Shape) -> Dim:
        return self.gates * self.units * (self.features(x) + self.units)


@register
@rule
class SimpleRNN(DenseRNN):
    """Fully connected recurrent layer over axis 1 of (batch, timesteps, features).

    inputs: the sequence, then optionally its initial states (initial_state=), each (batch, units)
    output: (batch, units), or (batch, timesteps, units) with return_sequences;
            return_state adds the final state h (batch, units)
    params: kernel in·units + recurrent_kernel units·units + bias units (use_bias)
    MACs:   timesteps · units·(in + units)
    """

    gates = 1
    states = 1
    max_inputs = 2

    def step_elementwise(self) -> int:
        return 1 + activation_ops(self.activation)  # add the two products, activation


@rule
class GatedRNN(DenseRNN):
    recurrent_activation: str | None = _activation("sigmoid")
    use_cudnn: Any = "auto"

    def validate(self) -> None:
        if self.use_cudnn not in ("auto", True, False):  # Keras' test: 1 and 0 pass
            raise SpecError(f"argument 'use_cudnn' must be auto, true or false, found {describe(self.use_cudnn)}",
                            argument="use_cudnn")


@register
@rule
class LSTM(GatedRNN):
    """Long short-term memory over axis 1 of (batch, timesteps, features).

    inputs: the sequence, then optionally its initial states (initial_state=), each (batch, units)
    output: (batch, units), or (batch, timesteps, units) with return_sequences;
            return_state adds the final states h and c, (batch, units) each
    params: kernel in·4·units + recurrent_kernel units·4·units + bias 4·units (use_bias)
    MACs:   timesteps · 4·units·(in + units)
    """

    gates = 4
    states = 2
    unit_forget_bias: Any = True

    def step_elementwise(self) -> int:
        return lstm_step_ops(self.activation, self.recurrent_activation)


@register
@rule
class GRU(GatedRNN):
    """Gated recurrent unit over axis 1 of (batch, timesteps, features).

    inputs: the sequence, then optionally its initial states (initial_state=), each (batch, units)
    output: (batch, units), or (batch, timesteps, units) with return_sequences;
            return_state adds the final state h (batch, units)
    params: kernel in·3·units + recurrent_kernel units·3·units + bias (use_bias):
            (2, 3·units) with reset_after (input and recurrent biases), else 3·units
    MACs:   timesteps · 3·units·(in + units)
    """

    gates = 3
    states = 1
    max_inputs = 2
    reset_after: bool = True

    def bias_shape(self) -> Shape:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def step_elementwise(self) -> int:
        # z, r: add the products, recurrent activation; candidate: r · (its recurrent product, or h),
        # add, activation; h = z·h + (1 - z)·candidate: 4
        return 2 * (1 + activation_ops(self.recurrent_activation)) + 2 + activation_ops(self.activation) + 4


@rule
class ConvLSTM(WindowArguments, Recurrent):
    """LSTM whose input and recurrent transformations are convolutions.

    x is (batch, time, *spatial, C), or (batch, time, C, *spatial) with channels_first.
    inputs: the sequence, then optionally its initial states h and c (initial_state=), each of the state's shape
    output: the state (batch, *O, filters) (channels_first: (batch, filters, *O)),
            O = floor((I - D·(F-1) - 1) / S) + 1 (valid), ceil(I / S) (same);
            with return_sequences (batch, time, *state without batch);
            return_state adds the final states h and c
    params: kernel F…·C·4·filters + recurrent_kernel F…·filters·4·filters
            + bias 4·filters (use_bias)
    MACs:   time · positions(O) · 4·filters · F… · (C + filters)
            (the input convolution and the same-padded recurrent one)
    """

    rank: ClassVar[int]
    states = 2

    filters: NonNegativeInt
    kernel_size: Size
    strides: Size = 1
    padding: str = field(default="valid", metadata=choices("valid", "same", ignore_case=True))
    data_format: str | None = field(default=None, metadata=DATA_FORMATS)
    dilation_rate: Size = 1
    activation: str | None = _activation("tanh")
    recurrent_activation: str | None = _activation("sigmoid")
    use_bias: bool = True
    kernel_initializer: Any = "glorot_uniform"
    recurrent_initializer: Any = "orthogonal"
    bias_initializer: Any = "zeros"
    unit_forget_bias: Any = True
    kernel_regularizer: Any = None
    recurrent_regularizer: Any = None
    bias_regularizer: Any = None
    kernel_constraint: Any = None
    recurrent_constraint: Any = None
    bias_constraint: Any = None
    dropout: Any = 0.0
    recurrent_dropout: Any = 0.0
    seed: Any = None
    return_sequences: bool = False
    return_state: bool = False
    go_backwards: bool = False
    stateful: bool = False

    @property
    def layout(self) -> str:
        return self.data_format or "channels_last"

    def validate(self) -> None:
        self.refuse_strides_with_dilation()

    def step(self, x: Shape) -> Tuple[Dim, Tuple[int, ...], int]:
        """(batch, spatial dims, channels) of one time step, all known as Keras requires."""
        names = SPATIAL_NAMES[self.rank]
        axes = ("channels", *names) if self.layout == "channels_first" else (*names, "channels")
        expect_rank(x, self.rank + 3, f"(batch, time, {', '.join(axes)})")
        batch, spatial, channels = split_channels((x[0], *x[2:]), self.layout, self.rank)
        if None in spatial or channels is None:
            raise ShapeError(f"the spatial and channel axes must be known, found None in {format_shape(x)}")
        return batch, spatial, channels

    def state_shape(self, x: Shape) -> Shape:
        batch, spatial, _ = self.step(x)
        first_axis = 3 if self.layout == "channels_first" else 2  # after batch and time
        return join_channels(batch, self.lengths(spatial, first_axis), self.filters, self.layout)

    def weights(self, x: Shape) -> List[Weight]:
        _, _, channels = self.step(x)
        width = 4 * self.filters
        weights = [Weight("kernel", (*self.kernel, channels, width)),
                   Weight("recurrent_kernel", (*self.kernel, self.filters, width))]
        if self.use_bias:
            weights.append(Weight("bias", (width,)))
        return weights

    def step_macs(self, x: Shape) -> Dim:
        _, _, channels = self.step(x)
        _, out_spatial, _ = split_channels(self.state_shape(x), self.layout, self.rank)
        return prod([*out_spatial, 4 * self.filters, *self.kernel, channels + self.filters])

    def positions(self, x: Shape) -> Dim:
        return prod(split_channels(self.state_shape(x), self.layout, self.rank)[1])

    def step_elementwise(self) -> int:
        return lstm_step_ops(self.activation, self.recurrent_activation)


@register
@rule
class ConvLSTM1D(ConvLSTM):
    __doc__ = ConvLSTM.__doc__
    rank = 1


@register
@rule
class ConvLSTM2D(ConvLSTM):
    __doc__ = ConvLSTM.__doc__
    rank = 2


@register
@rule
class ConvLSTM3D(ConvLSTM):
    __doc__ = ConvLSTM.__doc__
    rank = 3


# -- RNN and its cells -------------------------------------------------------------------


RNN_ONLY = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")  # a cell's layer takes them


class Cell:
    """A cell runs one step of its recurrent layer, called by RNN (or StackedRNNCells): as a layer of its own
    Keras needs its states as call arguments, which a spec cannot give (rule cases *-cell-alone)."""

    def validate(self) -> None:
        super().validate()
        for name in RNN_ONLY:
            if getattr(self, name):
                raise SpecError(f"{name} is an argument of the RNN that runs the cell, not of "
                                f"{type(self).__name__}", argument=name)

    def output_shape(self, x: Shape) -> Any:
        layer = type(self).__mro__[2].__name__
        raise ShapeError(f"a {type(self).__name__} runs one step, called by RNN: write "
                         f"{{type: RNN, cell: {{type: {type(self).__name__}, units: ...}}}}, or use {layer}")


@register
@rule
class SimpleRNNCell(Cell, SimpleRNN):
    """SimpleRNN's step, for RNN's cell: its arguments and weights are SimpleRNN's.

    output: none of its own (see RNN);  MACs: units·(in + units) per step
    """


@register
@rule
class LSTMCell(Cell, LSTM):
    """LSTM's step, for RNN's cell: its arguments and weights are LSTM's.

    output: none of its own (see RNN);  MACs: 4·units·(in + units) per step
    """


@register
@rule
class GRUCell(Cell, GRU):
    """GRU's step, for RNN's cell: its arguments and weights are GRU's.

    output: none of its own (see RNN);  MACs: 3·units·(in + units) per step
    """


@register
@rule
class StackedRNNCells(Layer):
    """Cells run one after another in each step, for RNN's cell (`cells: [{type: LSTMCell, units: 8}, ...]`);
    an RNN given a list of cells stacks them so.

    output: none of its own (see RNN);  MACs: the cells' per step
    """

    cells: LayerConfigs

    def output_shape(self, x: Shape) -> Any:
        raise ShapeError("StackedRNNCells runs one step of its cells, called by RNN: write "
                         "{type: RNN, cell: {type: StackedRNNCells, cells: [...]}}")


@register
@rule
class RNN(Layer):
    """Runs a cell over axis 1 (time): `cell: {type: LSTMCell, units: 8}`, a list of cells, or
    {type: StackedRNNCells, cells: [...]}, each cell's input the previous cell's output.

    output: (batch, last cell's units), or (batch, timesteps, units) with return_sequences;
            return_state adds each cell's states in order (h, and c for an LSTMCell; Keras nests an
            LSTMCell's [h, c] of a stack in a list, layercalc lists them flat)
    params: each cell's, as its layer (SimpleRNN, LSTM, GRU) on the previous cell's units
    MACs:   timesteps · Σ the cells' MACs per step
    inputs: the sequence, then optionally its initial states (initial_state=): each cell's, in order, each of the
            state's shape (an LSTMCell's h and c, Keras' nested [[h, c], ...] written flat)
    """

    max_inputs = None  # the sequence, then one initial state per state of each cell
    cell: LayerConfigs
    return_sequences: bool = False
    return_state: bool = False
    go_backwards: bool = False
    stateful: bool = False
    unroll: Any = False
    zero_output_for_mask: Any = False

    @cached_property
    def cells(self) -> Tuple[Wrapped, ...]:
        configs = self.cell if isinstance(self.cell, tuple) else (self.cell,)
        if len(configs) == 1 and configs[0].get("type") == "StackedRNNCells":
            configs = tuple(configs[0].get("cells") or ())
        cells = tuple(Wrapped.build(config, "cell") for config in configs)
        for cell in cells:
            if not isinstance(cell.rule, Cell):
                raise SpecError(f"RNN runs a cell (SimpleRNNCell, GRUCell, LSTMCell or StackedRNNCells), found "
                                f"{cell.type_name}", argument="cell")
        if not cells:
            raise SpecError("RNN needs at least one cell", argument="cell")
        return cells

    def validate(self) -> None:
        self.cells  # noqa: B018 - build the cells now, so their errors are spec errors

    def rule_input(self, shapes: Sequence[Shape]) -> Shape:
        """The sequence, after checking the initial states, if any: one per state of each cell, of its shape."""
        return sequence_with_states(shapes, self.states(shapes[0]), self.keras_name())

    def states(self, x: Shape) -> List[Shape]:
        """The shape of each state of each cell, in order."""
        states = []
        for cell, shape in zip(self.cells, self.inputs(x)):
            with inside(cell.argument, cell.label):
                states += [cell.rule.state_shape(shape)] * cell.rule.states
        return states

    def inputs(self, x: Shape) -> List[Shape]:
        """Each cell's input sequence: x, then the previous cell's output sequence."""
        shapes = [x]
        for cell in self.cells[:-1]:
            with inside(cell.argument, cell.label):
                shapes.append((x[0], x[1], cell.rule.units))
        return shapes

    def output_shape(self, x: Shape) -> Any:
        states = self.states(x)
        check_stateful(self.stateful, x)
        last = states[-1]
        output = (x[0], x[1], last[1]) if self.return_sequences else last
        return [output, *states] if self.return_state else output

    def weights(self, x: Shape) -> List[Weight]:
        return [weight for cell, shape in zip(self.cells, self.inputs(x)) for weight in cell.weights(shape)]

    def macs(self, x: Shape, y: Any) -> Dim:
        return dim_sum([cell.rule.macs(shape, None) for cell, shape in zip(self.cells, self.inputs(x))])

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        return dim_sum([cell.rule.bias_adds(shape, None) for cell, shape in zip(self.cells, self.inputs(x))])

    def elementwise(self, x: Shape, y: Any) -> Dim:
        return dim_sum([cell.rule.elementwise(shape, None)
                        for cell, shape in zip(self.cells, self.inputs(x))])


# -- wrappers --------------------------------------------------------------------------


def _recurrent(wrapped: Wrapped) -> Wrapped:
    if not isinstance(wrapped.rule, Recurrent):
        raise SpecError(
            "Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D), "
            f"found {wrapped.type_name}",
            argument=wrapped.argument,
        )
    return wrapped


@register
@rule
class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it (or backward_layer) backwards.

    output: the forward layer's output, merged: concat doubles the last axis;
            sum, mul, ave keep it; merge_mode null gives two outputs.
            return_state adds the states of both directions, forward's first,
            each with the forward layer's state shapes (as Keras reports them)
    params: the forward layer's + the backward layer's
    MACs:   the forward layer's + the backward layer's
    """

    max_inputs = 5  # the sequence, then initial states: the forward layer's, then the backward layer's
    layer: LayerConfig
    merge_mode: str | None = field(default="concat", metadata=choices("sum", "mul", "ave", "concat"))
    backward_layer: LayerConfig | None = None

    def rule_input(self, shapes: Sequence[Shape]) -> Shape:
        forward, backward = self.forward.rule, self.backward.rule
        states = [forward.state_shape(shapes[0])] * forward.states + [backward.state_shape(shapes[0])] * backward.states
        return sequence_with_states(shapes, states, self.keras_name())

    @cached_property
    def forward(self) -> Wrapped:
        return _recurrent(Wrapped.build(self.layer, "layer"))

    @cached_property
    def backward(self) -> Wrapped:
        if self.backward_layer is not None:
            return _recurrent(Wrapped.build(self.backward_layer, "backward_layer"))
        return dataclasses.replace(self.forward, rule=dataclasses.replace(self.forward.rule, go_backwards=True))

    def validate(self) -> None:
        forward, backward = self.forward.rule, self.backward.rule
        if forward.go_backwards == backward.go_backwards:
            raise SpecError(
                f"the forward and backward layers need different go_backwards, found {describe(forward.go_backwards)} "
                "for both",
                argument="backward_layer" if self.backward_layer is not None else "layer",
            )
        for name in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, name) != getattr(backward, name):
                raise SpecError(
                    f"the forward and backward layers need the same {name}, found "
                    f"{describe(getattr(forward, name))} and {describe(getattr(backward, name))}",
                    argument="backward_layer",
                )

    def output_shape(self, x: Shape) -> Any:
        forward = self.forward.output_shape(x)
        self.backward.output_shape(x)  # only checked: Keras reports the forward layer's shapes
        output, states = (forward[0], forward[1:]) if isinstance(forward, list) else (forward, [])
        if self.merge_mode == "concat":
            output = (*output[:-1], prod([output[-1], 2]))
        outputs = [output, output] if self.merge_mode is None else [output]
        outputs += states * 2
        return outputs if len(outputs) > 1 else outputs[0]

    def weights(self, x: Shape) -> List[Weight]:
        return self.forward.weights(x, "forward_") + self.backward.weights(x, "backward_")

    def macs(self, x: Shape, y: Any) -> Dim:
        return dim_sum([self.forward.macs(x), self.backward.macs(x)])

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        return dim_sum([self.forward.bias_adds(x), self.backward.bias_adds(x)])

    def elementwise(self, x: Shape, y: Any) -> Dim:
        """Both directions', + merging them: sum and mul 1, ave 2 per merged element (concat: copies)."""
        merge = {"sum": 1, "mul": 1, "ave": 2}.get(self.merge_mode, 0)
        merged = prod([merge, elements(y[0] if isinstance(y, list) else y)]) if merge else 0
        return dim_sum([self.forward.elementwise(x), self.backward.elementwise(x), merged])


@register
@rule
class Model(Layer):
    """A model as one layer, for TimeDistributed's `layer` (Keras' TimeDistributed(a Sequential or Functional
    model)): `{type: Model, layers: [...], output: name}`.  Each layer takes the one before it (the first: the
    model's one input, named `input`), or its `inputs:`, names of the layers before it (`lstm:1`: an output).

    output: the output layer's (default: the last layer's)
    params: its layers' (each its own trainable key)
    MACs:   its layers' sum
    """

    layers: LayerConfigs
    output: str | None = None

    @cached_property
    def steps(self) -> Tuple[Tuple[str, Tuple[str, ...], Wrapped], ...]:
        """(name, input references, rule) of each layer, in order."""
        configs = self.layers if isinstance(self.layers, tuple) else (self.layers,)
        steps: List[Tuple[str, Tuple[str, ...], Wrapped]] = []
        known = ["input"]
        for index, config in enumerate(configs):
            argument = f"layers[{index}]"
            inputs = config.get("inputs", known[-1])
            references = (inputs,) if isinstance(inputs, str) else tuple(inputs) if isinstance(inputs, list) else None
            if not references or not all(isinstance(reference, str) for reference in references):
                raise SpecError(f"{argument}: 'inputs' must name layers before it (or 'input'), found "
                                f"{describe(inputs)}", argument="layers")
            for reference in references:
                if _output_name(reference)[0] not in known:
                    raise SpecError(f"{argument}: unknown input '{reference}'{closest(reference, known)}; a layer "
                                    f"takes 'input' or the layers before it ({', '.join(known)})", argument="layers")
            wrapped = Wrapped.build({key: value for key, value in config.items() if key != "inputs"}, argument)
            most = wrapped.rule.max_inputs
            if len(references) < wrapped.rule.min_inputs or most is not None and len(references) > most:
                raise SpecError(f"{wrapped.label}: takes {wrapped.rule.min_inputs}{' or more' if most is None else ''} "
                                f"input{'s' if most != 1 else ''}, found {len(references)}", argument="layers")
            name = config.get("name") if isinstance(config.get("name"), str) else f"layer_{index}"
            if name in known:
                raise SpecError(f"{argument}: the name '{name}' is taken (by the model's input or a layer before it)",
                                argument="layers")
            steps.append((name, references, wrapped))
            known.append(name)
        if not steps:
            raise SpecError("a Model needs at least one layer", argument="layers")
        if self.output is not None and _output_name(self.output)[0] not in known[1:]:
            raise SpecError(f"unknown output '{self.output}'{closest(self.output, known[1:])}", argument="output")
        return tuple(steps)

    def validate(self) -> None:
        self.steps  # noqa: B018 - build the layers now, so their errors are spec errors

    def run(self, x: Shape) -> Tuple[List[Tuple[str, Wrapped, Any]], Any]:
        """([(name, rule, its input) for each layer], the model's output)."""
        outputs: dict = {"input": x}
        runs = []
        for name, references, wrapped in self.steps:
            shapes = [_output_of(outputs, reference) for reference in references]
            with inside(wrapped.argument, wrapped.label):
                given = wrapped.rule.rule_input(shapes)
            outputs[name] = wrapped.output_shape(given)
            runs.append((name, wrapped, given))
        return runs, _output_of(outputs, self.output or self.steps[-1][0])

    def output_shape(self, x: Shape) -> Any:
        return self.run(x)[1]

    def weights(self, x: Shape) -> List[Weight]:
        return [weight for name, wrapped, given in self.run(x)[0] for weight in wrapped.weights(given, f"{name}/")]

    def macs(self, x: Shape, y: Any) -> Dim:
        return dim_sum([wrapped.macs(given) for _, wrapped, given in self.run(x)[0]])

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        return dim_sum([wrapped.bias_adds(given) for _, wrapped, given in self.run(x)[0]])

    def elementwise(self, x: Shape, y: Any) -> Dim:
        return dim_sum([wrapped.elementwise(given) for _, wrapped, given in self.run(x)[0]])


def _output_name(reference: str) -> Tuple[str, int]:
    """'lstm:1' -> ('lstm', 1); 'dense' -> ('dense', 0)."""
    name, colon, index = reference.rpartition(":")
    return (name, int(index)) if colon and index.isdigit() and name else (reference, 0)


def _output_of(outputs: dict, reference: str) -> Shape:
    """The shape a reference names: a layer's output, or its n-th output (`lstm:1`)."""
    name, index = _output_name(reference)
    shape = outputs[name]
    if isinstance(shape, list):
        if index >= len(shape):
            raise ShapeError(f"'{reference}': layer '{name}' has {len(shape)} outputs", argument="layers")
        return shape[index]
    if index:
        raise ShapeError(f"'{reference}': layer '{name}' has one output", argument="layers")
    return shape


@register
@rule
class TimeDistributed(Layer):
    """Applies one layer to every step of axis 1, each step seen as (batch, *rest).

    output: (batch, time, *inner output without its batch axis)
    params: the inner layer's (one set of weights shared by all steps)
    MACs:   time · the inner layer's MACs for one step
    """

    layer: LayerConfig

    @cached_property
    def inner(self) -> Wrapped:
        wrapped = Wrapped.build(self.layer, "layer")
        if wrapped.rule.min_inputs != 1:
            raise SpecError(f"TimeDistributed wraps a layer with one input, found {wrapped.type_name}",
                            argument="layer")
        return dataclasses.replace(wrapped, label=f"{wrapped.label} on each time step")

    def validate(self) -> None:
        self.inner  # build the wrapped rule now, so its errors are spec errors

    def step(self, x: Shape) -> Shape:
        if len(x) < 3:
            raise ShapeError(f"expected input of rank 3 or more (batch, time, ...), found rank {len(x)} "
                             f"{format_shape(x)}")
        return (x[0], *x[2:])

    def output_shape(self, x: Shape) -> Shape:
        y = self.inner.output_shape(self.step(x))
        if isinstance(y, list):
            raise ShapeError(f"layer ({self.inner.type_name}) gives {len(y)} outputs; TimeDistributed needs one",
                             argument="layer")
        return (y[0], x[1], *y[1:])

    def weights(self, x: Shape) -> List[Weight]:
        return self.inner.weights(self.step(x))

    def macs(self, x: Shape, y: Shape) -> Dim:
        return prod([x[1], self.inner.macs(self.step(x))])

    def bias_adds(self, x: Shape, y: Shape) -> Dim:
        return prod([x[1], self.inner.bias_adds(self.step(x))])

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([x[1], self.inner.elementwise(self.step(x))])

    def window(self, x: Shape) -> Optional[Tuple[Optional[Tap], ...]]:
        """The inner layer's window on each step; the time axis is kept as it is."""
        with inside(self.inner.argument, self.inner.label):
            taps = self.inner.rule.window(self.step(x))
        return taps if not taps else (taps[0], None, *taps[1:])
