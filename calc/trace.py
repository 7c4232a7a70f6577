"""Numbers that remember how they were computed: what `layercalc explain` reads a derivation from.

A traced value is an int (`TracedInt`) or a symbolic size (`TracedExpr`, an `Expr`) that a layer rule
computes with exactly as with the plain value: the same results, comparisons and errors.  It also holds
`how`: None for a given number (one of the layer's input sizes or arguments), else the operation that
produced it, (operator, left, right), whose operands are traced values or plain ints written in the
rule's code.  So running a rule's methods once more on traced inputs records the arithmetic the rule
did, and the derivation is read off the computation, never off a table of formulas.

    >>> size, kernel, stride = leaf(300), leaf(5), leaf(1)
    >>> out = (size - kernel) // stride + 1
    >>> out, out.how[0], out.how[1].how[0]
    (296, '+', '//')

Identities with a constant of the rule's code (the 1 a product starts from, the 0 of a sum) are not
steps: `1 * x` is x itself.
"""

from __future__ import annotations

import operator
from typing import Any, Optional, Tuple

from .symbolic import Expr

OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod}
# (operator, which side the constant is on) -> the constant that leaves the other operand as it is
IDENTITIES = {("+", "left"): 0, ("+", "right"): 0, ("-", "right"): 0, ("*", "left"): 1, ("*", "right"): 1,
              ("//", "right"): 1}

How = Optional[Tuple[str, Any, Any]]


class Traced:
    """What both traced types share: the arithmetic that records itself."""

    how: How = None

    def __add__(self, other):
        return apply("+", self, other)

    def __radd__(self, other):
        return apply("+", other, self)

    def __sub__(self, other):
        return apply("-", self, other)

    def __rsub__(self, other):
        return apply("-", other, self)

    def __mul__(self, other):
        return apply("*", self, other)

    def __rmul__(self, other):
        return apply("*", other, self)

    def __floordiv__(self, other):
        return apply("//", self, other)

    def __rfloordiv__(self, other):
        return apply("//", other, self)

    def __mod__(self, other):
        return apply("%", self, other)

    def __rmod__(self, other):
        return apply("%", other, self)

    def __neg__(self):
        return apply("-", 0, self)


class TracedInt(Traced, int):
    """An int that remembers how it was computed."""

    def __new__(cls, value: int, how: How = None) -> "TracedInt":
        number = int.__new__(cls, value)
        number.how = how
        return number


class TracedExpr(Traced, Expr):
    """A symbolic size that remembers how it was computed."""

    __slots__ = ("how",)

    def __init__(self, value: Expr, how: How = None) -> None:
        super().__init__(value.terms, value.assumptions)
        self.factors = value.factors
        self.how = how


def leaf(value: Any) -> Any:
    """A given number (an input size, an argument) as a traced value; None, bools and others as they are."""
    return traced(value, None)


def traced(value: Any, how: How) -> Any:
    if isinstance(value, Traced) and how is None:
        return value
    if type(value) is int or isinstance(value, TracedInt):
        return TracedInt(value, how)
    if isinstance(value, Expr):
        return TracedExpr(value, how)
    return value  # a float, a Fraction, None: not a size


def plain(value: Any) -> Any:
    """The value without its history: what the arithmetic itself runs on."""
    if isinstance(value, TracedInt):
        return int(value)
    if isinstance(value, TracedExpr):
        copy = Expr(value.terms, value.assumptions)
        copy.factors = value.factors
        return copy
    return value


def apply(symbol: str, left: Any, right: Any) -> Any:
    """left SYMBOL right, computed on the plain values and recorded; an identity with a constant of the
    rule's code (x + 0, 1 * x) gives the traced operand itself."""
    result = OPERATIONS[symbol](plain(left), plain(right))
    for side, constant, other in (("left", left, right), ("right", right, left)):
        if not isinstance(constant, Traced) and type(constant) is int and IDENTITIES.get((symbol, side)) == constant:
            return other
    return traced(result, (symbol, left, right))
