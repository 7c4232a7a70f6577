"""Core layers: Dense, EinsumDense, Embedding, ReversibleEmbedding, Activation, Identity, Masking."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

from ..dims import Dim, Shape, dim_sum, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import NonNegativeInt, PartialShape, PositiveInt, activation_field, renamed
from .base import PASS_THROUGH, SOFTMAXES, WHOLE, Layer, Tap, Weight, elements, rule
from .registry import register


def known_last_axis(x: Shape, what: str) -> int:
    if len(x) < 2:
        raise ShapeError(f"{what} needs an input of rank 2 or more, found {format_shape(x)}")
    if x[-1] is None:
        raise ShapeError(f"{what} needs a known last axis, found None in {format_shape(x)}")
    return x[-1]


@register
@rule
class Dense(Layer):
    """Fully connected layer on the last axis.

    output: (*x[:-1], units)
    params: kernel in·units + bias units (use_bias); with lora_rank r the
            kernel is frozen and A (in, r), B (r, units) are trainable
    MACs:   rows·in·units, rows = product of the axes between batch and last
            (+ rows·r·(in + units) for LoRA)
    """

    units: PositiveInt
    activation: str | None = activation_field()
    use_bias: bool = True
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    kernel_regularizer: Any = None
    bias_regularizer: Any = None
    kernel_constraint: Any = None
    bias_constraint: Any = None
    lora_rank: NonNegativeInt | None = None  # 0 or null: no LoRA
    lora_alpha: Any = None

    def validate(self) -> None:
        refuse_lora_with_constraint(self)

    def output_shape(self, x: Shape) -> Shape:
        known_last_axis(x, "Dense")
        return (*x[:-1], self.units)

    def weights(self, x: Shape) -> List[Weight]:
        in_features = known_last_axis(x, "Dense")
        weights = [Weight("kernel", (in_features, self.units), trainable=not self.lora_rank)]
        if self.use_bias:
            weights.append(Weight("bias", (self.units,)))
        if self.lora_rank:
            weights += [
                Weight("lora_kernel_a", (in_features, self.lora_rank)),
                Weight("lora_kernel_b", (self.lora_rank, self.units)),
            ]
        return weights

    def macs(self, x: Shape, y: Shape) -> Dim:
        in_features = known_last_axis(x, "Dense")
        per_row = in_features * self.units
        if self.lora_rank:
            per_row = per_row + self.lora_rank * (in_features + self.units)
        return prod([*x[1:-1], per_row])

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return (None,) * (len(x) - 1) + (WHOLE,)  # each position on its own, every feature of it


def refuse_lora_with_constraint(layer: Any) -> None:
    if layer.lora_rank and layer.kernel_constraint is not None:
        raise SpecError("lora_rank cannot be combined with a kernel_constraint (Keras refuses it)", argument="lora_rank")


# The three equation forms Keras accepts, with "..." written as "0" (as Keras does), and
# where the ellipsis stands: "" (none), "left" (...b,bc->...c) or "right" (ab...,bc->ac...).
EINSUM_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), ""),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0"), "right"),
)


def parse_einsum(equation: str) -> Tuple[str, str, str, str]:
    """(input letters, kernel letters, output letters, ellipsis side) of an EinsumDense equation.

    >>> parse_einsum("...b,bc->...c")
    ('b', 'bc', 'c', 'left')
    """
    text = equation.replace("...", "0")
    for pattern, ellipsis in EINSUM_FORMS:
        match = pattern.fullmatch(text)
        if match:
            inputs, kernel, outputs = match.groups()
            for side, letters in (("input", inputs), ("output", outputs)):
                repeated = [letter for letter in letters if letters.count(letter) > 1]
                if repeated:
                    raise SpecError(f"letter '{repeated[0]}' appears twice in the {side} '{letters}' of equation "
                                    f"'{equation}'", argument="equation")
            return inputs, kernel, outputs, ellipsis
    raise SpecError(f"equation '{equation}' must have the form ab,bc->ac, ...b,bc->...c or ab...,bc->ac... "
                    "(letters only)", argument="equation")


class Einsum(NamedTuple):
    """What an EinsumDense equation makes of one input shape."""

    output: Shape
    kernel: Shape
    bias: Optional[Shape]
    sizes: Dict[str, Dim]  # every letter's size, the batch letter left out
    ellipsis: Shape  # the axes "..." stands for, batch left out

    def count(self, letters: Iterable[str]) -> Dim:
        """Per-example product of these letters' sizes and the ellipsis axes."""
        return prod([*(self.sizes[letter] for letter in set(letters) if letter in self.sizes), *self.ellipsis])


