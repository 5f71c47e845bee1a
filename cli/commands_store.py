"""Commands that manage the store: where, init, list, show, add, edit, forget, index, prompt."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from memdir.errors import InvalidMemoryError, MemdirError
from memdir.store import MemoryDir, age_days, build_memory_prompt, save_edit
from memdir.types import Memory, MemoryHeader, MemoryType

from .names import complete_names, folder_reason, undo_hint
from .output import age_label, clean, echo_json, json_option, progress_bar, table

pass_store = click.make_pass_decorator(MemoryDir)
TYPE_CHOICE = click.Choice(MemoryType.choices(), case_sensitive=False)


def memory_json(memory: Memory) -> dict[str, Any]:
    """The memory record (the same keys as `header_json`) for a memory read in full."""
    return {
        "filename": memory.filename,
        "path": str(memory.path),
        "name": memory.name,
        "description": memory.description,
        "type": memory.type.value if memory.type else None,
        "age_days": memory.age_days,
        "source": "team" if memory.filename.startswith("team/") else "private",
    }


def header_json(header: MemoryHeader) -> dict[str, Any]:
    return {
        "filename": header.filename,
        "path": str(header.path),
        "name": header.name,
        "description": header.description,
        "type": header.type.value if header.type else None,
        "age_days": age_days(header.mtime, header.updated),
        "source": header.source,
    }


@click.command()
@json_option()
@click.pass_context
def where(ctx: click.Context, as_json: bool) -> None:
    """Print the memory folder in use (and, with --json, why).

    \b
    Example:
        memory where
    """
    store: MemoryDir = ctx.obj
    if as_json:
        echo_json({"path": str(store.path), "reason": folder_reason(ctx)})
        return
    click.echo(str(store.path))


@click.command()
@pass_store
def init(store: MemoryDir) -> None:
    """Create the memory folder and an empty MEMORY.md index."""
    created = store.init()
    click.echo(f"{'Created' if created else 'Already set up'}: {store.path}")


@click.command("list")
@click.option("--type", "type_", type=TYPE_CHOICE, help="Only memories of this type.")
@json_option()
@pass_store
def list_(store: MemoryDir, type_: str | None, as_json: bool) -> None:
    """List memories, newest first: type, name, age and description.

    \b
    Example:
        memory list --type feedback
    """
    report = store.scan()
    headers = [h for h in report.memories if type_ is None or h.type == MemoryType(type_)]
    if as_json:
        echo_json(
            {
                "memories": [header_json(h) for h in headers],
                "problems": [
                    {"file": str(p.path), "field": p.field, "message": p.reason}
                    for p in report.problems
                ],
            }
        )
        return
    rows = [
        [
            h.type.value if h.type else clean(f"?{h.raw_type or ''}"),
            clean(f"{h.name} (team)" if h.source == "team" else h.name),
            age_label(age_days(h.mtime, h.updated)),
            clean(h.description),
        ]
        for h in headers
    ]
    if rows:
        table(rows, ["TYPE", "NAME", "AGE", "DESCRIPTION"], styles=("cyan", "bold", "dim", None))
    else:
        click.echo(f"No memories in {store.path}")
    for problem in report.problems:
        click.echo(clean(f"skipped {problem.path}: {problem.reason}"), err=True)


@click.command()
@click.argument("name", shell_complete=complete_names)
@json_option()
@click.option("--at", help="As it was after this operation id, or on this date (history).")
@pass_store
def show(store: MemoryDir, name: str, as_json: bool, at: str | None) -> None:
    """Print one memory (by name or file name); --at shows an earlier version; a broken
    file is shown as it is."""
    if at is not None:
        text = store.history_text(name, at)
        echo_json({"name": name, "at": at, "text": text}) if as_json else click.echo(text, nl=False)
        return
    found = store.inspect(name)
    memory = found.memory
    if memory is None:
        if as_json:
            echo_json(
                {
                    "filename": found.filename,
                    "path": str(found.path),
                    "problem": found.problem,
                    "text": found.text,
                }
            )
            return
        click.echo(clean(f"{found.path}: not a valid memory: {found.problem}"))
        if found.text is not None:
            click.echo()
            click.echo(clean(found.text.rstrip()))
        return
    if as_json:
        echo_json({**memory_json(memory), "extra": dict(memory.extra), "body": memory.body})
        return
    click.echo(
        clean(
            f"{memory.name}  [{memory.type or memory.raw_type or 'no type'}]  "
            f"{age_label(memory.age_days)}  {memory.path}"
        )
    )
    click.echo(clean(memory.description))
    click.echo()
    click.echo(clean(memory.body.rstrip()))


def _read_body(body: str | None) -> str:
    if body is not None:
        return body
    stdin = sys.stdin
    if not stdin.isatty():
        return stdin.read()
    edited = click.edit("\n# Write the memory's body above this line.\n", extension=".md")
    if edited is None:
        raise InvalidMemoryError("no body given (editor closed without saving)", field="body")
    return edited.split("\n# Write the memory's body above this line.", 1)[0]


@click.command()
@click.option("--type", "type_", required=True, help="user, feedback, project or reference.")
@click.option("--name", required=True, help="Short title; the file name is made from it.")
@click.option("--description", required=True, help="One specific line; recall reads this.")
@click.option("--body", help="The memory text. Default: stdin, or $EDITOR on a terminal.")
@click.option("--force", is_flag=True, help="Replace a memory with the same file name.")
@json_option()
@click.option(
    "--team/--private",
    "team",
    default=None,
    help="Save in the shared team folder, or keep private. Default: the team's scope rules.",
)
@pass_store
def add(
    store: MemoryDir,
    type_: str,
    name: str,
    description: str,
    body: str | None,
    force: bool,
    as_json: bool,
    team: bool | None,
) -> None:
    """Save a new memory and add it to the index.

    \b
    Example:
        memory add --type feedback --name "No mocks in integration tests" \\
            --description "Integration tests hit a real database, never mocks" \\
            --body $'Use the dockerised Postgres.\\n**Why:** ...\\n**How to apply:** ...'
    """
    result = store.save(
        name=name,
        description=description,
        type=type_,
        body=_read_body(body),
        overwrite=force,
        scope=None if team is None else ("team" if team else "private"),
    )
    if as_json:
        echo_json({"saved": memory_json(result.memory), "warnings": list(result.warnings)})
        return
    click.echo(f"Saved {result.memory.path}")
    for warning in result.warnings:
        click.echo(f"Warning: {result.memory.filename}: {warning}", err=True)


def _interactive() -> bool:
    """A person at a terminal can answer a question."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _require_editor() -> None:
    """Refuse before launching anything when no editor is set and nobody could use one."""
    if os.environ.get("VISUAL") or os.environ.get("EDITOR"):
        return
    if not _interactive():
        raise click.UsageError(
            "no editor: set $EDITOR (or $VISUAL), or run this in a terminal; to replace a "
            "memory without an editor, use `memory add --force` with the same name"
        )


