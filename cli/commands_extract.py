"""`memory extract`: save what a conversation taught, in the background or right now."""

from __future__ import annotations

import time
from pathlib import Path

import click

from memdir.errors import ConfigurationError
from memdir.extract.extractor import ExtractionResult
from memdir.extract.queue import (
    LOG_NAME,
    ExtractionRequest,
    RunReport,
    read_ticket,
    run_request,
)
from memdir.model.boundary import ModelConfig
from memdir.store.folder import MemoryDir

from .output import echo_json

pass_store = click.make_pass_decorator(MemoryDir)

NO_MODEL = (
    "extraction needs a model: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), "
    "optionally MEMDIR_MODEL, and make sure MEMDIR_OFFLINE is not set"
)


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
    type=click.Path(dir_okay=False, path_type=Path),
    help="Claude Code session file (JSONL) or a JSON list of Messages API messages.",
)
@click.option("--session", "session_id", help="Session id. Default: the transcript's file stem.")
@click.option("--wait", is_flag=True, help="Run in the foreground and print what was written.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--request-file", type=click.Path(path_type=Path), hidden=True)
@pass_store
def extract(
    store: MemoryDir,
    transcript: Path,
    session_id: str | None,
    wait: bool,
    as_json: bool,
    request_file: Path | None,
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
    try:
        _extract(store, transcript, session_id, wait=wait, as_json=as_json, ticket=request_file)
    finally:
        # The ticket tells `drain` a detached run is on its way; it ends with this process.
        if request_file is not None:
            request_file.unlink(missing_ok=True)


def _extract(
    store: MemoryDir,
    transcript: Path,
    session_id: str | None,
    *,
    wait: bool,
    as_json: bool,
    ticket: Path | None,
) -> None:
    if not ModelConfig.from_env().configured:
        raise ConfigurationError(NO_MODEL)
    request = read_ticket(ticket) if ticket is not None else None
    if request is None:
        if not transcript.is_file():
            raise click.BadParameter(f"{transcript} is not a file", param_hint="--transcript")
        request = ExtractionRequest(
            transcript.absolute(), session_id or transcript.stem, time.time()
        )
    if not wait:
        from memdir.daemon.client import queue_extraction

        # A running daemon has the SDK loaded: hand it the work, else start a process.
        where = queue_extraction(
            store.path,
            request.transcript,
            session_id=request.session_id,
            state_dir=store.state_path,
        )
        by_daemon = where == "daemon"
        log_path = None if by_daemon else store.state_path / "logs" / LOG_NAME
        if as_json:
            echo_json(
                {
                    "queued": True,
                    "session_id": request.session_id,
                    "by": "daemon" if by_daemon else "process",
                    "log": str(log_path) if log_path else None,
                }
            )
        elif by_daemon:
            click.echo(f"Queued extraction for session {request.session_id} in the daemon.")
        else:
            click.echo(f"Queued extraction for session {request.session_id}; log: {log_path}")
        return
    report = run_request(store, request)
    if as_json:
        echo_json({**report.to_json(), "requested_at": request.requested_at})
    else:
        click.echo(render_report(report))
    if any(r.status == "failed" for r in report.results):
        click.get_current_context().exit(1)


COMMANDS = [extract]