def analyze_einsum(equation: str, partial: Tuple[Dim, ...], bias_axes: Optional[str], x: Shape) -> Einsum:
    """Keras' _analyze_einsum_string: output, kernel and bias shapes of `equation` on input `x`.

    `partial` is output_shape without the batch axis; its nulls stay unknown in the
    output, as Keras leaves them.  Refuses what Keras builds but cannot run.

    >>> analyze_einsum("abc,cde->abde", (None, 4, 8), "de", (None, 10, 16))[:3]
    ((None, None, 4, 8), (16, 4, 8), (4, 8))
    """
    inputs, kernel_letters, outputs, ellipsis = parse_einsum(equation)
    elided = len(x) - len(inputs)
    if elided < 0 or (elided and not ellipsis):
        raise ShapeError(f"equation '{equation}' needs an input of rank {len(inputs)}{' or more' if ellipsis else ''}, "
                         f"found rank {len(x)} {format_shape(x)}")
    output = [x[0], *partial]
    if ellipsis == "left":
        output[1:1] = reversed(x[1:elided])  # Keras inserts them one by one at position 1
    else:
        output += x[len(inputs):]
    einsum_rank = len(outputs) + (elided if ellipsis else 0)
    if len(output) != einsum_rank:
        needed = len(partial) + einsum_rank - len(output)
        raise SpecError(f"output_shape {format_shape(partial)} has {len(partial)} axes; equation '{equation}' on "
                        f"input {format_shape(x)} makes {needed} (batch and ellipsis axes left out)",
                        argument="output_shape")
    shift = elided if ellipsis == "left" else 0
    if not shift and outputs[0] != inputs[0]:  # Keras puts the batch size first whatever the letter there
        raise SpecError(f"equation '{equation}' must keep the batch axis '{inputs[0]}' first in its output "
                        f"'{outputs}'", argument="equation")
    in_axis = {letter: index + shift for index, letter in enumerate(inputs)}
    out_axis = {letter: index + shift for index, letter in enumerate(outputs)}
    for letter in inputs:
        given, actual = output[out_axis[letter]] if letter in out_axis else None, x[in_axis[letter]]
        if given is not None and given != actual:
            raise ShapeError(f"output_shape gives {given} for axis '{letter}', which the input has as {actual}",
                             argument="output_shape")
    for letter in outputs:
        if letter not in inputs and letter not in kernel_letters:
            raise SpecError(f"output letter '{letter}' of equation '{equation}' is in neither the input "
                            f"'{inputs}' nor the kernel '{kernel_letters}'", argument="equation")
    kernel = []
    for letter in kernel_letters:
        if letter not in out_axis and letter not in in_axis:
            raise SpecError(f"kernel letter '{letter}' of equation '{equation}' is in neither the input "
                            f"'{inputs}' nor the output '{outputs}'", argument="equation")
        kernel.append(output[out_axis[letter]] if letter in out_axis else x[in_axis[letter]])
    bias = None
    if bias_axes is not None:
        if not bias_axes:
            raise SpecError("bias_axes must name at least one output letter, found ''", argument="bias_axes")
        stray = [letter for letter in bias_axes if letter not in outputs]
        if stray:
            raise SpecError(f"bias axis '{stray[0]}' is not an output letter of equation '{equation}'",
                            argument="bias_axes")
        first = min(outputs.index(letter) for letter in bias_axes)
        bias = [output[index + shift] if letter in bias_axes else 1 for index, letter in enumerate(outputs)][first:]
        if ellipsis == "right":
            bias += [1] * elided
    for name, shape, argument in (("kernel", kernel, "output_shape"), ("bias", bias, "bias_axes")):
        if shape is not None and any(dim is None for dim in shape):
            raise ShapeError(f"the {name} would have shape {format_shape(tuple(shape))}: every axis of a weight "
                             "must be known (from output_shape or the input)", argument=argument)
    sizes = {letter: x[axis] for letter, axis in in_axis.items()}
    for letter, size in zip(kernel_letters, kernel):
        sizes.setdefault(letter, size)
    if not shift:
        del sizes[inputs[0]]  # the batch axis
    extra = x[1:elided] if ellipsis == "left" else x[len(inputs):]
    return Einsum(tuple(output), tuple(kernel), None if bias is None else tuple(bias), sizes, tuple(extra))