@click.command()
@click.argument("name", shell_complete=complete_names)
@pass_store
def edit(store: MemoryDir, name: str) -> None:
    """Open a memory in $EDITOR; the file is replaced only if the result is valid."""
    found = store.inspect(name)
    if found.text is None:
        raise InvalidMemoryError(
            f"cannot be edited as text: {found.problem}; `memory forget {name}` removes it",
            path=found.path,
            field="file",
        )
    _require_editor()
    original = found.text
    edited = click.edit(original, extension=".md", require_save=True)
    if edited is None or edited == original:
        click.echo("No changes.")
        return
    path = save_edit(store, found.filename, edited)
    click.echo(f"Saved {path}")


@click.command()
@click.argument("names", nargs=-1, required=True, shell_complete=complete_names)
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting several memories.")
@json_option()
@pass_store
def forget(store: MemoryDir, names: tuple[str, ...], yes: bool, as_json: bool) -> None:
    """Delete memories (by name or file name) and their index lines.

    Deleting more than one asks for confirmation on a terminal, unless --yes.

    \b
    Example:
        memory forget "Old deploy notes"
    """
    # locate, not find: a file lint names (broken YAML, binary, a link) can be forgotten too.
    files = list(dict.fromkeys(store.locate(n) for n in names))
    if len(files) > 1 and not yes:
        if not _interactive():
            raise click.UsageError(f"deleting {len(files)} memories needs --yes")
        listed = "\n".join(f"  {clean(f)}" for f in files)
        click.confirm(f"Delete these {len(files)} memories?\n{listed}\n", abort=True, err=True)
    deleted = [_forget_record(store, f) for f in files]
    paths = [store.delete(f) for f in files]
    undo = undo_hint(store, files)
    if as_json:
        echo_json({"deleted": deleted, "undo": undo})
        return
    for path in paths:
        click.echo(clean(f"Deleted {path}"))
    click.echo(undo)


