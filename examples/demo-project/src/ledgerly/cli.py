"""The ledgerly command: a thin wrapper over the billing module."""

from __future__ import annotations

import argparse
from datetime import date


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ledgerly")
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send-invoices", help="email invoices that are due")
    send.add_argument("--since", type=date.fromisoformat, help="only invoices issued on or after")
    args = parser.parse_args(argv)
    print(f"would send invoices since {args.since}")
    return 0
