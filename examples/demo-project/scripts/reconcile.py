"""Match provider payouts against invoices marked paid; report or fix the differences."""

from __future__ import annotations

import argparse


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dry-run", action="store_true", help="report differences, change nothing")
    parser.add_argument("--day", help="payout day to reconcile, YYYY-MM-DD")
    args = parser.parse_args()
    mode = "dry run" if args.dry_run else "live"
    print(f"reconciling {args.day or 'yesterday'} ({mode})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