def _forget_record(store: MemoryDir, filename: str) -> dict[str, Any]:
    """What `forget --json` reports: the memory, or just the file when it does not parse."""
    try:
        return header_json(store.find(filename))
    except MemdirError:
        return {"filename": filename, "path": str(store.entry_path(filename))}


@click.command("index")
@click.option("--check", is_flag=True, help="Only report drift; exit 1 if any.")
@click.option("--fix", is_flag=True, help="Repair the index (the default).")
@json_option()
@click.pass_context
def index_cmd(ctx: click.Context, check: bool, fix: bool, as_json: bool) -> None:
    """Repair MEMORY.md (the default, as --fix), or only report drift with --check.

    Adds entries for memories it lacks (a crashed writer leaves such files), drops
    entries of files that are gone, rewrites the lines memdir generated whose memory
    changed, and removes temporary files of writers that died. Lines that people or
    agents wrote are never rewritten.
    """
    store: MemoryDir = ctx.obj
    if check and fix:
        raise click.UsageError("use only one of --check and --fix")
    if not check:
        with progress_bar("Syncing MEMORY.md", show=not as_json) as update:
            changes = store.sync_index(progress=update)
        if as_json:
            echo_json(
                {
                    "added": list(changes.added),
                    "removed": list(changes.removed),
                    "rewritten": list(changes.rewritten),
                }
            )
        elif not changes.changed:
            click.echo("Index is in sync.")
        for line in changes.added if not as_json else ():
            click.echo(f"added:   {clean(line)}")
        for line in changes.removed if not as_json else ():
            click.echo(f"removed: {clean(line)}")
        for line in changes.rewritten if not as_json else ():
            click.echo(f"rewritten: {clean(line)}")
        return
    with progress_bar("Checking MEMORY.md", show=not as_json) as update:
        problems = store.index_problems(progress=update)
    if as_json:
        echo_json({"problems": [{"rule": r, "message": m} for r, m in problems]})
    elif problems:
        for rule, message in problems:
            click.echo(f"{store.index_path}: {message} [{rule}]")
    else:
        click.echo("Index is in sync.")
    if problems:
        ctx.exit(1)


@click.command()
@json_option()
@pass_store
def prompt(store: MemoryDir, as_json: bool) -> None:
    """Print the memory section for an agent's system prompt (with the capped index)."""
    capped = store.load_index()
    text = build_memory_prompt(index_text=capped.text, memory_dir=str(store.path))
    if as_json:
        echo_json(
            {
                "memory_dir": str(store.path),
                "prompt": text,
                "index": {
                    "lines": capped.total_lines,
                    "bytes": capped.total_bytes,
                    "truncated_by": capped.truncated_by,
                },
            }
        )
        return
    click.echo(text, nl=False)


COMMANDS = [where, init, list_, show, add, edit, forget, index_cmd, prompt]
