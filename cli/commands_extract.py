"""`memory extract`: save what a conversation taught, in the background or right now."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from memdir.store import MemoryDir

from .output import echo_json, json_option, progress_bar

if TYPE_CHECKING:
    from memdir.extract import ExtractionResult, RunReport

pass_store = click.make_pass_decorator(MemoryDir)


def render_result(result: ExtractionResult) -> list[str]:
    """One run for a person: what happened, then each file written."""
    kind = "trailing run" if result.trailing else "run"
    head = f"{kind} for session {result.session_id}: {result.status}"
    details = [f"{result.messages} new message(s)"]
    if result.turns:
        details.append(f"{result.turns} model turn(s)")
    if result.reason:
        details.append(result.reason)
    lines = [f"{head} ({'; '.join(details)})"]
    for change in result.changes:
        moved = f" (from {change.old_path})" if change.old_path else ""
        lines.append(f"  {change.action}: {change.path}{moved}")
    return lines


def render_report(report: RunReport) -> str:
    if report.queued:
        return "Another extraction is running for this folder; this request runs right after it."
    lines: list[str] = []
    for result in report.results:
        lines += render_result(result)
    return "\n".join(lines) or "Nothing was run."


@click.command()
@click.option(
    "--transcript",
    required=True,
    type=click.Path(path_type=Path),
    help="Claude Code session file (JSONL) or a JSON list of Messages API messages.",
)
@click.option("--session", "session_id", help="Session id. Default: the transcript's file stem.")
@click.option("--wait", is_flag=True, help="Run in the foreground and print what was written.")
@json_option()
@pass_store
def extract(
    store: MemoryDir, transcript: Path, session_id: str | None, wait: bool, as_json: bool
) -> None:
    """Save memories from the new messages of a conversation.

    Reads only the messages after the last extraction of this session, and only what
    the user and the agent said (tool output is never used). Skips them when the agent
    already wrote to the memory folder itself. Needs ANTHROPIC_API_KEY.

    Without --wait the work is queued in a background process (output in the state
    folder's logs/extract.log) and the command returns at once. If an extraction is
    already running for the folder, the request runs right after it.

    \b
    Example:
        memory extract --transcript ~/.claude/projects/-src-app/1f2e.jsonl --wait
    """
    if not wait:
        from memdir.daemon import queue_extraction

        scheduled = queue_extraction(
            store.path,
            transcript.absolute(),
            session_id=session_id or transcript.stem,
            state_dir=store.state_path,
            strict=True,
        )
        if as_json:
            echo_json(scheduled.to_json())
        elif scheduled.by == "daemon":
            click.echo(f"Queued extraction for session {scheduled.session_id} in the daemon.")
        else:
            click.echo(
                f"Queued extraction for session {scheduled.session_id}; log: {scheduled.log}"
            )
        return
    from memdir.extract import extract_now

    with progress_bar("Extracting", show=not as_json) as update:
        request, report = extract_now(
            store, transcript.absolute(), session_id=session_id, progress=update
        )
    if as_json:
        echo_json({**report.to_json(), "requested_at": request.requested_at})
    else:
        click.echo(render_report(report))
    if any(r.status == "failed" for r in report.results):
        click.get_current_context().exit(1)


COMMANDS = [extract]
