"""`memory doctor` and `memory completion`: checking the setup, and shell completion."""

from __future__ import annotations

import click

from memdir.store import MemoryDir

from .names import folder_reason
from .output import echo_json, echo_styled, json_option, styled

_MARKS = {"ok": ("ok", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "red")}


@click.command()
@json_option()
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check the setup: folder, Claude Code hooks, daemon, model, breaker, history, team.

    Each line says ok, warn or FAIL, and what to do when it is not ok. Exits 1 when a
    check fails.

    \b
    Example:
        memory doctor
    """
    from memdir.integrations import diagnose

    store: MemoryDir = ctx.obj
    checks = diagnose(store, reason=folder_reason(ctx))
    if as_json:
        echo_json({"checks": [c.to_json() for c in checks]})
    else:
        width = max(len(c.name) for c in checks)
        for check in checks:
            label, colour = _MARKS[check.status]
            line = f"{styled(label.ljust(4), colour)}  {check.name.ljust(width)}  {check.detail}"
            echo_styled(line)
            if check.fix and check.status != "ok":
                click.echo(f"      {' ' * width}  -> {check.fix}")
    if any(c.status == "fail" for c in checks):
        ctx.exit(1)


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script for SHELL (bash, zsh or fish).

    Completes commands, options and the memory names of show, edit and forget.

    \b
    Examples:
        eval "$(memory completion bash)"        # in ~/.bashrc
        eval "$(memory completion zsh)"         # in ~/.zshrc
        memory completion fish > ~/.config/fish/completions/memory.fish
    """
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None  # the choice above lists only shells click supports
    root = ctx.find_root().command
    click.echo(cls(root, {}, "memory", "_MEMORY_COMPLETE").source())


COMMANDS = [doctor, completion]
