"""`memory watch`: run, detach, inspect and stop the file-watcher daemon."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from memdir.errors import ConfigurationError
from memdir.store import MemoryDir

from .output import echo_json, json_option

if TYPE_CHECKING:
    from memdir.daemon import DaemonStatus


def _folders(ctx: click.Context, extra: tuple[Path, ...]) -> list[Path]:
    """The root's folder when it was given (or nothing else was), then each ``--dir``."""
    store: MemoryDir = ctx.obj
    parent = ctx.parent
    root_given = parent is not None and parent.params.get("directory") is not None
    folders = [store.path] if root_given or not extra else []
    folders += [Path(os.path.abspath(p.expanduser())) for p in extra]
    return list(dict.fromkeys(folders))


def _when(stamp: object) -> str:
    if isinstance(stamp, int | float):
        return datetime.fromtimestamp(stamp).isoformat(sep=" ", timespec="seconds")
    return str(stamp)


def _describe(status: DaemonStatus) -> list[str]:
    folder = status.files.folder
    if status.state == "not running":
        return [f"{folder}: not running"]
    if status.state == "stale":
        return [
            f"{folder}: stale (pid {status.pid} is gone); the next `memory watch` "
            "replaces its files"
        ]
    info = status.info
    lines = [f"{folder}: running (pid {status.pid}) since {info.get('started', '?')}"]
    batch = info.get("last_batch")
    if batch:
        lines.append(
            f"  last batch: {_when(batch.get('at'))}, {batch.get('events')} events, "
            f"index +{batch.get('added')} -{batch.get('removed')}, "
            f"{batch.get('duration_ms')} ms"
        )
    counts = info.get("counts") or {}
    if counts:
        lines.append("  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    for error in info.get("recent_errors") or []:
        lines.append(f"  error: {error}")
    for team in (info.get("team") or {}).values():
        state = (
            "syncing"
            if team.get("syncing")
            else "waiting to push"
            if team.get("pending")
            else "idle"
        )
        lines.append(
            f"  team sync: {state}, remote {team.get('remote')}, "
            f"last sync {team.get('last_sync') or 'never'}"
        )
        if team.get("last_error"):
            lines.append(f"  team sync error: {team['last_error']}")
    lines.append(f"  log: {status.files.log}")
    return lines


@click.command()
@click.option(
    "--dir",
    "dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A memory folder to watch (repeatable). Default: the folder `memory --dir` names.",
)
@click.option(
    "--transcripts",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A Claude Code transcript folder (e.g. ~/.claude/projects); repeatable. "
    "Extraction is scheduled when a session's turn ends.",
)
@click.option("--detach", is_flag=True, help="Start in the background and return once it answers.")
@click.option(
    "--status", is_flag=True, help="Say whether a daemon runs for the folder; exit 1 if not."
)
@click.option("--stop", is_flag=True, help="Stop the daemon (SIGTERM) and wait for it to exit.")
@json_option("With --status: print JSON.")
@click.option("--detached-child", is_flag=True, hidden=True)
@click.pass_context
def watch(
    ctx: click.Context,
    dirs: tuple[Path, ...],
    transcripts: tuple[Path, ...],
    detach: bool,
    status: bool,
    stop: bool,
    as_json: bool,
    detached_child: bool,
) -> None:
    """Watch memory folders: keep MEMORY.md in sync and serve recall warm.

    Runs in the foreground (for systemd, launchd or tmux) until SIGTERM or Ctrl-C. Edits,
    renames and deletions of memory files are synced into MEMORY.md within a fraction of
    a second; malformed files are logged with the field at fault. `memory recall` and the
    hooks ask the daemon first, which skips their start-up cost. One daemon per folder.

    \b
    Examples:
        memory watch                         # foreground
        memory watch --detach                # background
        memory watch --status
        memory watch --stop
        memory watch --transcripts ~/.claude/projects
    """
    from memdir import daemon

    if sum((detach, status, stop)) > 1:
        raise click.UsageError("use only one of --detach, --status and --stop")
    store: MemoryDir = ctx.obj
    state = store.state_path
    folders = _folders(ctx, dirs)
    if status:
        statuses = [daemon.daemon_status(f, state_dir=state) for f in folders]
        if as_json:
            echo_json([s.to_json() for s in statuses])
        else:
            for line in (line for s in statuses for line in _describe(s)):
                click.echo(line)
        if any(s.state != "running" for s in statuses):
            ctx.exit(1)
        return
    if stop:
        for folder in folders:
            before = daemon.stop_daemon(folder, state_dir=state)
            if before.state == "running":
                click.echo(f"Stopped memory watch (pid {before.pid}) for {folder}.")
            elif before.state == "stale":
                click.echo(
                    f"Removed the files of a crashed daemon (pid {before.pid}) for {folder}."
                )
            else:
                click.echo(f"No memory watch is running for {folder}.")
        return
    parent = ctx.parent
    named = bool(dirs) or (parent is not None and parent.params.get("directory") is not None)
    missing = [f for f in folders if not f.is_dir()] if named else []
    if missing:
        # A folder named by hand that does not exist is a typo far more often than a
        # wish: refuse, instead of creating it and watching nothing for good.
        raise ConfigurationError(
            f"no memory folder at {missing[0]}; check the path, or create it with "
            f"`memory --dir {missing[0]} init`",
            field="dir",
        )
    if detach:
        argv = [sys.executable, "-m", "memdir_cli", "--dir", str(folders[0]), "watch"]
        for folder in folders[1:]:
            argv += ["--dir", str(folder)]
        for transcript in transcripts:
            argv += ["--transcripts", os.path.abspath(transcript)]
        argv.append("--detached-child")
        pid = daemon.spawn_daemon(argv, folders, state_dir=state)
        log = daemon.DaemonFiles.for_folder(folders[0], state_dir=state).log
        click.echo(f"memory watch is running in the background (pid {pid}); log: {log}")
        return
    daemon.run_daemon(
        folders, transcripts=transcripts, state_dir=state, log_to_stderr=not detached_child
    )


COMMANDS = [watch]
