"""Counts written with a decimal suffix (2M, 1.5G) and the spec's `budget:` mapping of them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Optional

from ..errors import Location, SpecError, closest, describe
from .model import YamlMap

BUDGET_KEYS = ("max_params", "max_trainable_params", "max_non_trainable_params", "max_macs", "max_layer_params")
_SUFFIXES = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def parse_count(value: Any, what: str, location: Optional[Location] = None) -> int:
    """An exact count from an int or a string with a decimal suffix: 2M -> 2_000_000.

    >>> parse_count("2.5M", "max_params")
    2500000
    >>> parse_count(1216, "max_params")
    1216
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        multiplier = _SUFFIXES.get(text[-1:].upper(), 1)
        number = text[:-1] if multiplier != 1 else text
        try:
            amount = Decimal(number) * multiplier
        except InvalidOperation:
            amount = None
        if amount is not None and amount >= 0 and amount == amount.to_integral_value():
            return int(amount)
    raise SpecError(
        f"{what} must be a whole non-negative number, optionally with K, M, G or T (such as 2M), "
        f"found {describe(value)}",
        location=location,
    )


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
