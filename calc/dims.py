"""Dimensions and the arithmetic every layer rule is written against.

A dimension (`Dim`) is an ``int``, ``None`` (unknown, Keras' None) or a
symbolic integer (calc.symbolic.Expr).  The formulas below use only
``+ - * //`` and comparisons, so they hold for all three.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence, Tuple

Dim = Optional[int]  # or a calc.symbolic.Expr when the spec has symbols
MAX_DIM = 2**62  # the largest size of an axis; an integer past it is a mistake, and arithmetic on it only costs time
Shape = Tuple[Dim, ...]


def check_size(shape: Shape, what: str) -> None:
    """Refuse an axis larger than MAX_DIM, or a symbolic one with a coefficient that large.

    >>> check_size((None, 2**63), "the output")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    calc.errors.ShapeError: the output has size 9,223,372,036,854,775,808 on axis 1, more than the limit of 2**62 (...)
    """
    for axis, dim in enumerate(shape):
        if dim is None or (type(dim) is int and dim <= MAX_DIM):
            continue
        largest = max(map(abs, dim.terms.values()), default=0) if hasattr(dim, "terms") else dim
        if largest is not None and largest > MAX_DIM:
            from .errors import ShapeError

            size = f"{dim:,}" if isinstance(dim, int) else f"'{dim}'"
            raise ShapeError(f"{what} has size {size} on axis {axis}, more than the limit of 2**62 ({MAX_DIM:,})")


def prod(dims: Iterable[Dim]) -> Dim:
    """Product of dimensions; unknown if any is unknown.

    >>> prod([3, 4, 5])
    60
    >>> prod([3, None]) is None
    True
    """
    result: Dim = 1
    for dim in dims:
        if dim is None:
            return None
        result = result * dim
    return result


def dim_sum(dims: Iterable[Dim]) -> Dim:
    """Sum of dimensions; unknown if any is unknown.

    >>> dim_sum([3, 4])
    7
    """
    result: Dim = 0
    for dim in dims:
        if dim is None:
            return None
        result = result + dim
    return result


def ceildiv(a: Dim, b: Dim) -> Dim:
    """Ceiling division that never goes through floats.

    >>> ceildiv(7, 2)
    4
    >>> ceildiv(None, 2) is None
    True
    """
    if a is None or b is None:
        return None
    return (a + b - 1) // b


def conv_out(size: Dim, kernel: int, stride: int, dilation: int, padding: str) -> Dim:
    """Output length of a convolution along one axis, as Keras 3 computes it.

    valid: floor((I - F') / S) + 1, F' = D*(F-1) + 1 the dilated kernel (F itself when D is 1, as
    `layercalc explain` shows it);  same and causal: ceil(I / S).

    >>> conv_out(300, 5, 1, 1, "valid")
    296
    >>> conv_out(300, 5, 1, 1, "same")
    300
    >>> conv_out(28, 3, 2, 1, "valid")
    13
    """
    if size is None:
        return None
    if padding == "valid":
        extent = kernel if dilation == 1 else dilation * (kernel - 1) + 1
        return (size - extent) // stride + 1
    return ceildiv(size, stride)


def conv_transpose_out(
    size: Dim, kernel: int, stride: int, dilation: int, padding: str, output_padding: Optional[int]
) -> Dim:
    """Output length of a transposed convolution along one axis, as Keras 3 computes it.

    With F' = D*(F-1) + 1 the dilated kernel:
    valid: (I-1)*S + F' + output_padding, or (I-1)*S + max(F', S) without one;
    same: (I-1)*S + F' % 2 + output_padding, or I*S without one.

    >>> conv_transpose_out(10, 3, 2, 1, "valid", None)
    21
    >>> conv_transpose_out(5, 2, 3, 1, "valid", None)
    15
    >>> conv_transpose_out(10, 3, 2, 1, "same", None)
    20
    >>> conv_transpose_out(5, 4, 2, 1, "same", 1)
    9
    >>> conv_transpose_out(None, 3, 2, 1, "same", 1) is None
    True
    """
    if size is None:
        return None
    dilated = kernel if dilation == 1 else dilation * (kernel - 1) + 1
    if padding == "valid":
        if output_padding is None:
            return (size - 1) * stride + max(dilated, stride)
        return (size - 1) * stride + dilated + output_padding
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + dilated % 2 + output_padding


def padding_before(size: Dim, window: int, stride: int, padding: str) -> Dim:
    """Zeros a convolution or pooling window sees before an axis' first position, as TensorFlow
    pads: valid 0; causal window - 1; same half (rounded down) of max((ceil(I/S) - 1)·S + F - I, 0),
    the extra zero going after.  `window` is the (dilated) extent F.  None when it depends on an
    unknown size.

    >>> padding_before(224, 3, 1, "same"), padding_before(224, 3, 2, "same"), padding_before(225, 3, 2, "same")
    (1, 0, 1)
    >>> padding_before(10, 3, 1, "causal"), padding_before(None, 3, 1, "same"), padding_before(7, 1, 3, "same")
    (2, 1, 0)
    """
    if padding == "valid":
        return 0
    if padding == "causal":
        return window - 1
    if stride == 1:
        return (window - 1) // 2
    if window >= stride:  # never negative, since (ceil(I/S) - 1)·S >= I - S; so symbols can stay
        return None if size is None else ((ceildiv(size, stride) - 1) * stride + window - size) // 2
    if not isinstance(size, int):
        return None
    return max((ceildiv(size, stride) - 1) * stride + window - size, 0) // 2


def pool_out(size: Dim, pool: int, stride: int, padding: str) -> Dim:
    """Output length of a pooling window along one axis, as Keras 3 computes it.

    >>> pool_out(296, 2, 2, "valid")
    148
    >>> pool_out(5, 2, 2, "same")
    3
    """
    return conv_out(size, pool, stride, 1, padding)  # a window of dilation 1


def standardize_tuple(value: int | Sequence[int], rank: int, name: str) -> Tuple[int, ...]:
    """An int or a list of `rank` ints, as a tuple of `rank` ints (Keras' rule).

    >>> standardize_tuple(3, 2, "kernel_size")
    (3, 3)
    >>> standardize_tuple([1, 2], 2, "strides")
    (1, 2)
    """
    if isinstance(value, int):
        return (value,) * rank
    values = tuple(value)
    if len(values) != rank:
        from .errors import SpecError

        raise SpecError(
            f"'{name}' must be an integer or a list of {rank} integers, "
            f"got a list of {len(values)}",
            argument=name,
        )
    return values


def format_dim(dim: Dim) -> str:
    """How a dimension reads in messages: ``None`` for unknown."""
    return "None" if dim is None else str(dim)


def format_shape(shape: Shape) -> str:
    """A shape as Keras prints it: ``(None, 28, 28, 1)``, ``(10,)``."""
    inner = ", ".join(format_dim(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
