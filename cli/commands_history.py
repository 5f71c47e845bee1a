"""History commands: log, diff, undo, restore, and `history prune`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from memdir.errors import InvalidMemoryError
from memdir.history import Operation, parse_when
from memdir.store import MemoryDir

from .output import echo_json, json_option

pass_store = click.make_pass_decorator(MemoryDir)


def _age(when: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def _line(op: Operation, now: datetime) -> str:
    return f"{op.short_id}  {_age(op.time, now):>9}  {str(op.actor):<14}  {op.summary}"


def _moment(text: str | None, option: str, *, end_of_day: bool) -> datetime | None:
    if text is None:
        return None
    moment = parse_when(text, end_of_day=end_of_day)
    if moment is None:
        raise InvalidMemoryError(
            f"{text!r} is not a date (use 2026-03-05 or 2026-03-05T14:00)", field=option
        )
    return moment


@click.command("log")
@click.argument("name", required=False)
@click.option("-n", "limit", type=click.IntRange(min=1), help="Show at most N operations.")
@click.option("--actor", help="Only operations of this actor (cli, mcp, extractor, hand-edit ...).")
@click.option("--since", help="Only operations on or after this date (2026-03-05).")
@json_option()
@click.option("--path", "show_path", is_flag=True, help="Print where the history is kept.")
@pass_store
def log_cmd(
    store: MemoryDir,
    name: str | None,
    limit: int | None,
    actor: str | None,
    since: str | None,
    as_json: bool,
    show_path: bool,
) -> None:
    """Recorded operations, newest first: id, age, actor, summary.

    With NAME, the whole life of one memory, renames and deletion included. The history
    is a git repository outside the memory folder: `git --git-dir=$(memory log --path) log`
    reads it too.

    \b
    Examples:
      memory log -n 20
      memory log deploy-freeze
      memory log --actor extractor --since 2026-03-01
    """
    history = store.recorder
    if show_path:
        if as_json:
            echo_json(
                {"path": str(history.path), "enabled": history.enabled, "why_off": history.why_off}
            )
        else:
            click.echo(history.path)
        return
    ops = store.history(
        name, limit=limit, actor=actor, since=_moment(since, "since", end_of_day=False)
    )
    skipped = history.skipped()
    if as_json:
        echo_json(
            {
                "path": str(history.path),
                "operations": [op.to_json() for op in ops],
                "skipped": [{"file": f, "reason": r} for f, r in sorted(skipped.items())],
            }
        )
        return
    now = datetime.now(UTC)
    for op in ops:
        click.echo(_line(op, now))
    if not ops:
        click.echo("No operations recorded" + (f" for {name}." if name else "."))
    for path, reason in sorted(skipped.items()):
        click.echo(f"skipped (not recorded): {path}: {reason}")


@click.command("diff")
@click.argument("op", required=False)
@pass_store
def diff_cmd(store: MemoryDir, op: str | None) -> None:
    """Show what one operation changed, as a diff (default: the newest).

    \b
    Example:
      memory diff 3f2a9c1e
    """
    operation = store.recorder.get(op)
    click.echo(f"{operation.short_id}  {operation.actor}  {operation.summary}")
    click.echo(store.recorder.diff(operation.id), nl=False)


def _done(verb: str, op: Operation, as_json: bool) -> None:
    if as_json:
        echo_json(op.to_json())
        return
    click.echo(f"{verb} as {op.short_id}: {op.summary}")
    click.echo(f"(`memory undo {op.short_id}` takes this back)")


@click.command("undo")
@click.argument("op", required=False)
@click.option("--force", is_flag=True, help="Undo even if a later operation changed the files.")
@json_option()
@pass_store
def undo_cmd(store: MemoryDir, op: str | None, force: bool, as_json: bool) -> None:
    """Revert one operation (default: the newest made by memdir), as a new operation.

    Refused when a later operation changed the same files, naming it; --force overrides.
    Undoing an undo applies the change again.

    \b
    Examples:
      memory undo
      memory undo 3f2a9c1e --force
    """
    _done("Undone", store.undo(op, force=force), as_json)


@click.command("restore")
@click.argument("name")
@click.option("--at", help="An operation id or a date: the version as it was then.")
@json_option()
@pass_store
def restore_cmd(store: MemoryDir, name: str, at: str | None, as_json: bool) -> None:
    """Bring back a forgotten memory, or an earlier version of one.

    Without --at: a forgotten memory comes back as it last was; an existing one goes back
    to its version before its latest change.

    \b
    Examples:
      memory restore deploy-freeze
      memory restore deploy-freeze --at 2026-03-05
    """
    _done("Restored", store.restore(name, at=at), as_json)


@click.group("history")
def history_group() -> None:
    """Maintain the history itself (see `memory log` to read it)."""


@history_group.command("prune")
@click.option("--before", required=True, help="Squash every operation older than this date.")
@json_option()
@pass_store
def prune_cmd(store: MemoryDir, before: str, as_json: bool) -> None:
    """Squash old operations into one, to keep the history small.

    The only command that rewrites history: what the files were before DATE is kept as
    one operation; later operations keep their content and actor (with new ids).

    \b
    Example:
      memory history prune --before 2026-01-01
    """
    moment = _moment(before, "before", end_of_day=False)
    assert moment is not None
    squashed = store.prune_history(moment)
    data: dict[str, Any] = {"squashed": squashed, "before": moment.isoformat()}
    if as_json:
        echo_json(data)
    elif squashed:
        click.echo(f"Squashed {squashed} operations before {before} into one.")
    else:
        click.echo(f"Nothing to squash before {before}.")


COMMANDS = [log_cmd, diff_cmd, undo_cmd, restore_cmd, history_group]
