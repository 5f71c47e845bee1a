from datetime import date

from ledgerly.billing.invoice import Invoice, compute_late_fee


def test_no_fee_before_due_date() -> None:
    invoice = Invoice("INV-1", 10_000, date(2026, 11, 1))
    assert compute_late_fee(invoice, today=date(2026, 11, 1)) == 0


def test_fee_is_capped() -> None:
    invoice = Invoice("INV-2", 1_000_000, date(2026, 1, 1))
    assert compute_late_fee(invoice, today=date(2026, 11, 1)) == 2500
