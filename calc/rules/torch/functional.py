"""The torch functions models write inline in forward(): add, mul (elementwise, broadcast), cat and stack
(along dim), flatten (torch.flatten: start_dim 0 unless given), adaptive_avg_pool2d (torch.nn.functional),
reshape (view), permute, transpose, matmul, mean and sum (over dims), chunk and split (several outputs),
select (`x[:, 0]`), and Parameter: a learned tensor that forward() adds, multiplies or concatenates.
Every dim counts the batch as axis 0, as torch does.  Their type is the function's name, lowercase, as
written in Python; the merge arithmetic is the Keras merge rules'."""

from __future__ import annotations

import builtins
from dataclasses import field
from typing import Any, List, Tuple

from ...dims import Dim, Shape, format_shape, prod
from ...errors import ShapeError, SpecError
from ..arguments import Axis, PositiveInt, Size, TargetShape, choices
from ..base import PASS_THROUGH, Weight, elements, rearranging, rule
from ..merge import Concatenate, Elementwise
from ..registry import register
from .activation import dim_position
from .base import Module, torch_shape
from .pooling import AdaptiveAvgPool2d
from .reshaping import Flatten


@register
@rule
class add(Elementwise, Module):  # noqa: N801 - torch.add
    """input + other (torch.add; `x + y` in forward), broadcast.

    output: the broadcast shape;  params: 0;  MACs: 0 (one addition per output element)
    """

    max_inputs = 2


@register
@rule
class mul(Elementwise, Module):  # noqa: N801 - torch.mul
    """input · other (torch.mul; `x * y` in forward), broadcast.

    output: the broadcast shape;  params: 0;  MACs: 0 (one multiplication per output element)
    """

    max_inputs = 2


@register
@rule
class cat(Module):  # noqa: N801 - torch.cat
    """Joins its inputs along `dim` (torch.cat; the batch is dim 0, the default); every other axis must match.

    output: the first input's shape with dim = the sum of the inputs' sizes on it;  params: 0;  MACs: 0
    """

    min_inputs = 2
    max_inputs = None
    dim: int = 0

    def output_shape(self, x: Tuple[Shape, ...]) -> Shape:
        return Concatenate(axis=self.dim).output_shape(x)

    def window(self, x: Tuple[Shape, ...]) -> Any:
        return PASS_THROUGH


@register
@rule
class flatten(Flatten):  # noqa: N801 - torch.flatten
    """Flattens the axes start_dim..end_dim into one (torch.flatten: the batch is axis 0, and start_dim is 0
    unless given: models write torch.flatten(x, 1)).

    output: x with those axes as their product;  params: 0;  MACs: 0
    """

    start_dim: int = 0


@register
@rule
class adaptive_avg_pool2d(AdaptiveAvgPool2d):  # noqa: N801 - torch.nn.functional.adaptive_avg_pool2d
    """The function of AdaptiveAvgPool2d (torch.nn.functional.adaptive_avg_pool2d(x, output_size)), as
    MobileNetV2's forward() writes it.

    output: (N, C, *output_size);  params: 0;  MACs: 0
    """


def with_an_axis(shape: Shape) -> Shape:
    """A function's result, which must keep an axis: a scalar (torch.mean of every axis, a vector's dot
    product) is refused, since every later rule reads axes."""
    if not shape:
        raise ShapeError("the result would be a scalar, without an axis; layercalc keeps at least one axis")
    return shape


@register
@rule
class stack(Module):  # noqa: N801 - torch.stack
    """Stacks its inputs, all of one shape, along a new axis `dim` (the batch is axis 0, the default).

    output: the inputs' shape with an axis of size len(inputs) inserted at dim;  params: 0;  MACs: 0
    """

    min_inputs = 1
    max_inputs = None
    dim: int = 0

    def output_shape(self, x: Tuple[Shape, ...]) -> Shape:
        for other in x[1:]:
            if len(other) != len(x[0]) or any(None not in (a, b) and a != b for a, b in zip(x[0], other)):
                raise ShapeError(f"stack expects each input to be equal size, found {format_shape(x[0])} and "
                                 f"{format_shape(other)}")
        position = dim_position((*x[0], 1), self.dim)
        return (*x[0][:position], len(x), *x[0][position:])


@register
@rule
class reshape(Module):  # noqa: N801 - torch.reshape, Tensor.view
    """Reshapes to `shape`, the batch axis included, one -1 inferred (unknown when the batch is).

    output: shape;  params: 0;  MACs: 0
    """

    aliases = ("view",)
    shape: TargetShape

    def output_shape(self, x: Shape) -> Shape:
        target = list(self.shape)
        if target.count(-1) > 1:
            raise SpecError("only one dimension can be inferred (-1)", argument="shape")
        total = prod(x)
        known = prod(size for size in target if size != -1)
        if total is not None and (total % known if -1 in target else total != known):
            raise ShapeError(f"shape {target} is invalid for an input of size {total} {format_shape(x)}",
                             argument="shape")
        inferred_size = None if total is None else total // known
        return with_an_axis(tuple(inferred_size if size == -1 else size for size in target))

    def window(self, x: Shape) -> Any:
        return rearranging(x)


