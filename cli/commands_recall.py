"""`memory recall` and `memory stats`."""

from __future__ import annotations

from pathlib import Path

import click

from memdir.paths import verification_root
from memdir.store import MemoryDir

from .output import echo_json, json_option
from .recall_text import MAX_LIMIT, render_human

pass_store = click.make_pass_decorator(MemoryDir)


@click.command()
@click.argument("query")
@click.option("--session", "session_id", help="Session id: skip memories it already saw.")
@click.option("--tools", default="", help="Comma-separated tools the agent used recently.")
@click.option("--offline", is_flag=True, help="Use the offline selector only.")
@click.option("--explain", is_flag=True, help="Show why each memory was chosen.")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project to check named files against. Default: the git root here, if any.",
)
@click.option("--no-verify", is_flag=True, help="Do not check files and names against the project.")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    help="Return up to this many, weaker matches marked as such (default: only clear ones).",
)
@json_option("Print one JSON object.")
@click.option("--no-daemon", is_flag=True, help="Do the work here even if `memory watch` runs.")
@pass_store
def recall(
    store: MemoryDir,
    query: str,
    session_id: str | None,
    tools: str,
    offline: bool,
    explain: bool,
    project: Path | None,
    no_verify: bool,
    limit: int | None,
    as_json: bool,
    no_daemon: bool,
) -> None:
    """Recall the at most five memories that clearly help with QUERY.

    Uses the model when ANTHROPIC_API_KEY is set, else (or when it fails) the offline
    selector, and says which ran. A running `memory watch` answers instead when it can
    (same output, without this process's start-up work).

    \b
    Example:
        memory recall "why are the webhook tests flaky?" --explain
    """
    from memdir.daemon import recall_json

    result = recall_json(
        store.path,
        query,
        state_dir=store.state_path,
        session_id=session_id,
        tools=[t.strip() for t in tools.split(",") if t.strip()],
        offline=offline,
        project_root=verification_root(project=project, verify=not no_verify),
        limit=limit,
        use_daemon=not no_daemon,
    )
    if as_json:
        echo_json(result)
    else:
        click.echo(render_human(result, explain=explain))


@click.command()
@json_option()
@pass_store
def stats(store: MemoryDir, as_json: bool) -> None:
    """Show counters: recalls, model attempts, retries, breaker opens, fallbacks, extractions."""
    from memdir.model import CircuitBreaker
    from memdir.stats import Stats

    counters = Stats(store.state_path).read()
    breaker = CircuitBreaker(store.state_path).snapshot()
    report = store.scan()
    data = {
        "memory_dir": str(store.path),
        "memories": len(report.memories),
        "unreadable_files": len(report.problems),
        "state_dir": str(store.state_path),
        "breaker": breaker.state.value,
        "counters": counters,
    }
    if as_json:
        echo_json(data)
        return
    # The counters and the breaker belong to the state folder, shared by every memory
    # folder: say so, rather than print them under one folder's name.
    click.echo(f"memory folder {data['memory_dir']}:")
    click.echo(f"  memories: {data['memories']} ({data['unreadable_files']} unreadable)")
    click.echo(f"all memory folders (state folder {data['state_dir']}):")
    click.echo(f"  circuit breaker: {data['breaker']}")
    for name in sorted(counters):
        click.echo(f"  {name}: {counters[name]}")


COMMANDS = [recall, stats]
