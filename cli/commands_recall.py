"""`memory recall` and `memory stats`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from memdir.paths import verification_root
from memdir.store.folder import MemoryDir

if TYPE_CHECKING:
    from memdir.recall import RecallResult

from .output import age_label, echo_json

pass_store = click.make_pass_decorator(MemoryDir)


def render_human(result: RecallResult, *, explain: bool) -> str:
    """The recall result for a person: selector, then each memory with its notes."""
    lines = []
    how = "the model" if result.selector == "llm" else "the offline selector"
    head = f"Selected by {how}"
    if result.fallback_reason:
        head += f" ({result.fallback_reason})"
    lines.append(head + ".")
    if result.skipped:
        lines.append(f"Nothing recalled: {result.skipped}.")
    elif not result.memories:
        lines.append("No memory clearly helps with this query.")
    for m in result.memories:
        h = m.header
        kind = h.type.value if h.type else "untyped"
        weak = "  (weaker match)" if m.low_confidence else ""
        lines += ["", f"== {h.name}  [{kind}]  {age_label(m.age_days)}  {h.path}{weak}"]
        if explain and m.why:
            lines.append(f"   why: {m.why}")
        if m.freshness:
            lines.append(f"   ! {m.freshness}")
        if m.references:
            from memdir.verify import render_note

            # The same wording the agent sees in the recall block; problems flagged.
            for line in render_note(m.references).splitlines():
                lines.append(f"   {'  ' if line.endswith(': found') else '! '}{line}")
        lines.append("")
        lines += ["   " + line if line else "" for line in m.content.splitlines()]
        if m.truncated:
            lines.append(f"   [cut; the whole memory is in {h.path}]")
    return "\n".join(lines)


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
    type=click.IntRange(1, 50),
    help="Return up to this many, weaker matches marked as such (default: only clear ones).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
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
    from memdir.daemon.client import recall as run_recall

    result = run_recall(
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
        echo_json(result.to_json())
    else:
        click.echo(render_human(result, explain=explain))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_store
def stats(store: MemoryDir, as_json: bool) -> None:
    """Show counters: recalls, model attempts, retries, breaker opens, fallbacks, extractions."""
    from memdir.model.breaker import CircuitBreaker
    from memdir.stats import Stats

    counters = Stats(store.state_path).read()
    breaker = CircuitBreaker(store.state_path).snapshot()
    report = store.scan()
    data = {
        "memory_dir": str(store.path),
        "memories": len(report.memories),
        "unreadable_files": len(report.problems),
        "breaker": breaker.state.value,
        "counters": counters,
    }
    if as_json:
        echo_json(data)
        return
    click.echo(f"memory folder: {data['memory_dir']}")
    click.echo(f"memories: {data['memories']} ({data['unreadable_files']} unreadable)")
    click.echo(f"circuit breaker: {data['breaker']}")
    for name in sorted(counters):
        click.echo(f"{name}: {counters[name]}")


COMMANDS = [recall, stats]
