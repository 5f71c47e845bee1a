"""`memory search`: find memories by a word or a phrase."""

from __future__ import annotations

import click

from memdir.errors import ConfigurationError
from memdir.paths import verification_root
from memdir.recall import search as run_search
from memdir.store import MemoryDir
from memdir.types import MemoryType

from .output import age_label, echo_json, json_option

pass_store = click.make_pass_decorator(MemoryDir)


@click.command()
@click.argument("text")
@click.option("--type", "type_", type=click.Choice(MemoryType.choices()), help="Only this type.")
@click.option(
    "--stale", is_flag=True, help="Only memories naming files or symbols the project lacks."
)
@click.option(
    "--older-than", type=click.IntRange(0), metavar="DAYS", help="Only memories this old or older."
)
@json_option()
@pass_store
def search(
    store: MemoryDir,
    text: str,
    type_: str | None,
    stale: bool,
    older_than: int | None,
    as_json: bool,
) -> None:
    """List every memory whose name, description or body has a word of TEXT, best first.

    One word is enough. Words are matched in their stemmed form ("deploys" finds
    "deploy"), in each memory's language. --stale checks what each match names against
    the git repository here.

    \b
    Example:
        memory search postgres --type project
    """
    root = None
    if stale:
        root = verification_root()
        if root is None:
            raise ConfigurationError(
                "--stale checks memories against a project: run it in a git repository"
            )
    hits = run_search(store, text, type=type_, older_than=older_than, stale_in=root)
    if as_json:
        echo_json([h.to_json() for h in hits])
        return
    if not hits:
        click.echo("No memory matches.")
        return
    for hit in hits:
        h = hit.header
        kind = h.type.value if h.type else "untyped"
        click.echo(f"{h.name}  [{kind}]  {age_label(hit.age_days)}  {h.path}")
        if h.description:
            click.echo(f"    {h.description}")
        for ref in hit.stale:
            click.echo(f"    ! names `{ref.text}`: {ref.status}")


COMMANDS = [search]
