"""Commands that manage the store: where, init, list, show, add, edit, forget, index, prompt."""

from __future__ import annotations

import sys
from typing import Any

import click

from memdir.errors import InvalidMemoryError
from memdir.store import MemoryDir, age_days, build_memory_prompt, save_edit
from memdir.types import MemoryHeader, MemoryType

from .output import age_label, echo_json, table

pass_store = click.make_pass_decorator(MemoryDir)
TYPE_CHOICE = click.Choice(MemoryType.choices(), case_sensitive=False)


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
@pass_store
def where(store: MemoryDir) -> None:
    """Print the memory folder in use.

    \b
    Example:
        memory where
    """
    click.echo(str(store.path))


@click.command()
@pass_store
def init(store: MemoryDir) -> None:
    """Create the memory folder and an empty MEMORY.md index."""
    created = store.init()
    click.echo(f"{'Created' if created else 'Already set up'}: {store.path}")


@click.command("list")
@click.option("--type", "type_", type=TYPE_CHOICE, help="Only memories of this type.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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
            h.type.value if h.type else f"?{h.raw_type or ''}",
            h.name,
            age_label(age_days(h.mtime, h.updated)),
            h.description,
        ]
        for h in headers
    ]
    if rows:
        click.echo(table(rows, ["TYPE", "NAME", "AGE", "DESCRIPTION"], last_wrap=90))
    else:
        click.echo(f"No memories in {store.path}")
    for problem in report.problems:
        click.echo(f"skipped {problem.path}: {problem.reason}", err=True)


@click.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--at", help="As it was after this operation id, or on this date (history).")
@pass_store
def show(store: MemoryDir, name: str, as_json: bool, at: str | None) -> None:
    """Print one memory (by name or file name); --at shows an earlier version."""
    if at is not None:
        text = store.history_text(name, at)
        echo_json({"name": name, "at": at, "text": text}) if as_json else click.echo(text, nl=False)
        return
    memory = store.get(name)
    if as_json:
        echo_json(
            {
                "filename": memory.filename,
                "path": str(memory.path),
                "name": memory.name,
                "description": memory.description,
                "type": memory.type.value if memory.type else None,
                "age_days": memory.age_days,
                "extra": dict(memory.extra),
                "body": memory.body,
            }
        )
        return
    click.echo(
        f"{memory.name}  [{memory.type or memory.raw_type or 'no type'}]  "
        f"{age_label(memory.age_days)}  {memory.path}"
    )
    click.echo(memory.description)
    click.echo()
    click.echo(memory.body.rstrip())


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
    click.echo(f"Saved {result.memory.path}")
    for warning in result.warnings:
        click.echo(f"Warning: {result.memory.filename}: {warning}", err=True)


@click.command()
@click.argument("name")
@pass_store
def edit(store: MemoryDir, name: str) -> None:
    """Open a memory in $EDITOR; the file is replaced only if the result is valid."""
    header = store.find(name)
    original = header.path.read_text(encoding="utf-8")
    edited = click.edit(original, extension=".md", require_save=True)
    if edited is None or edited == original:
        click.echo("No changes.")
        return
    path = save_edit(store, header.filename, edited)
    click.echo(f"Saved {path}")


@click.command()
@click.argument("name")
@pass_store
def forget(store: MemoryDir, name: str) -> None:
    """Delete a memory and its index line."""
    path = store.delete(name)
    click.echo(f"Deleted {path}")
    if store.recorder.enabled:
        click.echo(f"Restore it with: memory restore {path.stem}")


@click.command("index")
@click.option("--check", is_flag=True, help="Report drift; exit 1 if any (the default).")
@click.option("--fix", is_flag=True, help="Add missing entries, drop entries for gone files.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def index_cmd(ctx: click.Context, check: bool, fix: bool, as_json: bool) -> None:
    """Check MEMORY.md against the files, or repair it with --fix.

    Lines that people or agents wrote are never rewritten.
    """
    store: MemoryDir = ctx.obj
    if fix:
        changes = store.sync_index()
        if as_json:
            echo_json({"added": list(changes.added), "removed": list(changes.removed)})
        elif not changes.changed:
            click.echo("Index is in sync.")
        for line in changes.added if not as_json else ():
            click.echo(f"added:   {line}")
        for line in changes.removed if not as_json else ():
            click.echo(f"removed: {line}")
        return
    problems = store.index_problems()
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
@pass_store
def prompt(store: MemoryDir) -> None:
    """Print the memory section for an agent's system prompt (with the capped index)."""
    capped = store.load_index()
    click.echo(build_memory_prompt(index_text=capped.text, memory_dir=str(store.path)), nl=False)


COMMANDS = [where, init, list_, show, add, edit, forget, index_cmd, prompt]
