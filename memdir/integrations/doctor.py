"""`memory doctor`: is everything memdir relies on in place? One check a line, with a fix.

Each check answers ok, warn or fail, and says what to do when it is not ok. The model
SDK is imported here only, to ask it which model names it knows; no other path pays
for that.
"""

from __future__ import annotations

import os
import shlex
import shutil
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..fsio import read_json_object
from ..model.breaker import BreakerState, CircuitBreaker
from ..model.config import ModelConfig
from ..store.folder import MemoryDir
from .claude_code.install import is_ours, settings_path

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: what was checked, how it stands, what to do about it."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"name", "status", "detail", "fix"}``."""
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def diagnose(store: MemoryDir, *, reason: str, cwd: Path | None = None) -> list[Check]:
    """Every check, in the order a person would fix them."""
    checks = [_folder(store, reason)]
    checks += _hooks(cwd)
    checks += [_daemon(store), _model(), _breaker(store)]
    checks += _history(store)
    checks += _team(store)
    return checks


def _folder(store: MemoryDir, reason: str) -> Check:
    if not store.exists():
        return Check(
            "memory folder",
            "warn",
            f"{store.path} (from {reason}) does not exist yet",
            "memory init",
        )
    count = len(store.scan().memories)
    return Check("memory folder", "ok", f"{store.path} (from {reason}), {count} memories")


def _hook_commands(path: Path) -> list[str]:
    hooks = (read_json_object(path) or {}).get("hooks")
    found = []
    for groups in (hooks or {}).values() if isinstance(hooks, dict) else ():
        for group in groups if isinstance(groups, list) else ():
            entries = group.get("hooks") if isinstance(group, dict) else None
            for entry in entries if isinstance(entries, list) else ():
                if is_ours(entry):
                    found.append(entry["command"])
    return found


def _executable(command: str) -> str | None:
    """The program a hook command runs, if it exists and can be run; None otherwise."""
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return None
    if os.sep in program:
        return program if os.access(program, os.X_OK) and Path(program).is_file() else None
    return shutil.which(program)


def _hooks(cwd: Path | None) -> list[Check]:
    checks = []
    installed = False
    for scope in ("user", "project", "local"):
        try:
            path = settings_path(scope, cwd=cwd)
        except Exception:  # noqa: BLE001 - outside a project there is no project scope
            continue
        commands = _hook_commands(path)
        if not commands:
            continue
        installed = True
        broken = sorted({c for c in commands if _executable(c) is None})
        if broken:
            checks.append(
                Check(
                    f"Claude Code hooks ({scope})",
                    "fail",
                    f"{path}: the hooks run a program that is not there: {broken[0]}",
                    f"memory install claude-code --{scope}",
                )
            )
        else:
            checks.append(
                Check(
                    f"Claude Code hooks ({scope})",
                    "ok",
                    f"{len(commands)} hooks in {path}",
                )
            )
    if not installed:
        checks.append(
            Check(
                "Claude Code hooks",
                "warn",
                "not installed in any settings file",
                "memory install claude-code",
            )
        )
    return checks


def _daemon(store: MemoryDir) -> Check:
    from ..daemon.files import daemon_status

    status = daemon_status(store.path, state_dir=store.state_path)
    if status.state == "running":
        return Check("daemon", "ok", f"memory watch is running (pid {status.pid})")
    if status.state == "stale":
        return Check(
            "daemon",
            "warn",
            f"a crashed daemon left its files (pid {status.pid} is gone)",
            "memory watch --stop",
        )
    return Check(
        "daemon", "ok", "not running; recall works without it", "memory watch --detach (optional)"
    )


def known_models() -> tuple[str, ...]:
    """The model names the installed SDK lists (empty when it lists none)."""
    from anthropic.types import Model

    names: list[str] = []
    for arg in typing.get_args(Model):
        names += [a for a in typing.get_args(arg) if isinstance(a, str)]
    return tuple(names)


def _model() -> Check:
    config = ModelConfig.from_env()
    if config.offline:
        return Check("model", "warn", "MEMDIR_OFFLINE is set: recall is offline, extraction off")
    if not config.configured:
        return Check(
            "model",
            "warn",
            "no ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN: recall is offline, extraction off",
            "export ANTHROPIC_API_KEY=...",
        )
    known = known_models()
    if known and config.model not in known:
        return Check(
            "model",
            "warn",
            f"the installed SDK does not know the model {config.model!r}",
            "set MEMDIR_MODEL to one of: " + ", ".join(known[:5]),
        )
    return Check("model", "ok", f"credentials present, model {config.model}")


def _breaker(store: MemoryDir) -> Check:
    snapshot = CircuitBreaker(store.state_path).snapshot()
    if snapshot.state is BreakerState.CLOSED:
        return Check("circuit breaker", "ok", "closed: model calls go through")
    return Check(
        "circuit breaker",
        "warn",
        f"{snapshot.state.value} after {snapshot.failures} failures; retries in "
        f"{snapshot.retry_in_s:.0f} s",
        "check the network and the key; memory stats shows the counters",
    )


def _history(store: MemoryDir) -> list[Check]:
    recorder = store.recorder
    if recorder.enabled:
        return [Check("history", "ok", "changes are recorded: memory undo and restore work")]
    why = recorder.why_off or "off"
    return [Check("history", "warn", f"not recorded ({why})", "unset MEMDIR_HISTORY=off")]


def _team(store: MemoryDir) -> list[Check]:
    try:
        from ..team import team_status
    except ImportError:
        return []
    status = team_status(store)
    if status.mode == "none":
        return [Check("team memory", "ok", "not set up (optional)", "memory team init REMOTE")]
    if status.last_error or status.config_problem:
        problem = status.config_problem or status.last_error
        return [Check("team memory", "warn", f"{status.remote}: {problem}", "memory team sync")]
    return [Check("team memory", "ok", f"synced with {status.remote}, last {status.last_sync}")]
