"""The README's CLI reference, made from each command's ``--help``.

``make reference`` (or ``python -m memdir_cli.reference README.md``) rewrites the part of
the README between the two markers, and the JSON shapes table (from `memdir_cli.shapes`);
``tests/test_docs.py`` checks the README against both, so neither can drift.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

START = "<!-- cli-reference: start (make reference writes this part) -->"
END = "<!-- cli-reference: end -->"
#: Help is rendered at a fixed width, so the reference does not depend on a terminal.
WIDTH = 88


def commands(
    group: click.Group, parent: click.Context | None = None
) -> Iterator[tuple[click.Context, click.Command]]:
    """Every visible command under `group`, depth first, with its context."""
    ctx = parent or click.Context(group, info_name="memory", terminal_width=WIDTH)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = click.Context(command, info_name=name, parent=ctx, terminal_width=WIDTH)
        yield sub, command
        if isinstance(command, click.Group):
            yield from commands(command, sub)


def render(group: click.Group) -> str:
    """The reference section: one heading and one ``--help`` block per command."""
    parts = [START, ""]
    root = click.Context(group, info_name="memory", terminal_width=WIDTH)
    parts += ["### `memory`", "", "```text", group.get_help(root), "```", ""]
    for ctx, command in commands(group):
        parts += [f"### `{ctx.command_path}`", "", "```text", command.get_help(ctx), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def section(readme: str) -> str:
    """The reference part of a README (markers included), or '' when it has none."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < 0:
        return ""
    return readme[start : end + len(END)]


def main(argv: list[str]) -> int:
    """Rewrite the reference in the README named by `argv[0]`."""
    from . import shapes
    from .app import cli

    path = Path(argv[0] if argv else "README.md")
    text = path.read_text(encoding="utf-8")
    current = section(text)
    if not current:
        sys.stderr.write(f"{path}: no {START!r} marker\n")
        return 2
    text = text.replace(current, render(cli))
    shapes_part = shapes.section(text)
    if not shapes_part:
        sys.stderr.write(f"{path}: no {shapes.START!r} marker\n")
        return 2
    text = text.replace(shapes_part, shapes.render())
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
