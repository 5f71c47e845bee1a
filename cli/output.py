"""Formatting helpers for the CLI: tables, ages, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def echo_json(data: Any) -> None:
    """Print `data` as indented JSON (the `--json` form of every command)."""
    import click  # here: `memory recall`'s own line runs without click (see recall_text)

    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def age_label(days: int) -> str:
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days}d ago"


def table(rows: Sequence[Sequence[str]], headers: Sequence[str], *, last_wrap: int = 0) -> str:
    """A plain aligned table; the last column is cut to fit the terminal when asked."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [list(headers), *map(list, rows)]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        last = row[-1]
        if last_wrap and len(last) > last_wrap:
            last = last[: last_wrap - 1] + "…"
        lines.append("  ".join([*cells, last]).rstrip())
    return "\n".join(lines)
