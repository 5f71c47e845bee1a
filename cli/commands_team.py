"""`memory team init|status|sync`, `memory share` and `memory unshare`."""

from __future__ import annotations

from pathlib import Path

import click

from memdir.store import MemoryDir

from .output import echo_json, json_option, progress_bar

pass_store = click.make_pass_decorator(MemoryDir)


@click.group()
def team() -> None:
    """Share project and reference memories with a team through a git remote.

    \b
    Set up (each teammate, once):
        memory team init git@github.com:acme/agent-memory.git
        memory team sync          # or let `memory watch` sync in the background
        memory team status
    """


@team.command("init")
@click.argument("remote", required=False)
@click.option(
    "--in-repo",
    "in_repo",
    is_flag=False,
    flag_value=".",
    default=None,
    metavar="[PATH]",
    help="Keep team memories in a folder of the project's own git repository "
    "(default .claude/team-memory); memdir never commits there.",
)
@json_option()
@pass_store
def team_init(store: MemoryDir, remote: str | None, in_repo: str | None, as_json: bool) -> None:
    """Clone a team memory repository into the memory folder's team/ subfolder.

    REMOTE is any git URL or path; an empty repository is set up for memdir. With
    --in-repo, a folder inside this project's repository is used instead (no REMOTE).

    \b
    Examples:
        memory team init https://git.example.com/acme/agent-memory.git
        memory team init --in-repo
    """
    from memdir.team import init_in_repo, init_team

    if in_repo is not None:
        if remote is not None:
            raise click.UsageError("give a REMOTE or --in-repo, not both")
        result = init_in_repo(store, None if in_repo == "." else Path(in_repo))
    elif remote is None:
        raise click.UsageError("give the team's git REMOTE (or --in-repo)")
    else:
        with progress_bar("Team", show=not as_json) as update:
            result = init_team(store, remote, progress=update)
    if as_json:
        echo_json(result.to_json())
        return
    if result.remote is None:
        click.echo(f"Team memories live in {result.root} (commit them with the project).")
    else:
        what = "a new team memory" if result.created else f"{result.memories} team memories"
        click.echo(f"Cloned {result.remote} into {result.root}: {what}.")


@team.command("status")
@json_option()
@pass_store
def team_status_cmd(store: MemoryDir, as_json: bool) -> None:
    """Remote, last sync, changes not shared yet, incoming changes, files held back.

    Works offline: incoming changes are those the last sync fetched.
    """
    from memdir.team import team_status

    status = team_status(store)
    if as_json:
        echo_json(status.to_json())
        return
    if status.mode == "none":
        click.echo("No team folder; `memory team init REMOTE` sets one up.")
        return
    if status.mode == "in-repo":
        click.echo(f"In-repo team folder: {status.root} (shared by the project's commits)")
    else:
        click.echo(f"Remote: {status.remote} (branch {status.branch})")
        click.echo(f"Last sync: {status.last_sync or 'never'}")
        if status.last_error:
            click.echo(f"Last error: {status.last_error}")
        waiting = len(status.local_changes)
        click.echo(
            f"Not shared yet: {waiting} changed file(s), {status.unpushed_commits} commit(s)"
        )
        for path in status.local_changes:
            click.echo(f"  {path}")
        click.echo(f"Incoming (as of the last sync): {status.incoming_commits} commit(s)")
        for path in status.incoming_files:
            click.echo(f"  {path}")
    for held in status.held_back:
        click.echo(f"Held back: {held.path}: {held.reason}")
    for copy in status.conflict_copies:
        click.echo(f"Conflict copy: {copy} (merge it into the original, then delete it)")
    if status.config_problem:
        click.echo(f"Config: {status.config_problem}")


@team.command("sync")
@click.option("--budget", type=float, default=30.0, show_default=True, help="Seconds to retry.")
@json_option()
@pass_store
def team_sync(store: MemoryDir, budget: float, as_json: bool) -> None:
    """Commit local team changes, fetch, integrate and push (retrying within --budget).

    Conflicting edits never leave conflict markers: the other side is saved beside the
    memory as NAME.conflict-ID.md. Files holding a credential are never shared.
    """
    from memdir.team import RetryPolicy, sync_team

    with progress_bar("Team sync", show=not as_json) as update:
        result = sync_team(store, policy=RetryPolicy(budget_s=budget), progress=update)
    if as_json:
        echo_json(result.to_json())
        return
    click.echo(
        f"Synced with {result.remote}: {len(result.committed)} file(s) shared, "
        f"{len(result.received)} received."
    )
    for path in result.merged:
        click.echo(f"Merged: {path}")
    for path, copy in result.conflicts:
        click.echo(f"Conflict: {path}: the other version is saved as {copy}")
    for path in result.kept_edits:
        click.echo(f"Kept an edit of {path} that someone else deleted")
    for held in result.held_back:
        click.echo(f"Held back: {held.path}: {held.reason}")


@click.command()
@click.argument("name")
@pass_store
def share(store: MemoryDir, name: str) -> None:
    """Move a private memory into the team folder (the next sync shares it)."""
    from memdir.team import share_memory

    moved = share_memory(store, name)
    click.echo(f"Shared: {moved.before} -> {moved.after}")


@click.command()
@click.argument("name")
@pass_store
def unshare(store: MemoryDir, name: str) -> None:
    """Move a team memory back to the private folder (the next sync removes it)."""
    from memdir.team import unshare_memory

    moved = unshare_memory(store, name)
    click.echo(f"Unshared: {moved.before} -> {moved.after}")


COMMANDS = [team, share, unshare]