@register
@rule
class EinsumDense(Layer):
    """A dense layer as an einsum "input,kernel->output", e.g. "abc,cd->abd".

    output: (batch, *output_shape) and the axes "..." stands for; as in
            Keras, nulls in output_shape stay unknown, and "...x" lists the
            ellipsis axes in reverse order
    params: kernel (each kernel letter's size, from output_shape or the
            input) + bias over bias_axes (1 on the other output axes from
            the first bias axis on); with lora_rank r the kernel is frozen,
            A (kernel[:-1], r) and B (r, kernel[-1]) are trainable
    MACs:   product of the sizes of every letter and "..." axis, batch
            excluded (output elements · contracted sizes); LoRA adds
            r·(that product without the kernel's last letter l + the
            product over the side, output or input, that holds l)
    """

    equation: str
    output_shape_: PartialShape = renamed("output_shape")
    activation: str | None = activation_field()
    bias_axes: str | None = None
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    kernel_regularizer: Any = None
    bias_regularizer: Any = None
    kernel_constraint: Any = None
    bias_constraint: Any = None
    lora_rank: NonNegativeInt | None = None  # 0 or null: no LoRA
    lora_alpha: Any = None
    gptq_unpacked_column_size: Any = None
    quantization_config: Any = None

    def validate(self) -> None:
        parse_einsum(self.equation)
        refuse_lora_with_constraint(self)

    @cached_property
    def partial(self) -> Tuple[Dim, ...]:
        value = self.output_shape_
        return (value,) if isinstance(value, int) else tuple(value)

    def analyze(self, x: Shape) -> Einsum:
        return analyze_einsum(self.equation, self.partial, self.bias_axes, x)

    def output_shape(self, x: Shape) -> Shape:
        return self.analyze(x).output

    def weights(self, x: Shape) -> List[Weight]:
        einsum = self.analyze(x)
        weights = [Weight("kernel", einsum.kernel, trainable=not self.lora_rank)]
        if einsum.bias is not None:
            weights.append(Weight("bias", einsum.bias))
        if self.lora_rank:
            weights += [
                Weight("lora_kernel_a", (*einsum.kernel[:-1], self.lora_rank)),
                Weight("lora_kernel_b", (self.lora_rank, einsum.kernel[-1])),
            ]
        return weights

    def macs(self, x: Shape, y: Shape) -> Dim:
        einsum = self.analyze(x)
        inputs, kernel_letters, outputs, _ = parse_einsum(self.equation)
        letters = set(inputs + kernel_letters + outputs)
        total = einsum.count(letters)
        if self.lora_rank:
            last = kernel_letters[-1]
            side = outputs if last in outputs else inputs
            lora = dim_sum([einsum.count(letters - {last}), einsum.count(side)])
            total = dim_sum([total, prod([self.lora_rank, lora])])
        return total


@register
@rule
class Embedding(Layer):
    """Looks up a vector of output_dim numbers for each integer id.

    output: (*x, output_dim)
    params: embeddings input_dim·output_dim; with lora_rank r the embeddings
            are frozen and A (input_dim, r), B (r, output_dim) are trainable
    MACs:   0 (a lookup; with LoRA, Keras forms A·B once per call, not per example)
    """

    input_dim: PositiveInt
    output_dim: PositiveInt
    embeddings_initializer: Any = "uniform"
    embeddings_regularizer: Any = None
    embeddings_constraint: Any = None
    mask_zero: Any = False
    lora_rank: NonNegativeInt | None = None  # 0 or null: no LoRA
    lora_alpha: Any = None
    quantization_config: Any = None
    input_length: Any = None  # deprecated: Keras 3 warns and ignores it

    def validate(self) -> None:
        if self.lora_rank and self.embeddings_constraint is not None:
            raise SpecError("lora_rank cannot be combined with embeddings_constraint (Keras refuses it)",
                            argument="lora_rank")

    def output_shape(self, x: Shape) -> Shape:
        return (*x, self.output_dim)

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH  # each id on its own: a Conv1D over the vectors sees as many ids as positions

    def weights(self, x: Shape) -> List[Weight]:
        weights = [Weight("embeddings", (self.input_dim, self.output_dim), trainable=not self.lora_rank)]
        if self.lora_rank:
            weights += [
                Weight("lora_embeddings_a", (self.input_dim, self.lora_rank)),
                Weight("lora_embeddings_b", (self.lora_rank, self.output_dim)),
            ]
        return weights


