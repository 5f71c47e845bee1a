"""`memory hook claude-code ...`, `memory install claude-code`, `memory uninstall claude-code`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from .hook_runner import run_claude_code_hook
from .output import echo_json, json_option

if TYPE_CHECKING:
    from memdir.integrations.claude_code import Scope, SettingsChange
    from memdir.store import MemoryDir

SCOPE_HELP = {
    "user": "Your user settings (<config>/settings.json): every project (the default).",
    "project": "The project's .claude/settings.json, shared with everyone using the repository.",
    "local": "The project's .claude/settings.local.json: this project, this machine only.",
}


def _run_hook(event: str) -> None:
    directory = click.get_current_context().find_root().params.get("directory")
    run_claude_code_hook(event, str(directory) if directory else None)


@click.group()
def hook() -> None:
    """Run memdir as an agent's hook: read the hook's JSON on stdin, answer on stdout.

    These commands are meant to be called by the agent; `memory install` sets them up.
    """


@hook.group("claude-code")
def hook_claude_code() -> None:
    """Claude Code hooks. They always exit 0; problems go to <state>/hooks.log.

    \b
    Try one by hand:
        echo '{"session_id": "s1", "transcript_path": "/tmp/t.jsonl", "cwd": "'$PWD'",
               "hook_event_name": "UserPromptSubmit", "prompt": "how do we deploy?"}' \\
          | memory hook claude-code user-prompt-submit
    """


@hook_claude_code.command("user-prompt-submit")
def user_prompt_submit() -> None:
    """Recall memories for the prompt and print them as additionalContext."""
    _run_hook("user-prompt-submit")


@hook_claude_code.command("stop")
def stop() -> None:
    """Queue extraction for the turn that just ended, and return at once."""
    _run_hook("stop")


@hook_claude_code.command("session-end")
def session_end() -> None:
    """Queue a last extraction, for turns whose Stop hook never ran."""
    _run_hook("session-end")


def _scope_options(func: Callable[..., None]) -> Callable[..., None]:
    decorators = [
        click.option("--user", is_flag=True, help=SCOPE_HELP["user"]),
        click.option("--project", is_flag=True, help=SCOPE_HELP["project"]),
        click.option("--local", is_flag=True, help=SCOPE_HELP["local"]),
        click.option("--dry-run", is_flag=True, help="Print the change as a diff; write nothing."),
        json_option(),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _scope(user: bool, project: bool, local: bool) -> Scope:
    chosen = [name for name, on in (("user", user), ("project", project), ("local", local)) if on]
    if len(chosen) > 1:
        raise click.UsageError(f"use only one of --{' and --'.join(chosen)}")
    return chosen[0] if chosen else "user"  # type: ignore[return-value]


def _apply(
    change: SettingsChange, *, scope: str, dry_run: bool, as_json: bool, done: str, nothing: str
) -> None:
    from memdir.integrations.claude_code import apply_change

    backup = None
    if change.changed and not dry_run:
        backup = apply_change(change)
    if as_json:
        echo_json(
            {
                "scope": scope,
                "path": str(change.path),
                "changed": change.changed,
                "dry_run": dry_run,
                "events": list(change.events) if change.changed else [],
                "removed_file": change.remove and change.changed and not dry_run,
                "backup": str(backup) if backup else None,
                "diff": change.diff() if dry_run else None,
            }
        )
        return
    if not change.changed:
        click.echo(nothing)
        return
    if dry_run:
        click.echo(change.diff(), nl=False)
        click.echo(f"(dry run: {change.path} was not changed)")
        return
    if change.remove:
        click.echo(f"{done} {', '.join(change.events)}; {change.path} held nothing else: removed")
    else:
        click.echo(f"{done} {', '.join(change.events)} in {change.path}")
    if backup is not None:
        click.echo(f"The previous file is kept in {backup} (copy it back to undo).")


@click.group()
def install() -> None:
    """Install memdir into an agent."""


@install.command("claude-code")
@_scope_options
def install_claude_code(
    user: bool, project: bool, local: bool, dry_run: bool, as_json: bool
) -> None:
    """Add memdir's hooks to Claude Code's settings.

    UserPromptSubmit recalls memories for each prompt, Stop queues extraction after each
    turn, SessionEnd queues a last one. Existing hooks and settings are kept, the file is
    backed up first (into memdir's state folder), and running it again changes nothing.
    The hooks use the memory folder Claude Code uses for each project.

    --user and --local run `memory` by this machine's absolute path. --project writes the
    repository's shared file, so it runs `memory` from PATH: every teammate needs memdir
    on PATH (the install is refused when it is not on PATH here).

    \b
    Examples:
        memory install claude-code --dry-run
        memory install claude-code            # user settings: every project
        memory install claude-code --project  # this repository's .claude/settings.json
    """
    from memdir.integrations.claude_code import command_for, plan_install, settings_path

    scope = _scope(user, project, local)
    path = settings_path(scope)
    change = plan_install(path, command=command_for(scope))
    _apply(
        change,
        scope=scope,
        dry_run=dry_run,
        as_json=as_json,
        done="Installed memdir's hooks for",
        nothing=f"memdir's hooks are already installed in {path}; nothing changed.",
    )


@install.command("git-hook")
@click.pass_obj
def install_git_hook(store: MemoryDir) -> None:
    """Add a pre-commit hook refusing team memories with a credential or invalid frontmatter.

    For an in-repo team folder (`memory team init --in-repo`): memdir never commits there,
    so this hook checks each staged file of that folder before the project's own commits.

    \b
    Example:
        memory team init --in-repo && memory install git-hook
    """
    from memdir.team import install_for

    click.echo(f"Installed the pre-commit hook: {install_for(store)}")


@click.group()
def uninstall() -> None:
    """Remove memdir from an agent."""


@uninstall.command("claude-code")
@_scope_options
def uninstall_claude_code(
    user: bool, project: bool, local: bool, dry_run: bool, as_json: bool
) -> None:
    """Remove memdir's hooks from Claude Code's settings; other hooks are kept.

    A file left with nothing in it is removed. The previous file is backed up into
    memdir's state folder first.

    \b
    Example:
        memory uninstall claude-code --dry-run
    """
    from memdir.integrations.claude_code import plan_uninstall, settings_path

    scope = _scope(user, project, local)
    path = settings_path(scope)
    change = plan_uninstall(path)
    _apply(
        change,
        scope=scope,
        dry_run=dry_run,
        as_json=as_json,
        done="Removed memdir's hooks for",
        nothing=f"No memdir hooks in {path}; nothing changed.",
    )


COMMANDS = [hook, install, uninstall]
