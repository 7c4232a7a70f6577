"""Exact symbolic integer dimensions: `H - 4`, `(H + 1) // 2`, `16*H*W`.

Imported only when a spec has a symbol, so specs without symbols pay nothing
for it.  An `Expr` is a canonical polynomial over atoms — symbols and floor
divisions of expressions by positive integers — with integer coefficients, so
equal expressions compare equal and print the same.  It supports what layer
rules use: + - * // % with integers and expressions, and comparisons.  A
comparison that cannot be decided records the assumption that keeps the layer
valid (rules compare only to detect errors) in the `Assumptions` the value
carries — the analysis that owns them binds its input symbols to its own
`Assumptions` (`bind`), and every value computed from them carries it on — and
the report states them; anything that needs a concrete value (`int()`, `range`,
truth of an unknown remainder) raises a clear error instead of guessing.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, Optional, Tuple, Union

from .errors import Param, ShapeError

Monomial = Tuple[object, ...]  # sorted atoms (symbols are str, floor divisions are Floor); () is the constant


class SymbolicValueError(ShapeError):
    """A rule needed a concrete number where the dimension is symbolic."""


# Real models stay far below these (with symbolic H and W, Inception-v3: 147 terms and atoms; ResNet-50: floors
# 5 deep); past them arithmetic only grows slower (a product multiplies term counts) and printing recurses deeper.
# Atoms inside a floor's numerator count each time the floor is used, as printed: two pooled branches concatenated
# share their input, so counting each floor as one atom let a 22-fold repeat print 1.27 GB.
MAX_EXPRESSION_SIZE = 1_000  # terms and atoms, those inside floor divisions' numerators included
MAX_FLOOR_DEPTH = 50  # floor divisions inside each other


@dataclass(frozen=True)
class Floor:
    """numerator // denominator, kept as an atom when it does not simplify."""

    numerator: "Expr"
    denominator: int

    def __str__(self) -> str:
        return self._text

    @cached_property  # terms are sorted by their text: uncached, nested floors would print 2**depth times
    def _text(self) -> str:
        text = str(self.numerator)
        if len(self.numerator.terms) > 1:
            text = f"({text})"
        return f"{text} // {self.denominator}"


class Assumptions:
    """The conditions one analysis had to assume to keep its layers valid, each once, in the order met, as
    (left side, operator, bound) such as ('H', '>=', 5).  Closed when the analysis has reported them:
    a comparison the symbols decide is then refused, since no report would state what it assumed."""

    __slots__ = ("conditions", "closed")

    def __init__(self) -> None:
        self.conditions: Dict[Tuple[str, str, int], None] = {}  # ordered, each once
        self.closed = False

    def add(self, condition: Tuple[str, str, int]) -> None:
        self.conditions[condition] = None

    def close(self) -> Tuple[str, ...]:
        """The conditions, as the report states them; no more are taken after this."""
        self.closed = True
        return summarize(self.conditions)


def bind(value, assumptions: Assumptions):
    """`value` (an int, None or an Expr) carrying `assumptions`: comparisons on it and on everything
    computed from it record there what they assume."""
    if not isinstance(value, Expr):
        return value
    bound = Expr(value.terms, assumptions)
    bound.factors = value.factors
    return bound


def rebind(value, assumptions: Assumptions):
    """`value` carrying `assumptions` through and through: the numerators of its floor divisions too, which
    arithmetic on them reaches (bind() sets only the value's own, all an analysis binds its inputs with)."""
    if not isinstance(value, Expr):
        return value
    terms = {tuple(Floor(rebind(atom.numerator, assumptions), atom.denominator) if isinstance(atom, Floor) else atom
                   for atom in monomial): coefficient for monomial, coefficient in value.terms.items()}
    bound = Expr(terms, assumptions)
    bound.factors = value.factors and (value.factors[0], tuple(rebind(part, assumptions)
                                                               for part in value.factors[1]))
    return bound


def _key(atom: object) -> Tuple[int, str]:
    return (0, atom) if isinstance(atom, str) else (1, str(atom))