@register
@rule
class ReversibleEmbedding(Embedding):
    """An Embedding that can also project vectors back to input_dim logits.

    output: (*x, output_dim); its reverse call, a later call with
            reverse: true ({call: embed, reverse: true}), gives logits
            (*x[:-1], input_dim)
    params: embeddings input_dim·output_dim (+ LoRA's A, B as Embedding's);
            tie_weights false adds reverse_embeddings output_dim·input_dim
            for the reverse call (counted once, on the layer's row)
    MACs:   0 (a lookup); the reverse call x·Eᵀ: rows·output_dim·input_dim
    """

    call_arguments = ("reverse",)

    tie_weights: bool = True
    reverse_dtype: Any = None
    logit_soft_cap: Any = None

    def validate(self) -> None:
        super().validate()
        if self.lora_rank and not self.tie_weights:
            raise SpecError("lora_rank cannot be combined with tie_weights: false (Keras 3.15.1 fails to build it: "
                            "enabling LoRA locks the layer before the reverse_embeddings are added)",
                            argument="lora_rank")

    def weights(self, x: Shape) -> List[Weight]:
        reverse = [] if self.tie_weights else [Weight("reverse_embeddings", (self.output_dim, self.input_dim))]
        return super().weights(x) + reverse

    def for_call(self, arguments: Dict[str, Any]) -> Layer:
        reverse = arguments["reverse"]
        if not isinstance(reverse, bool):
            raise SpecError(f"reverse must be true or false, found {reverse!r}", argument="reverse")
        return ReverseEmbeddingCall(layer=self) if reverse else self


@rule
class ReverseEmbeddingCall(Layer):
    """ReversibleEmbedding.call(x, reverse=True): logits x·Eᵀ with the layer's embeddings (its
    reverse_embeddings when tie_weights is false), soft-capped as cap·tanh(logits / cap) when
    logit_soft_cap is set. Not a layer type: the rule of such a call, with the called layer's weights."""

    layer: ReversibleEmbedding

    def output_shape(self, x: Shape) -> Shape:
        width = known_last_axis(x, "ReversibleEmbedding's reverse call")
        if width != self.layer.output_dim:
            raise ShapeError(f"the reverse call needs vectors of output_dim {self.layer.output_dim}, found last axis "
                             f"{width} in input {format_shape(x)}")
        return (*x[:-1], self.layer.input_dim)

    def weights(self, x: Shape) -> List[Weight]:
        return self.layer.weights(x)  # the layer's own: a call adds none

    def macs(self, x: Shape, y: Shape) -> Dim:
        return prod([*x[1:-1], self.layer.output_dim * self.layer.input_dim])

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([3, elements(y)]) if self.layer.logit_soft_cap is not None else 0  # divide, tanh, multiply

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return (None,) * (len(x) - 1) + (WHOLE,)


@register
@rule
class Activation(Layer):
    """Applies an activation function elementwise.

    output: x;  params: 0;  MACs: 0 (elementwise, no multiply-accumulate)
    """

    activation: str | None = activation_field(required=True)

    def output_shape(self, x: Shape) -> Shape:
        return x

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        if self.activation in SOFTMAXES:  # they read the whole last axis
            return (None,) * (len(x) - 1) + (WHOLE,)
        return PASS_THROUGH


@register
@rule
class Identity(Layer):
    """Returns its input unchanged.

    output: x;  params: 0;  MACs: 0
    """

    def output_shape(self, x: Shape) -> Shape:
        return x

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@register
@rule
class Masking(Layer):
    """Zeroes the steps whose features all equal mask_value, and masks them for the layers after it.

    output: x;  params: 0;  MACs: 0
    """

    mask_value: Any = 0.0

    def output_shape(self, x: Shape) -> Shape:
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        """Per element: its comparison with mask_value, the any() over the last axis, the select (ops.where)."""
        return prod([3, elements(x)])

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        if len(x) < 2:
            return None  # any() over the batch axis itself
        return (None,) * (len(x) - 1) + (WHOLE,)  # a step's features decide together
