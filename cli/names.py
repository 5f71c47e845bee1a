"""Memory names for shell completion, why a folder is in use, and how to undo a deletion."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from memdir.paths import resolve_memory_dir
from memdir.store import MemoryDir


def complete_names(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Memory file names (and titles) that start with what was typed, for show/edit/forget."""
    directory = ctx.find_root().params.get("directory")
    try:
        store = MemoryDir(resolve_memory_dir(Path(directory) if directory else None))
        headers = store.scan().memories
    except Exception:  # noqa: BLE001 - completion must never print a traceback
        return []
    typed = incomplete.casefold()
    items = []
    for header in headers:
        stem = header.filename.removesuffix(".md")
        if stem.casefold().startswith(typed) or header.filename.casefold().startswith(typed):
            items.append(CompletionItem(stem, help=header.name))
        elif header.name.casefold().startswith(typed):
            items.append(CompletionItem(header.name, help=header.filename))
    return items


def undo_hint(store: MemoryDir, filenames: Sequence[str]) -> str:
    """How to get deleted memories back: `memory restore` when history records the folder."""
    if store.recorder.enabled:
        names = "; ".join(f"memory restore {f.removesuffix('.md')}" for f in filenames)
        return f"Restore with: {names}"
    why = store.recorder.why_off or "history is off"
    return (
        f"memdir records no history for this folder ({why}), so this cannot be undone "
        "here: restore the files from git or a backup if you need them"
    )


def folder_reason(ctx: click.Context) -> str:
    """Why this folder is in use: ``--dir``, ``MEMDIR_DIR``, or Claude Code's default."""
    root = ctx.find_root()
    source = root.get_parameter_source("directory")
    if source is click.core.ParameterSource.COMMANDLINE:
        return "--dir"
    if source is click.core.ParameterSource.ENVIRONMENT:
        return "MEMDIR_DIR"
    return "Claude Code's folder for this project"