class Expr:
    """A symbolic integer: a sum of coefficient × monomial."""

    __slots__ = ("terms", "_hash", "factors", "size", "depth", "assumptions")

    def __init__(self, terms: Dict[Monomial, int], assumptions: Optional[Assumptions] = None) -> None:
        self.assumptions = assumptions  # where comparisons record what they assume (equality ignores it)
        self.terms = {monomial: coefficient for monomial, coefficient in terms.items() if coefficient}
        self._hash = hash(frozenset(self.terms.items()))
        floors = [atom.numerator for monomial in self.terms for atom in monomial if isinstance(atom, Floor)]
        # Counted as printed: a floor division is its atom and everything in its numerator, once per use.
        self.size = len(self.terms) + sum(map(len, self.terms)) + sum(floor.size for floor in floors)
        self.depth = max((floor.depth + 1 for floor in floors), default=0)
        if self.size > MAX_EXPRESSION_SIZE:
            raise _too_large([self], f"has {self.size:,} terms and atoms, more than the limit of "
                                     f"{MAX_EXPRESSION_SIZE:,}")
        if self.depth > MAX_FLOOR_DEPTH:
            raise _too_large([self], f"nests floor divisions {self.depth} deep, more than the limit of "
                                     f"{MAX_FLOOR_DEPTH}")
        # How it was built, when it is a product: (coefficient, factors), to print 1200*(H - 4)*(W - 4)
        # rather than the expanded 1200*H*W - 4800*H - 4800*W + 19200. Equality ignores it.
        self.factors: Optional[Tuple[int, Tuple["Expr", ...]]] = None

    @staticmethod
    def symbol(name: str) -> "Expr":
        return Expr({(name,): 1})

    @staticmethod
    def make(terms: Dict[Monomial, int], assumptions: Optional[Assumptions] = None) -> "Union[Expr, int]":
        """An Expr, or a plain int when no symbol is left."""
        expr = Expr(terms, assumptions)
        if not expr.terms:
            return 0
        if set(expr.terms) == {()}:
            return expr.terms[()]
        return expr

    @property
    def constant(self) -> int:
        return self.terms.get((), 0)

    def symbols(self) -> set:
        found = set()
        for monomial in self.terms:
            for atom in monomial:
                found |= {atom} if isinstance(atom, str) else atom.numerator.symbols()
        return found

    def evaluate(self, values: Dict[str, int]) -> int:
        """The value for concrete symbols (all of them must be given)."""
        total = 0
        for monomial, coefficient in self.terms.items():
            term = coefficient
            for atom in monomial:
                term *= values[atom] if isinstance(atom, str) else atom.numerator.evaluate(values) // atom.denominator
            total += term
        return total

    # -- arithmetic ---------------------------------------------------------------------
    def __add__(self, other):
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        terms = dict(self.terms)
        for monomial, coefficient in other.terms.items():
            terms[monomial] = terms.get(monomial, 0) + coefficient
        return Expr.make(terms, other.assumptions if self.assumptions is None else self.assumptions)

    __radd__ = __add__

    def __neg__(self):
        return Expr.make({monomial: -coefficient for monomial, coefficient in self.terms.items()}, self.assumptions)

    def __sub__(self, other):
        other = _lift(other)
        return NotImplemented if other is NotImplemented else self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        factored = _factored(self, other)
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        if len(self.terms) * len(other.terms) > 10 * MAX_EXPRESSION_SIZE:
            raise _too_large([self, other], f"would have up to {len(self.terms) * len(other.terms):,} terms, more "
                                            f"than the limit of {MAX_EXPRESSION_SIZE:,}")
        terms: Dict[Monomial, int] = {}
        for left, a in self.terms.items():
            for right, b in other.terms.items():
                monomial = tuple(sorted(left + right, key=_key))
                terms[monomial] = terms.get(monomial, 0) + a * b
        product = Expr.make(terms, other.assumptions if self.assumptions is None else self.assumptions)
        if isinstance(product, Expr):
            product.factors = factored
        return product

    __rmul__ = __mul__

    def __floordiv__(self, other):
        if isinstance(other, Expr):
            raise SymbolicValueError(f"cannot divide by the symbolic value '{other}'")
        if not isinstance(other, int) or isinstance(other, bool):
            return NotImplemented
        if other <= 0:
            raise SymbolicValueError(f"cannot divide '{self}' by {other}")
        if other == 1:
            return self
        # (d·q + r) // d = q + r // d, with every coefficient of r in [0, d)
        quotient = {monomial: coefficient // other for monomial, coefficient in self.terms.items()}
        remainder = {monomial: coefficient % other for monomial, coefficient in self.terms.items()}
        assumptions = self.assumptions
        rest = Expr.make(remainder, assumptions)
        if isinstance(rest, int):
            return Expr.make(quotient, assumptions) + rest // other
        symbolic = [(monomial, coefficient) for monomial, coefficient in rest.terms.items() if monomial]
        if len(symbolic) == 1:
            (monomial, coefficient), = symbolic
            if coefficient == 1 and len(monomial) == 1 and isinstance(monomial[0], Floor):
                inner = monomial[0]  # (n // a + c) // b == (n + a·c) // (a·b)
                flat = inner.numerator + inner.denominator * rest.constant
                return Expr.make(quotient, assumptions) + flat // (inner.denominator * other)
        return Expr.make(quotient, assumptions) + Expr({(Floor(rest, other),): 1}, assumptions)

    def __rfloordiv__(self, other):
        raise SymbolicValueError(f"cannot divide by the symbolic value '{self}'")

    def __mod__(self, other):
        return self - other * (self // other)

    # -- comparisons -------------------------------------------------------------------------
    def __eq__(self, other):
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return self.terms == other.terms

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return self._hash

    # Rules compare only to detect errors: a comparison the symbols decide is assumed to come out valid,
    # and the value's Assumptions record that.
    def __lt__(self, other):
        return _compare(self - other, "<")

    def __le__(self, other):
        return _compare(self - other, "<=")

    def __gt__(self, other):
        return _compare(self - other, ">")

    def __ge__(self, other):
        return _compare(self - other, ">=")

    def __bool__(self) -> bool:
        raise SymbolicValueError((f"needs a concrete value, but '{self}' is symbolic: bind its symbols with ",
                                  Param("bindings")))

    def __index__(self) -> int:
        raise SymbolicValueError((f"needs a concrete value, but '{self}' is symbolic: bind its symbols with ",
                                  Param("bindings")))

    __int__ = __index__

    # -- text ------------------------------------------------------------------------------------
    def __str__(self) -> str:
        expanded = self._expanded()
        if self.factors is None:
            return expanded
        coefficient, parts = self.factors
        texts = [part._expanded() for part in parts]
        texts = [f"({text})" if len(part.terms) > 1 else text for part, text in zip(parts, texts)]
        factored = "*".join(([str(coefficient)] if coefficient != 1 else []) + texts)
        return factored if len(factored) < len(expanded) else expanded

    def _expanded(self) -> str:
        def order(item):
            monomial, _ = item
            return (monomial == (), -len(monomial), [_key(atom) for atom in monomial])

        text = ""
        for monomial, coefficient in sorted(self.terms.items(), key=order):
            magnitude = abs(coefficient)
            if monomial:
                grouped = magnitude != 1 or len(monomial) > 1
                body = "*".join(f"({atom})" if grouped and isinstance(atom, Floor) else str(atom) for atom in monomial)
                body = body if magnitude == 1 else f"{magnitude}*{body}"
            else:
                body = str(magnitude)
            if not text:
                text = f"-{body}" if coefficient < 0 else body
            else:
                text += f" - {body}" if coefficient < 0 else f" + {body}"
        return text

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return str(self)


def _factored(left: "Expr", right) -> Optional[Tuple[int, Tuple["Expr", ...]]]:
    """The factored form of left × right: a coefficient and the symbolic factors."""
    def split(value):
        if isinstance(value, int):
            return value, ()
        if value.factors is not None:
            return value.factors
        return 1, (value,)

    if not isinstance(right, (int, Expr)) or isinstance(right, bool):
        return None
    (a, left_parts), (b, right_parts) = split(left), split(right)
    return a * b, left_parts + right_parts


def exact_quotient(dividend, divisor) -> "Union[Expr, int, None]":
    """dividend ÷ divisor when the quotient is a polynomial: divisor one term (c·monomial, such as T or B·T) and
    every term of dividend a whole multiple of it; None otherwise ((T*T + 1) ÷ T has no exact form)."""
    dividend, divisor = _lift(dividend), _lift(divisor)
    if dividend is NotImplemented or divisor is NotImplemented or len(divisor.terms) != 1:
        return None
    (monomial, coefficient), = divisor.terms.items()
    terms: Dict[Monomial, int] = {}
    for term, value in dividend.terms.items():
        rest = list(term)
        for atom in monomial:
            if atom not in rest:
                return None
            rest.remove(atom)
        if value % coefficient:
            return None
        terms[tuple(rest)] = value // coefficient
    return Expr.make(terms, dividend.assumptions)


def _too_large(exprs, problem: str) -> ShapeError:
    names = sorted(set().union(*(expr.symbols() for expr in exprs)))
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return ShapeError((f"a symbolic size {problem}: bind its symbols ({shown}) with ", Param("bindings")))


def _lift(value) -> "Expr":
    if isinstance(value, Expr):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Expr({(): value})
    return NotImplemented


def _bounds(expr: "Expr") -> Tuple[object, object]:
    """(lowest, highest) values when every symbol is at least 1 and every floor at least 0; None if unbounded."""
    low = high = expr.constant
    for monomial, coefficient in expr.terms.items():
        if not monomial:
            continue
        at_least = 1 if all(isinstance(atom, str) for atom in monomial) else 0
        if coefficient > 0:
            low = None if low is None else low + coefficient * at_least
            high = None
        else:
            high = None if high is None else high + coefficient * at_least
            low = None
    return low, high


def surely_at_least(a, b) -> "bool | None":
    """Whether a >= b whatever the symbols (each at least 1, every floor at least 0): True, False, or None
    when it depends on them.  Unlike `a >= b`, records no assumption.

    >>> H = Expr.symbol("H")
    >>> surely_at_least(4 * H, 3 * H), surely_at_least(3 * H, 4 * H), surely_at_least(H, 5)
    (True, False, None)
    """
    return _decide(a - b, ">=")


_NEGATION = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}


_OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _decide(difference, relation: str) -> "bool | None":
    """difference RELATION 0 when the bounds settle it (symbols at least 1, floors at least 0), else None."""
    if isinstance(difference, int):
        return _OPERATORS[relation](difference, 0)
    low, high = _bounds(difference)
    surely_true, surely_false = {
        "<": (high is not None and high < 0, low is not None and low >= 0),
        "<=": (high is not None and high <= 0, low is not None and low > 0),
        ">": (low is not None and low > 0, high is not None and high <= 0),
        ">=": (low is not None and low >= 0, high is not None and high < 0),
    }[relation]
    return True if surely_true else False if surely_false else None


def _compare(difference, relation: str) -> bool:
    """difference RELATION 0: decided when the bounds allow; otherwise assume False and record the opposite in
    the difference's Assumptions (a value no analysis bound has nowhere to record it: a bug, never a guess)."""
    decided = _decide(difference, relation)
    if decided is not None:
        return decided
    if difference.assumptions is None:
        raise RuntimeError(f"'{difference} {relation} 0' depends on the symbols and no analysis owns the value")
    if difference.assumptions.closed:
        raise SymbolicValueError((f"whether {difference} {relation} 0 depends on the symbols: bind them with ",
                                  Param("bindings")))
    difference.assumptions.add(condition(difference, _NEGATION[relation]))
    return False


def condition(difference: "Expr", operator: str) -> Tuple[str, str, int]:
    """'difference OP 0' as (left side, operator, bound), with constants moved right, floors
    unwrapped and a lone symbol solved for; strict inequalities become >= / <=.

    >>> condition(Expr.symbol("H") - 5, ">=")
    ('H', '>=', 5)
    >>> condition((Expr.symbol("H") + 1) // 2 - 3, ">")
    ('H', '>=', 7)
    """
    if operator in (">", "<"):  # integers: d > 0 is d >= 1, d < 0 is d <= -1
        difference = difference - 1 if operator == ">" else difference + 1
        operator += "="
    bound = -difference.constant
    left = difference + bound
    while isinstance(left, Expr) and len(left.terms) == 1:
        (monomial, coefficient), = left.terms.items()
        if len(monomial) != 1 or coefficient < 0:
            break
        if coefficient > 1:  # c·x >= b  is  x >= ceil(b / c);  c·x <= b  is  x <= floor(b / c)
            bound = -(-bound // coefficient) if operator == ">=" else bound // coefficient
            left = Expr({monomial: 1})
            continue
        atom = monomial[0]
        if not isinstance(atom, Floor):
            break
        # n // d >= b  is  n >= b·d;  n // d <= b  is  n <= b·d + d - 1
        bound = bound * atom.denominator + (atom.denominator - 1 if operator == "<=" else 0)
        constant = atom.numerator.constant
        left, bound = atom.numerator - constant, bound - constant
    return str(left), operator, bound


def summarize(conditions) -> Tuple[str, ...]:
    """Merge (left, operator, bound) conditions: the strongest bound per left side, as text."""
    strongest: Dict[Tuple[str, str], int] = {}
    for left, comparison, bound in conditions:
        key = (left, comparison)
        if key not in strongest:
            strongest[key] = bound
        else:
            strongest[key] = max(strongest[key], bound) if comparison == ">=" else min(strongest[key], bound)
    return tuple(f"{left} {comparison} {bound}" for (left, comparison), bound in strongest.items())
