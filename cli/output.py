"""Formatting helpers for the CLI: JSON, ages, and human output through rich.

rich is imported only when a person is shown something: `--json`, `recall`'s plain text
and the hooks never load it; click is imported inside the functions, since `memory
recall`'s own line runs without it. On a terminal (or with ``FORCE_COLOR``) tables fit the
terminal's width, cut long cells with "…" and colour follows ``NO_COLOR``; piped, every
cell is printed in full (a `grep` must find the whole description), aligned by display
width so wide characters (CJK, emoji) keep the columns straight.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

# Not `from typing import ...`: `memory recall` loads this module, and typing costs its
# start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO, TypeVar

    import click
    from rich.console import Console

    from memdir.progress import Progress

    F = TypeVar("F", bound=Callable[..., Any])


#: Set in ``ctx.meta`` by `json_option`, so errors can be reported as JSON as well.
JSON_REQUESTED = "memdir.json"


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[JSON_REQUESTED] = True
    return value


def json_option(help: str = "Print JSON.") -> Callable[[F], F]:  # noqa: A002 - click's word
    """The ``--json`` flag; with it, a refused request is printed as JSON too."""
    import click

    return click.option("--json", "as_json", is_flag=True, help=help, callback=_remember_json)


def echo_json(data: Any) -> None:
    """Print `data` as indented JSON (the `--json` form of every command)."""
    import click  # here: `memory recall`'s own line runs without click (see recall_text)

    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


#: C0 and C1 controls other than tab and newline: ESC and OSC sequences ride on them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """`text` safe for a terminal: control characters shown as U+FFFD.

    A memory's fields come from files anyone may have written; ``\\e]0;...\\a`` in a name
    would retitle the terminal, other sequences can hide or rewrite what is shown.
    """
    return _CONTROL.sub("\ufffd", text)


def age_label(days: int) -> str:
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days}d ago"


def _stream(err: bool) -> TextIO:
    # sys's streams at call time: click's test runner swaps them, as a pipe would.
    return sys.stderr if err else sys.stdout


def is_terminal(*, err: bool = False) -> bool:
    """True when output goes to a person: a terminal, or ``FORCE_COLOR`` says to act so."""
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return _stream(err).isatty()
    except (AttributeError, ValueError):
        return False


def console(*, err: bool = False) -> Console:
    """A rich console on the current stdout (or stderr); honours NO_COLOR and COLUMNS."""
    from rich.console import Console

    forced = bool(os.environ.get("FORCE_COLOR"))
    return Console(
        file=_stream(err),
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
        force_terminal=is_terminal(err=err),
        # Forced output may go to a pipe that says nothing of its colours: plain 16 colours.
        color_system="standard" if forced else "auto",
        no_color=bool(os.environ.get("NO_COLOR")),
    )


def cell_width(text: str) -> int:
    """How many terminal columns `text` takes (a CJK character or an emoji takes two)."""
    from rich.cells import cell_len

    return cell_len(text)


def colour_on(*, err: bool = False) -> bool:
    """Styles (colour, bold) are used: a terminal, and ``NO_COLOR`` is not set."""
    return is_terminal(err=err) and not os.environ.get("NO_COLOR")


def table(
    rows: Sequence[Sequence[str]],
    headers: Sequence[str],
    *,
    flexible: int = -1,
    styles: Sequence[str | None] = (),
    max_width: int = 32,
) -> None:
    """Print rows under `headers`.

    On a terminal every row stays on one line: columns keep their natural width (at most
    `max_width`), the column at index `flexible` (the last by default) takes what is left,
    and cells too long are cut with "…". Piped, nothing is cut and columns are padded by
    display width.
    """
    if not is_terminal():
        import click

        click.echo(_plain_table(rows, headers))
        return
    from rich.table import Table

    out = console()
    flexible %= len(headers)
    natural = [
        min(max_width, max([cell_width(h), *(cell_width(r[i]) for r in rows)]))
        for i, h in enumerate(headers)
    ]
    gaps = 2 * (len(headers) - 1)
    fixed = sum(w for i, w in enumerate(natural) if i != flexible)
    widths = list(natural)
    widths[flexible] = max(8, out.width - fixed - gaps)
    colour = colour_on()
    grid = Table(
        box=None,
        show_edge=False,
        pad_edge=False,
        padding=(0, 2, 0, 0),
        expand=False,
        header_style="bold" if colour else "none",
    )
    for i, header in enumerate(headers):
        style = styles[i] if colour and i < len(styles) else None
        grid.add_column(
            header,
            width=widths[i],
            no_wrap=True,
            overflow="ellipsis",
            style=style or "none",
        )
    for row in rows:
        grid.add_row(*row)
    out.print(grid)


def _plain_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [cell_width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], cell_width(cell))
    lines = []
    for row in [list(headers), *map(list, rows)]:
        cells = [cell + " " * (widths[i] - cell_width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def echo_styled(text: str, *, err: bool = False) -> None:
    """`click.echo` that keeps the colour `styled` added when output is for a person."""
    import click

    click.echo(text, err=err, color=True if is_terminal(err=err) else None)


def styled(text: str, style: str, *, err: bool = False) -> str:
    """`text` in a rich style on a terminal that takes colour, else as it is."""
    if not colour_on(err=err):
        return text
    out = console(err=err)
    with out.capture() as captured:
        out.print(text, style=style, end="")
    return captured.get()


def bars_on() -> bool:
    """Progress bars are drawn: stderr is a terminal (``FORCE_COLOR`` does not count, so
    nothing is ever added to a pipe)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_bar(label: str, *, show: bool = True, threshold: int = 0) -> Iterator[Progress]:
    """A transient progress bar on stderr, drawn from the `memdir.progress.Progress` calls
    of the library operation run inside the block.

    One bar for the whole operation: it names the current step and counts that step's
    `done` of `total` (a pulsing bar when the total is unknown). Drawn only when `show`
    (callers pass ``not as_json``) and stderr is a terminal, and only once a step's total
    reaches `threshold` (a small folder is done before a bar could be read). Transient:
    it leaves nothing in the output once the operation ends.
    """
    if not (show and bars_on()):
        from memdir.progress import no_progress

        yield no_progress
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import (
        Progress as RichProgress,
    )

    bar: RichProgress | None = None
    task = None
    current: tuple[str, int | None] | None = None

    def update(step: str, done: int, total: int | None, /) -> None:
        nonlocal bar, task, current
        if bar is None:
            if total is not None and total < threshold:
                return
            bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console(err=True),
                transient=True,
            )
            bar.start()
        description = f"{label}: {clean(step)}"
        if task is None or current != (step, total):
            # A new step (or a total that became unknown): a fresh task, since rich keeps
            # an old total when given None.
            if task is not None:
                bar.remove_task(task)
            task = bar.add_task(description, total=total, completed=done)
            current = (step, total)
        else:
            bar.update(task, completed=done)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()
