"""`memory dream`: consolidate the memory folder (plan, check, apply), its status and runs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from memdir.dream import consolidate, show, status
from memdir.paths import verification_root
from memdir.store import MemoryDir

from .output import echo_json, json_option, progress_bar

pass_store = click.make_pass_decorator(MemoryDir)

#: Statuses that mean "look at this": the plan was held, the run failed or could not start.
_PROBLEM = frozenset({"held", "failed", "busy"})


def _when(stamp: float | None) -> str:
    if not stamp:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def render_run(data: dict[str, Any]) -> str:
    """A run record (`DreamRun.to_json` or a stored one) as text for people."""
    passes = ", ".join(data.get("passes") or []) or "none"
    lines = [
        f"Run {data['run']} ({data.get('trigger')}, {data.get('mode')}; passes: {passes}): "
        f"{data['status']}"
    ]
    plan = data.get("plan") or {}
    counts = plan.get("counts") or {}
    if counts:
        lines.append(
            "Plan: "
            + ", ".join(
                f"{counts.get(k, 0)} {k}"
                for k in ("kept", "updated", "merged", "archived", "created")
            )
        )
    for entry in plan.get("entries", []):
        action = entry["action"]
        if action == "kept":
            continue
        detail = entry.get("reason", "")
        if action == "merged":
            detail = f"→ {entry.get('into')}"
        elif action == "archived" and entry.get("superseded_by"):
            detail = f"{detail} (superseded by {entry['superseded_by']})"
        lines.append(f"  {action:8} {entry['file']}" + (f"  {detail}" if detail else ""))
    verdict = data.get("guard")
    if verdict:
        state = "ok" if verdict["ok"] else "OVER THE LIMIT"
        lines.append(
            f"Loss guard: retires {len(verdict['retired'])}, limit {verdict['limit']} per run "
            f"and per window ({verdict['window_used']} retired recently): {state}"
        )
    gate = data.get("recall_gate")
    if gate:
        lost = gate["unreachable"]
        lines.append(
            f"Recall gate: {gate['replayed']} recent queries replayed, {gate['judged']} "
            f"recalled memories checked, {len(lost)} made unreachable"
        )
    for file, why in (data.get("flagged") or {}).items():
        lines.append(f"Flagged, left as is: {file} — {why}")
    report = data.get("report") or []
    if report:
        lines.append("Changes (from the diff):")
        for item in report:
            why = f" — {item['why']}" if item.get("why") else ""
            lines.append(
                f"  {item['change']:8} {item['file']} "
                f"(+{item['lines_added']} -{item['lines_removed']}){why}"
            )
    if data.get("message"):
        lines.append(data["message"])
    return "\n".join(lines)


def render_status(data: dict[str, Any]) -> str:
    nxt = data["next"]
    last = data.get("last_run")
    lines = [f"Folder: {data['folder']}", f"Last consolidated: {_when(data['last_consolidated'])}"]
    if last:
        lines.append(
            f"Last run: {last['run']} ({last['trigger']}, {last['mode']}): {last['status']}"
        )
    when = "now" if nxt["time_ok"] else _when(nxt["time_ok_at"])
    lines.append(
        f"Next automatic run: {'due' if nxt['due'] else 'not due'} (time gate opens {when}; "
        f"{nxt['sessions']} of {nxt['sessions_needed']} sessions since the last run)"
    )
    lock = data.get("lock")
    if lock is None:
        lines.append("Lock: free")
    else:
        state = "held" if lock["live"] else "stale (free to take)"
        lines.append(f"Lock: {state} by pid {lock['pid']} since {_when(lock['started'])}")
    if data.get("recovered"):
        lines.append(f"Finished the interrupted apply of run {data['recovered']}.")
    lines.append(f"Archive of retired memories: {data['archive']}")
    return "\n".join(lines)


@click.command("dream")
@click.option("--dry-run", "mode", flag_value="dry-run", default=True, help="Plan only (default).")
@click.option("--apply", "mode", flag_value="apply", help="Apply the plan if it passes the checks.")
@click.option("--offline", is_flag=True, help="Offline pass only, even with a model configured.")
@click.option("--allow-loss", is_flag=True, help="Apply a plan the loss guard or recall gate held.")
@click.option("--status", "want_status", is_flag=True, help="Last run, next due, lock holder.")
@click.option("--show", "show_run", is_flag=True, help="Show a recorded run (default: the last).")
@click.option(
    "--project",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Project to check named files against. Default: the git root here, if any.",
)
@json_option("Print the run as JSON.")
@click.argument("run", required=False)
@pass_store
def dream_command(
    store: MemoryDir,
    mode: str,
    offline: bool,
    allow_loss: bool,
    want_status: bool,
    show_run: bool,
    project: Path | None,
    as_json: bool,
    run: str | None,
) -> None:
    """Consolidate the memory folder: merge duplicates, make dates absolute, retire what
    is stale, tidy the index. Works on a copy; the plan is checked by the loss guard and
    the recall gate before anything is applied, as one operation `memory undo` reverts.

    \b
    Examples:
        memory dream                      # plan only: what would change
        memory dream --apply              # plan and apply when the checks pass
        memory dream --apply --allow-loss # apply a plan the checks held
        memory dream --status             # last run, next due, lock holder
        memory dream --show               # the last run's plan and report
    """
    ctx = click.get_current_context()
    if want_status and show_run:
        raise click.UsageError("give --status or --show, not both")
    if run is not None and not show_run:
        raise click.UsageError("a RUN is only taken with --show")
    if want_status:
        data = status(store)
        echo_json(data) if as_json else click.echo(render_status(data))
        return
    if show_run:
        data = show(store, run)
        echo_json(data) if as_json else click.echo(render_run(data))
        return
    if allow_loss and mode != "apply":
        raise click.UsageError("--allow-loss goes with --apply")
    with progress_bar("Consolidating", show=not as_json) as update:
        result = consolidate(
            store,
            apply=mode == "apply",
            offline=offline,
            allow_loss=allow_loss,
            project_root=verification_root(project=project),
            progress=update,
        )
    data = result.to_json()
    echo_json(data) if as_json else click.echo(render_run(data))
    if result.status in _PROBLEM:
        ctx.exit(1)


COMMANDS = [dream_command]
