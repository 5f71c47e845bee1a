"""Invoices and the late fee charged on overdue ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .currency import round_minor_units

MONTHLY_LATE_RATE = Decimal("0.015")
LATE_FEE_CAP_MINOR = 2500


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    total_minor: int
    due: date


def compute_late_fee(invoice: Invoice, *, today: date) -> int:
    """Late fee in minor units: 1.5% per started month overdue, capped at 25.00."""
    days_late = (today - invoice.due).days
    if days_late <= 0:
        return 0
    months = -(-days_late // 30)
    fee = Decimal(invoice.total_minor) * MONTHLY_LATE_RATE * months
    return min(round_minor_units(fee), LATE_FEE_CAP_MINOR)
