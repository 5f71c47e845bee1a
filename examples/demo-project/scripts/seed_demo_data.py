"""Fill a local database with a handful of fake customers and invoices."""

from __future__ import annotations

CUSTOMERS = ("Harbour Bakery", "Nine Lanterns Studio", "Quill & Co")


def main() -> int:
    for name in CUSTOMERS:
        print(f"would create customer {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
