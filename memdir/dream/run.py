"""One consolidation run, start to finish, and what ``--status`` and ``--show`` report.

Orient and Gather: the folder is copied to a staging folder and read there (with recent
transcripts, when given). Consolidate and Prune: the offline pass, then the model pass
when a model is configured. The plan is read from the staged copy's difference to the
folder, judged by the loss guard and the recall gate, then applied as one operation, or
held (kept staged, nothing applied) with what would be lost and how to apply it anyway.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import MemoryNotFoundError, ModelError
from ..fsio import atomic_write
from ..model.boundary import MessageCreator
from ..progress import Progress, no_progress
from ..store.folder import MemoryDir
from ..store.walk import INDEX_NAME
from . import guard, staging
from .apply import apply as apply_plan
from .apply import recover
from .gather import recent_transcripts
from .layout import DreamFiles, new_run_id, tidy
from .lock import RunLock, read_holder
from .offline import run_offline, tidy_index
from .plan import Plan, build_plan
from .recall_gate import GateResult, replay
from .report import diff_report
from .settings import DreamSettings
from .triggers import check_due


@dataclass(frozen=True, slots=True)
class DreamRun:
    """What one run did (or would do). `status` is one of: ``applied``, ``planned``
    (a dry run), ``held`` (over the guard or flagged by the recall gate; nothing applied),
    ``nothing`` (nothing to change), ``failed``, ``busy`` (another run holds the lock),
    ``not-due`` (an automatic run whose gates are closed)."""

    run_id: str
    status: str
    trigger: str = "manual"
    mode: str = "dry-run"
    passes: tuple[str, ...] = ()
    started: float = 0.0
    finished: float = 0.0
    plan: Plan = field(default_factory=lambda: Plan(()))
    verdict: guard.Verdict | None = None
    gate: GateResult | None = None
    report: tuple[dict[str, Any], ...] = ()
    flagged: Mapping[str, str] = field(default_factory=dict)
    dates_fixed: int = 0
    message: str = ""
    model_summary: str = ""
    base: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "status": self.status,
            "trigger": self.trigger,
            "mode": self.mode,
            "passes": list(self.passes),
            "started": self.started,
            "finished": self.finished,
            "plan": self.plan.to_json(),
            "guard": self.verdict.to_json() if self.verdict else None,
            "recall_gate": self.gate.to_json() if self.gate else None,
            "report": list(self.report),
            "flagged": dict(self.flagged),
            "dates_fixed": self.dates_fixed,
            "message": self.message,
            "model_summary": self.model_summary,
            "base": dict(self.base),
        }


def _digest(snap: Mapping[str, bytes]) -> dict[str, str]:
    return {path: hashlib.sha256(data).hexdigest() for path, data in snap.items()}


def _memory_count(snap: Mapping[str, bytes]) -> int:
    return sum(1 for path in snap if path != INDEX_NAME and not staging.is_team(path))


def consolidate(
    store: MemoryDir,
    *,
    apply: bool = False,
    offline: bool = False,
    allow_loss: bool = False,
    trigger: str = "manual",
    settings: DreamSettings | None = None,
    client: MessageCreator | None = None,
    project_root: Path | None = None,
    transcripts: Sequence[Path] = (),
    today: date | None = None,
    progress: Progress = no_progress,
) -> DreamRun:
    """Consolidate `store`: plan on a staging copy, check, and apply when `apply` is set.

    With `allow_loss` and `apply`, a held plan whose folder has not changed since is
    applied as it was planned. A model is used unless `offline` (or none is configured).
    `progress` hears each phase memory by memory: ``copying the folder``, ``reading
    memories``, ``fixing dates``, ``checking references`` (with a project), ``model
    turns`` (with a model), ``replaying recall queries``, ``applying`` (when applied).

    Raises:
        MemoryNotFoundError: the memory folder does not exist.
    """
    settings = settings or DreamSettings.from_env()
    files = DreamFiles.for_folder(store.path, store.state_path)
    if not store.exists():
        raise MemoryNotFoundError("the memory folder does not exist", path=store.path)
    recover(store, files)
    run_id = new_run_id()
    mode = "apply" if apply else "dry-run"
    lock = RunLock(files, stale_s=settings.lock_stale_s)
    if not lock.acquire(run_id):
        holder = read_holder(files)
        who = f"pid {holder.pid}" if holder else "another process"
        return DreamRun(run_id, "busy", trigger, mode, message=f"a run is going ({who})")
    try:
        held_id = _latest_held_id(files)
        tidy(files, keep_staging=held_id)
        if trigger == "auto":
            due = check_due(store.path, store.state_path, settings=settings, check_lock=False)
            if not due.due:
                return DreamRun(run_id, "not-due", trigger, mode, message=due.reason)
        if apply and allow_loss:
            held = _held_run(files, store)
            if held is not None:
                return _record(files, _apply_held(store, files, held, progress))
        result = _run(
            store,
            files,
            run_id,
            settings=settings,
            apply=apply,
            offline=offline,
            allow_loss=allow_loss,
            trigger=trigger,
            client=client,
            project_root=project_root,
            transcripts=transcripts,
            today=today,
            progress=progress,
        )
        return _record(files, result)
    finally:
        lock.release()


def _run(
    store: MemoryDir,
    files: DreamFiles,
    run_id: str,
    *,
    settings: DreamSettings,
    apply: bool,
    offline: bool,
    allow_loss: bool,
    trigger: str,
    client: MessageCreator | None,
    project_root: Path | None,
    transcripts: Sequence[Path],
    today: date | None,
    progress: Progress = no_progress,
) -> DreamRun:
    started = time.time()
    mode = "apply" if apply else "dry-run"
    stage_dir = files.staging(run_id)
    before = staging.stage(store.path, stage_dir, progress)
    staged = MemoryDir(stage_dir, state=files.root / "scratch")
    changed_at = {h.filename: h.changed_at for h in staged.scan(use_cache=False).memories}
    passes = ["offline"]
    keep_staging = False
    try:
        result = run_offline(
            staged,
            settings=settings,
            project_root=project_root,
            exclude=(store.path,),
            today=today,
            progress=progress,
        )
        notes = result.notes
        summary = ""
        model = client if client is not None else (None if offline else _configured_model(store))
        if model is not None and not offline:
            from .model_pass import run_model, transcript_evidence

            passes.append("model")
            try:
                sources = list(transcripts) or recent_transcripts(
                    store.path, files.last_consolidated()
                )
                outcome = run_model(
                    staged,
                    model,
                    settings=settings,
                    today=today,
                    evidence=transcript_evidence(sources) if sources else "",
                    progress=progress,
                )
            except ModelError as exc:
                return DreamRun(
                    run_id,
                    "failed",
                    trigger,
                    mode,
                    tuple(passes),
                    started,
                    time.time(),
                    message=f"the model pass failed ({exc.kind}): {exc.message}; nothing was "
                    "applied (`memory dream --offline` runs without the model)",
                )
            for file, reason in outcome.archived.items():
                notes.archive(file, reason)
            summary = outcome.summary
            tidy_index(staged)
        _restore_team(stage_dir, before)
        after = staging.snapshot(stage_dir)
        plan = build_plan(before, after, notes=notes, changed_at=changed_at)
        verdict = guard.check(plan, memories=_memory_count(before), files=files, settings=settings)
        gate = replay(store.path, stage_dir, plan, state=store.state_path, progress=progress)
        common: dict[str, Any] = {
            "trigger": trigger,
            "mode": mode,
            "passes": tuple(passes),
            "started": started,
            "plan": plan,
            "verdict": verdict,
            "gate": gate,
            "flagged": dict(result.flagged),
            "dates_fixed": result.dates_fixed,
            "model_summary": summary,
            "base": _digest(before),
        }
        staged_report = tuple(r.to_json() for r in diff_report(before, after, plan))
        if not plan.changed:
            if apply:
                files.mark_consolidated(started)
            return DreamRun(
                run_id, "nothing", finished=time.time(), message="nothing to change", **common
            )
        if not apply:
            return DreamRun(
                run_id,
                "planned",
                finished=time.time(),
                report=staged_report,
                message="a dry run: nothing was applied (`memory dream --apply` applies it)",
                **common,
            )
        if not (verdict.ok and gate.ok) and not allow_loss:
            keep_staging = True
            if trigger == "auto":
                files.mark_consolidated(started)  # held, not failed: ask again tomorrow
            return DreamRun(
                run_id,
                "held",
                finished=time.time(),
                report=staged_report,
                message=_held_message(verdict, gate),
                **common,
            )
        apply_plan(store, files, run_id, before=before, after=after, plan=plan, progress=progress)
        real = diff_report(before, staging.snapshot(store.path), plan)
        return DreamRun(
            run_id,
            "applied",
            finished=time.time(),
            report=tuple(r.to_json() for r in real),
            message="applied as one operation; `memory undo` reverts it",
            **common,
        )
    finally:
        staging.discard(files.root / "scratch")
        if not keep_staging:
            staging.discard(stage_dir)


def _configured_model(store: MemoryDir) -> MessageCreator | None:
    from ..model.config import ModelConfig

    config = ModelConfig.from_env()
    if not config.configured:
        return None
    from ..model.boundary import ModelBoundary

    return ModelBoundary(config, state_dir=store.state_path)


def _restore_team(stage_dir: Path, before: Mapping[str, bytes]) -> None:
    """Undo anything a pass did under ``team/``: team memories are the team's to change."""
    now = staging.snapshot(stage_dir)
    for path in set(before) | set(now):
        if not staging.is_team(path) or before.get(path) == now.get(path):
            continue
        target = stage_dir / path
        if path in before:
            atomic_write(target, before[path])
        else:
            target.unlink(missing_ok=True)


