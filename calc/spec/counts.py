"""Counts written with a decimal suffix (2M, 1.5G) and the spec's `budget:` mapping of them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, Dict, Optional

from ..errors import Location, SpecError, closest, describe
from .model import YamlMap

BUDGET_KEYS = ("max_params", "max_trainable_params", "max_non_trainable_params", "max_macs", "max_layer_params")
_SUFFIXES = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
# A count's digits, as the YAML reader bounds an integer's: 1e999999 would take 25 s to build and could not be
# printed (Python's 4,300-digit int-str limit).
MAX_COUNT_DIGITS = 100


def parse_count(value: Any, what: str, location: Optional[Location] = None) -> int:
    """An exact count from an int or a string with a decimal suffix: 2M -> 2_000_000.

    >>> parse_count("2.5M", "max_params")
    2500000
    >>> parse_count(1216, "max_params")
    1216
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        if value >= 10**MAX_COUNT_DIGITS:
            raise _too_large(what, "a larger integer", location)
        return value
    if isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        multiplier = _SUFFIXES.get(text[-1:].upper(), 1)
        try:
            number = Decimal(text[:-1] if multiplier != 1 else text)
        except InvalidOperation:
            number = None
        # Not NaN or Infinity, and no more than MAX_COUNT_DIGITS decimals: a whole count is never written so.
        if number is not None and number.is_finite() and number >= 0 and number.as_tuple().exponent >= -MAX_COUNT_DIGITS:
            if number.adjusted() >= MAX_COUNT_DIGITS:
                raise _too_large(what, describe(value), location)
            with localcontext() as context:  # exact: at most 200 digits, times at most 10**12
                context.prec = 3 * MAX_COUNT_DIGITS
                amount = number * multiplier
            if amount == amount.to_integral_value():
                if amount.adjusted() >= MAX_COUNT_DIGITS:
                    raise _too_large(what, describe(value), location)
                return int(amount)
    raise SpecError(
        f"{what} must be a whole non-negative number, optionally with K, M, G or T (such as 2M), "
        f"found {describe(value)}",
        location=location,
    )


def _too_large(what: str, found: str, location: Optional[Location]) -> SpecError:
    return SpecError(f"{what} is too large: at most {MAX_COUNT_DIGITS} digits, found {found}", location=location)


def parse_budget(value: Any, location: Location) -> Dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, YamlMap):
        raise SpecError(f"'budget' must be a mapping such as {{max_params: 2M}}, found {describe(value)}",
                        location=location)
    budget = {}
    for key, limit in value.items():
        if key not in BUDGET_KEYS:
            raise SpecError(
                f"unknown budget '{key}'{closest(str(key), BUDGET_KEYS)}; expected one of: {', '.join(BUDGET_KEYS)}",
                location=value.key_locations[key],
            )
        budget[key] = parse_count(limit, f"budget {key}", value.value_locations[key])
    return budget
