"""What the torch families share: the base module rule, inferred arguments, the channels-first layout
and the window arithmetic of convolutions and pooling (torch's formulas, explicit padding)."""

from __future__ import annotations

from typing import Any, ClassVar, Optional, Tuple

from ...dims import Dim, Shape, format_shape, standardize_tuple
from ...errors import ShapeError, SpecError
from ..base import Layer, rule


@rule
class Module(Layer):
    """Base of the torch rules: every module takes device and dtype, which change no count."""

    ignored_arguments: ClassVar[Tuple[str, ...]] = ("device", "dtype")
    dtype_policy: ClassVar[bool] = False


def torch_shape(x: Shape) -> str:
    """A shape as torch prints it in messages: [None, 3, 8, 8] (the batch unknown)."""
    return "[" + ", ".join("None" if dim is None else str(dim) for dim in x) + "]"


def inferred(given: Optional[int], found: Dim, argument: str, x: Shape, what: str) -> Dim:
    """An argument the input determines: the input's size when omitted, else checked against it (torch
    raises a RuntimeError on the mismatch when run)."""
    if found is None and given is None:
        raise ShapeError(f"{argument} cannot be inferred from input {format_shape(x)}: its {what} is unknown; "
                         f"give {argument}", argument=argument)
    if given is not None and found is not None and given != found:
        raise ShapeError(f"{argument} is {given}, but input {torch_shape(x)} has {found} {what}", argument=argument)
    return given if given is not None else found


def expect_ranks(x: Shape, ranks: Tuple[int, ...], layout: str) -> None:
    """Refuse an input whose rank (batch included) is none of `ranks` (torch: "expected 4D input")."""
    if len(x) not in ranks:
        expected = " or ".join(f"{rank}D" for rank in ranks)
        raise ShapeError(f"expected {expected} input {layout}, found {len(x)}D input {format_shape(x)}")


def tuple_of(value: Any, rank: int, name: str) -> Tuple[int, ...]:
    """An int or a list of `rank` ints as `rank` ints (torch's _ntuple; a list of another length is
    refused, as torch refuses it when run)."""
    return standardize_tuple(value, rank, name)


def window_length(size: Dim, kernel: int, stride: int, dilation: int, padding: int, ceil_mode: bool = False) -> Dim:
    """Output length of a convolution or pooling window along one axis, torch's formula:
    floor((I + 2P - D·(K-1) - 1 + (S-1 if ceil_mode)) / S) + 1, one less when ceil_mode would start the last
    window in the right padding.

    >>> window_length(224, 7, 2, 1, 3), window_length(112, 3, 2, 1, 1), window_length(5, 2, 2, 1, 0, True)
    (112, 56, 3)
    """
    if size is None:
        return None
    out = (size + 2 * padding - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out = out - 1
    return out


def check_length(out: Dim, size: Dim, axis: int, what: str) -> None:
    if out is not None and out < 1:
        raise ShapeError(f"{what} is larger than the padded input {size} on axis {axis}: the output would be empty")


def positive(value: Tuple[int, ...], name: str) -> None:
    if min(value) < 1:
        raise SpecError(f"'{name}' must be positive, found {list(value)}", argument=name)