def _held_message(verdict: guard.Verdict, gate: GateResult) -> str:
    lines = ["nothing was applied; the plan is kept staged."]
    lines += [f"- {p}" for p in verdict.problems]
    for item in gate.unreachable:
        where = f"(now {item.now})" if item.now else "(archived)"
        lines.append(
            f"- recall of {item.query!r} found {item.file}; after the run it would not {where}"
        )
    if verdict.retired:
        lines.append(f"would be retired (archived, restorable): {', '.join(verdict.retired)}")
    lines.append("to apply it anyway: memory dream --apply --allow-loss")
    return "\n".join(lines)


def _latest_held_id(files: DreamFiles) -> str | None:
    ids = files.run_ids()
    data = files.load_run(ids[-1]) if ids else None
    return ids[-1] if data is not None and data.get("status") == "held" else None


def _held_run(files: DreamFiles, store: MemoryDir) -> dict[str, Any] | None:
    """The newest run if it is held, still staged, and the folder has not changed since."""
    ids = files.run_ids()
    if not ids:
        return None
    data = files.load_run(ids[-1])
    if data is None or data.get("status") != "held" or not files.staging(ids[-1]).is_dir():
        return None
    if _digest(staging.snapshot(store.path)) != data.get("base"):
        return None
    return data


def _apply_held(
    store: MemoryDir, files: DreamFiles, data: dict[str, Any], progress: Progress = no_progress
) -> DreamRun:
    run_id = str(data["run"])
    stage_dir = files.staging(run_id)
    before = staging.snapshot(store.path)
    after = staging.snapshot(stage_dir)
    plan = Plan.from_json(data.get("plan", {}))
    apply_plan(store, files, run_id, before=before, after=after, plan=plan, progress=progress)
    real = diff_report(before, staging.snapshot(store.path), plan)
    staging.discard(stage_dir)
    verdict = data.get("guard") or {}
    return DreamRun(
        run_id,
        "applied",
        str(data.get("trigger", "manual")),
        "apply",
        tuple(data.get("passes", ())),
        float(data.get("started", 0.0)),
        time.time(),
        plan,
        guard.Verdict(
            False,
            tuple(verdict.get("retired", ())),
            int(verdict.get("limit", 0)),
            int(verdict.get("window_used", 0)),
            tuple(verdict.get("problems", ())),
        ),
        None,
        tuple(r.to_json() for r in real),
        dict(data.get("flagged", {})),
        int(data.get("dates_fixed", 0)),
        "the held plan was applied anyway (--allow-loss); `memory undo` reverts it",
        str(data.get("model_summary", "")),
        dict(data.get("base", {})),
    )


def _record(files: DreamFiles, run: DreamRun) -> DreamRun:
    if run.status in ("busy", "not-due"):
        return run
    atomic_write(
        files.run_dir(run.run_id) / "run.json", json.dumps(run.to_json(), indent=2), mode=0o600
    )
    return run