@register
@rule
class permute(Module):  # noqa: N801 - torch.permute, Tensor.permute
    """Reorders the axes as `dims` says (the batch is axis 0).

    output: (x[dims[0]], x[dims[1]], ...);  params: 0;  MACs: 0
    """

    dims: Axis

    def output_shape(self, x: Shape) -> Shape:
        dims = (self.dims,) if isinstance(self.dims, int) else tuple(self.dims)
        if len(dims) != len(x):
            raise ShapeError(f"the number of dims {len(dims)} does not match the input's {len(x)} axes "
                             f"{format_shape(x)}", argument="dims")
        positions = [dim_position(x, dim) for dim in dims]
        if len(set(positions)) != len(positions):
            raise ShapeError(f"dims {list(dims)} repeat an axis", argument="dims")
        return tuple(x[position] for position in positions)

    def window(self, x: Shape) -> Any:
        return rearranging(x)


@register
@rule
class transpose(Module):  # noqa: N801 - torch.transpose, Tensor.transpose
    """Swaps the axes dim0 and dim1 (the batch is axis 0).

    output: x with dim0 and dim1 swapped;  params: 0;  MACs: 0
    """

    dim0: int
    dim1: int

    def output_shape(self, x: Shape) -> Shape:
        first, second = dim_position(x, self.dim0), dim_position(x, self.dim1)
        swapped = list(x)
        swapped[first], swapped[second] = x[second], x[first]
        return tuple(swapped)

    def window(self, x: Shape) -> Any:
        return rearranging(x)


@register
@rule
class matmul(Module):  # noqa: N801 - torch.matmul, `a @ b`
    """The matrix product of two inputs (torch.matmul: the leading axes broadcast; a 1-D input is a vector).

    output: (*broadcast leading axes, n, p) for (..., n, m) @ (..., m, p)
    params: 0
    MACs:   output elements (batch excluded) · m
    """

    min_inputs = 2
    max_inputs = 2

    def output_shape(self, x: Tuple[Shape, Shape]) -> Shape:
        first, second = x
        if not first or not second:
            raise ShapeError("both arguments to matmul need to be at least 1D")
        left = first if len(first) > 1 else (1, *first)
        right = second if len(second) > 1 else (*second, 1)
        if None not in (left[-1], right[-2]) and left[-1] != right[-2]:
            raise ShapeError(f"shapes {format_shape(first)} and {format_shape(second)} cannot be multiplied "
                             f"({left[-1]} and {right[-2]})")
        leading = broadcast_all(left[:-2], right[:-2])
        return with_an_axis((*leading, *left[-2:-1] * (len(first) > 1), *right[-1:] * (len(second) > 1)))

    def macs(self, x: Tuple[Shape, Shape], y: Shape) -> Dim:
        inner = x[0][-1]
        return prod([*y[1:], inner]) if len(y) else inner


def broadcast_all(first: Shape, second: Shape) -> Shape:
    """torch's broadcasting of two shapes, every axis (the batch too): equal, 1, or unknown."""
    if len(first) < len(second):
        first, second = second, first
    second = (1,) * (len(first) - len(second)) + tuple(second)
    result = []
    for a, b in zip(first, second):
        if None not in (a, b) and a != b and 1 not in (a, b):
            raise ShapeError(f"the shapes {format_shape(first)} and {format_shape(second)} do not broadcast")
        result.append(b if a == 1 else a if b == 1 else None if None in (a, b) else a)
    return tuple(result)


@rule
class Reduction(Module):
    """Reduces the axes `dim` (null: every axis, the batch too; the batch is axis 0).

    output: x without those axes (keepdim: each of size 1);  params: 0;  MACs: 0 (one addition per element)
    """

    dim: Axis | None = None
    keepdim: bool = False

    def output_shape(self, x: Shape) -> Shape:
        dims = range(len(x)) if self.dim is None else (self.dim,) if isinstance(self.dim, int) else self.dim
        positions = {dim_position(x, dim) for dim in dims}
        if self.keepdim:
            return tuple(1 if index in positions else size for index, size in enumerate(x))
        return with_an_axis(tuple(size for index, size in enumerate(x) if index not in positions))

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return elements(x)


@register
@rule
class mean(Reduction):  # noqa: N801 - torch.mean
    __doc__ = Reduction.__doc__


@register
@rule
class sum(Reduction):  # noqa: N801 - torch.sum
    __doc__ = Reduction.__doc__


