"""Counts written with a decimal suffix (2M, 1.5G), bytes with a binary unit (512 MiB), and the spec's
`budget:` mapping of them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext
from string import ascii_letters
from typing import Any, Dict, Optional

from ..errors import Location, SpecError, closest, describe
from .model import YamlMap

# The budgets on memory are bytes (parse_bytes); the others are counts (parse_count).
MEMORY_BUDGETS = ("max_activation_memory", "max_inference_memory", "max_training_memory", "max_serving_memory")
BUDGET_KEYS = ("max_params", "max_trainable_params", "max_non_trainable_params", "max_macs", "max_layer_params",
               "max_flops", *MEMORY_BUDGETS)
_SUFFIXES = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
# Binary units only: Keras prints "136.04 KB" for 139,304 bytes (KB = 1,024 B) where SI's kB is 1,000 B, so
# KB, MB, GB and TB (and a count's K, M, G, T) are refused as ambiguous rather than read one way or the other.
_BYTE_UNITS = {"B": 1, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_AMBIGUOUS_UNITS = {prefix + b: prefix + "iB" for prefix in "KMGT" for b in ("B", "")}
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
        amount = _exact(text[:-1] if multiplier != 1 else text, multiplier, what, value, location)
        if amount is not None:
            return amount
    raise SpecError(
        f"{what} must be a whole non-negative number, optionally with K, M, G or T (such as 2M), "
        f"found {describe(value)}",
        location=location,
    )


def parse_bytes(value: Any, what: str, location: Optional[Location] = None) -> int:
    """Exact bytes from an int or a string with a binary unit: 1.5 GiB -> 1_610_612_736.

    >>> parse_bytes("1.5 GiB", "max_training_memory"), parse_bytes("512KiB", "m"), parse_bytes(4096, "m")
    (1610612736, 524288, 4096)
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return parse_count(value, what, location)
    if isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        number = text.rstrip(ascii_letters)
        number, unit = number.rstrip(), text[len(number):]
        if unit.upper() in _AMBIGUOUS_UNITS:
            raise SpecError(f"{what}: '{unit}' is ambiguous for bytes (Keras prints KB, MB, GB for powers of 1,024, "
                            f"SI means powers of 1,000): write {_AMBIGUOUS_UNITS[unit.upper()]} or the bytes, found "
                            f"{describe(value)}", location=location)
        multiplier = _BYTE_UNITS.get(unit.upper() or "B")
        amount = None if multiplier is None else _exact(number, multiplier, what, value, location)
        if amount is not None:
            return amount
    raise SpecError(f"{what} must be a whole number of bytes, optionally with B, KiB, MiB, GiB or TiB (such as "
                    f"512 MiB), found {describe(value)}", location=location)


def parse_limit(budget: str, value: Any, what: str, location: Optional[Location] = None) -> int:
    """A budget's limit: bytes for the memory budgets, a count for the others."""
    return (parse_bytes if budget in MEMORY_BUDGETS else parse_count)(value, what, location)


def _exact(number_text: str, multiplier: int, what: str, value: Any, location: Optional[Location]) -> Optional[int]:
    """number_text × multiplier when it is a whole non-negative number, else None."""
    try:
        number = Decimal(number_text)
    except InvalidOperation:
        return None
    # Not NaN or Infinity, and no more than MAX_COUNT_DIGITS decimals: a whole count is never written so.
    if number.is_finite() and number >= 0 and number.as_tuple().exponent >= -MAX_COUNT_DIGITS:
        if number.adjusted() >= MAX_COUNT_DIGITS:
            raise _too_large(what, describe(value), location)
        with localcontext() as context:  # exact: at most 200 digits, times at most 2**40
            context.prec = 3 * MAX_COUNT_DIGITS
            amount = number * multiplier
        if amount == amount.to_integral_value():
            if amount.adjusted() >= MAX_COUNT_DIGITS:
                raise _too_large(what, describe(value), location)
            return int(amount)
    return None


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
        budget[key] = parse_limit(key, limit, f"budget {key}", value.value_locations[key])
    return budget
