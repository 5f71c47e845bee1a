"""Money is an integer count of minor units (cents); never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal


def round_minor_units(amount: Decimal) -> int:
    """Round a Decimal amount of minor units to a whole number, banker's rounding."""
    return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_EVEN))