@rule
class Split(Module):
    """Splits the input along `dim` (the batch is axis 0, the default) into several outputs, name:0, name:1, ...

    output: one shape per piece;  params: 0;  MACs: 0
    """

    dim: int = 0

    def pieces(self, size: int) -> List[int]:
        raise NotImplementedError

    def output_shape(self, x: Shape) -> List[Shape]:
        position = dim_position(x, self.dim)
        size = x[position]
        if not isinstance(size, int):
            raise ShapeError(f"splitting axis {self.dim} needs its size, found {format_shape(x)}", argument="dim")
        return [(*x[:position], piece, *x[position + 1:]) for piece in self.pieces(size)]


@register
@rule
class chunk(Split):  # noqa: N801 - torch.chunk
    """`chunks` pieces of ceil(size / chunks) along `dim`, the last smaller (fewer pieces when they run out).

    output: one shape per piece (name:0, name:1, ...);  params: 0;  MACs: 0
    """

    chunks: PositiveInt

    def pieces(self, size: int) -> List[int]:
        step = -(-size // self.chunks)
        return [min(step, size - start) for start in range(0, size, step)] or [0]


@register
@rule
class split(Split):  # noqa: N801 - torch.split
    """Pieces of split_size_or_sections along `dim` (an int: pieces of that size, the last smaller; a list:
    those sizes, which must add up to the axis).

    output: one shape per piece (name:0, name:1, ...);  params: 0;  MACs: 0
    """

    split_size_or_sections: Size

    def pieces(self, size: int) -> List[int]:
        sections = self.split_size_or_sections
        if isinstance(sections, int):
            return [min(sections, size - start) for start in range(0, size, sections)]
        if builtins.sum(sections) != size:
            raise ShapeError(f"split_size_or_sections {list(sections)} must add up to the size {size} of axis "
                             f"{self.dim}", argument="split_size_or_sections")
        return list(sections)


@register
@rule
class select(Module):  # noqa: N801 - torch.select, `x[:, index]`
    """Picks position `index` of axis `dim` and drops that axis (torch.select; ViT's `x[:, 0]` is dim 1,
    index 0; the batch is axis 0).

    output: x without axis dim;  params: 0;  MACs: 0
    """

    dim: int
    index: int

    def output_shape(self, x: Shape) -> Shape:
        position = dim_position(x, self.dim)
        size = x[position]
        if size is not None and not -size <= self.index < size:
            raise ShapeError(f"select(): index {self.index} out of range for tensor of size {format_shape(x)} at "
                             f"dimension {self.dim}", argument="index")
        return with_an_axis(x[:position] + x[position + 1:])

    def window(self, x: Shape) -> Any:
        return rearranging(x)


@register
@rule
class Parameter(Module):
    """A learned tensor of `shape` (a torch.nn.Parameter) that forward() combines with its input, as `op` says:
    add (`x + tensor`: ViT's pos_embedding) and mul (`tensor * x`: ConvNeXt's layer_scale), broadcast, the
    batch axis included; cat (`torch.cat([tensor.expand(N, ...), x], dim)`: ViT's class_token), the tensor
    first, its axis 0 expanded over the batch.  Name the layer as the model names the parameter.

    output: the broadcast shape (add, mul); x with axis dim grown by the tensor's size on it (cat)
    params: prod(shape)
    MACs:   0 (add, mul: one operation per output element)
    """

    shape: TargetShape
    op: str = field(metadata=choices("add", "mul", "cat"))
    dim: int = 1

    def validate(self) -> None:
        if min(self.shape, default=0) < 1:
            raise SpecError(f"'shape' must be positive sizes, found {list(self.shape)}", argument="shape")

    def output_shape(self, x: Shape) -> Shape:
        if self.op != "cat":
            if len(self.shape) > len(x) or (len(self.shape) == len(x) and self.shape[0] != 1):
                raise ShapeError(f"a tensor of shape {list(self.shape)} would broadcast input {torch_shape(x)} "
                                 "over its batch (axis 0): its axes aligned with it must be 1", argument="shape")
            return broadcast_all(x, tuple(self.shape))
        position = dim_position(x, self.dim)
        if len(self.shape) != len(x) or position == 0 or self.shape[0] != 1 or any(
                None not in (a, b) and a != b for index, (a, b) in enumerate(zip(x, self.shape))
                if index not in (0, position)):
            raise ShapeError(f"cannot concatenate a tensor of shape {list(self.shape)}, expanded over the batch, "
                             f"with input {torch_shape(x)} on dim {self.dim}: the sizes must match but on dim "
                             f"{self.dim}, and axis 0 must be 1", argument="shape")
        return dim_sum_at(x, position, self.shape[position])

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight("weight", tuple(self.shape))]

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return 0 if self.op == "cat" else elements(y)

    def window(self, x: Shape) -> Any:
        return PASS_THROUGH


def dim_sum_at(x: Shape, position: int, extra: int) -> Shape:
    """x with `extra` positions more on axis `position` (unknown stays unknown)."""
    size = x[position]
    return (*x[:position], None if size is None else size + extra, *x[position + 1:])
