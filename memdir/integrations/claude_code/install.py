"""Adding memdir's hooks to Claude Code's ``settings.json``, and taking them out again.

Claude Code reads hooks from ``{"hooks": {"<Event>": [{"hooks": [{"type": "command",
"command": "...", "timeout": <s>}]}]}}``. Installing merges one group per event and
touches nothing else: other hooks, other events and other settings keep their values and
their order. Our entries are recognised by their command, which always contains
``" hook claude-code "``; uninstalling removes exactly those.

Changes are planned first (`plan_install`, `plan_uninstall`) and written by
`apply_change`, which backs the file up beforehand, so a dry run is just a plan's diff.
"""

from __future__ import annotations

import difflib
import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from ...errors import ConfigurationError, StoreIOError
from ...fsio import atomic_write
from ...paths import claude_config_dir, folder_key, project_root, state_dir

Scope = Literal["user", "project", "local"]

#: What identifies a hook entry as ours, wherever the executable lives.
MARKER = " hook claude-code "


@dataclass(frozen=True, slots=True)
class HookSpec:
    """One Claude Code event and the `memory hook claude-code` sub-command serving it."""

    event: str
    subcommand: str
    timeout: int


#: Timeouts in seconds. UserPromptSubmit answers in well under a second, but a first model
#: call (SDK import plus request) can take a few; SessionEnd gets about 1.5 s from Claude
#: Code in any case.
HOOKS: tuple[HookSpec, ...] = (
    HookSpec("UserPromptSubmit", "user-prompt-submit", 10),
    HookSpec("Stop", "stop", 10),
    HookSpec("SessionEnd", "session-end", 5),
)


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """A planned edit of one settings file; `before` is None when the file is new."""

    path: Path
    before: str | None
    after: str
    events: tuple[str, ...]
    #: The file is deleted (uninstall left nothing in it) instead of written.
    remove: bool = False

    @property
    def changed(self) -> bool:
        return self.events != () and (self.remove or self.after != (self.before or ""))

    def diff(self) -> str:
        """The change as a unified diff ('' when nothing changes)."""
        if not self.changed:
            return ""
        name = str(self.path)
        lines = difflib.unified_diff(
            (self.before or "").splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            fromfile=name if self.before is not None else "/dev/null",
            tofile="/dev/null" if self.remove else name,
        )
        return "".join(lines)


def settings_path(
    scope: Scope, *, cwd: Path | str | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """The settings file for a scope.

    ``user``: ``<config>/settings.json`` (``$CLAUDE_CONFIG_DIR`` or ``~/.claude``), every
    project; ``project``: ``.claude/settings.json`` at the git root, shared through git;
    ``local``: ``.claude/settings.local.json`` at the git root, this machine only.
    """
    if scope == "user":
        return claude_config_dir(env) / "settings.json"
    root = project_root(cwd if cwd is not None else os.getcwd())
    name = "settings.json" if scope == "project" else "settings.local.json"
    return root / ".claude" / name


def memory_command(*, argv0: str | None = None, python: str | None = None) -> str:
    """Shell words that run this `memory` by absolute path, quoted for ``/bin/sh``.

    Claude Code runs hooks through ``/bin/sh`` with its own PATH, which rarely holds the
    virtual environment memdir lives in. Symlinks are kept, not resolved: a pipx-style
    link stays valid across upgrades, the file it points to may not.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    python = sys.executable if python is None else python
    if Path(argv0).name == "memory":
        found = argv0 if os.sep in argv0 else shutil.which(argv0)
        if found and os.access(found, os.X_OK):
            return shlex.quote(os.path.abspath(found))
    sibling = Path(os.path.abspath(python)).with_name("memory")
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return shlex.quote(str(sibling))
    return f"{shlex.quote(os.path.abspath(python))} -m memdir_cli"


#: What a shared ``.claude/settings.json`` runs: `memory` as found on each machine's PATH.
PORTABLE_COMMAND = "memory"


def command_for(scope: Scope, *, which: Callable[[str], str | None] = shutil.which) -> str:
    """The shell words the hooks of `scope` run `memory` with.

    Trigger: ``--project`` writes ``.claude/settings.json``, which the repository shares.
    Why: this machine's absolute path (a home folder, a virtual environment) would not
    exist on a teammate's. Outcome: the project file names plain ``memory`` from PATH;
    the user and local files, which stay on this machine, use the absolute path.

    Raises:
        ConfigurationError: a project install, but `memory` is not on PATH here either.
    """
    if scope != "project":
        return memory_command()
    if which(PORTABLE_COMMAND) is None:
        raise ConfigurationError(
            "the shared project settings run `memory` from PATH, and it is not on PATH "
            "here: install memdir where your shell finds it (pipx install, or activate "
            "the virtual environment before starting Claude Code), or use --local for "
            "this machine only"
        )
    return PORTABLE_COMMAND


def hook_entries(command: str) -> dict[str, dict[str, Any]]:
    """The hook entry for each event, given the shell words that run `memory`."""
    return {
        spec.event: {
            "type": "command",
            "command": f"{command} hook claude-code {spec.subcommand}",
            "timeout": spec.timeout,
        }
        for spec in HOOKS
    }


def is_ours(entry: object) -> bool:
    """True for a hook entry that runs `memory hook claude-code ...`."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("command"), str)
        and MARKER in f"{entry['command']} "
    )


# --- reading and writing -----------------------------------------------------------------


def _load(path: Path) -> tuple[str | None, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the settings file: {exc}", path=path) from exc
    if not text.strip():
        return text, {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"is not valid JSON ({exc}); fix the file or move it aside, then run this again. "
            "Nothing was changed",
            path=path,
        ) from exc
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"holds a JSON {type(data).__name__}, not an object; nothing was changed", path=path
        )
    hooks = data.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise ConfigurationError("must be an object of events", path=path, field="hooks")
    for event, groups in (hooks or {}).items():
        if not isinstance(groups, list):
            raise ConfigurationError("must be a list of hook groups", path=path, field=event)
    return text, data


def _indent(text: str | None) -> int | str:
    """The indentation the file already uses, so a rewrite keeps its look."""
    for line in (text or "").splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            lead = line[: len(line) - len(stripped)]
            return "\t" if lead.startswith("\t") else len(lead)
    return 2


def _dump(data: dict[str, Any], like: str | None) -> str:
    return json.dumps(data, indent=_indent(like), ensure_ascii=False) + "\n"


def _our_positions(groups: list[Any]) -> list[tuple[int, int]]:
    return [
        (g, h)
        for g, group in enumerate(groups)
        if isinstance(group, dict) and isinstance(group.get("hooks"), list)
        for h, entry in enumerate(group["hooks"])
        if is_ours(entry)
    ]


def _remove(groups: list[Any], positions: list[tuple[int, int]]) -> None:
    """Delete entries; drop the groups this leaves empty (groups already empty stay)."""
    emptied: set[int] = set()
    for g, h in sorted(positions, reverse=True):
        del groups[g]["hooks"][h]
        if not groups[g]["hooks"]:
            emptied.add(g)
    for g in sorted(emptied, reverse=True):
        del groups[g]


def plan_install(path: Path, *, command: str) -> SettingsChange:
    """The settings file with our hooks merged in (an existing entry of ours is updated).

    Raises:
        ConfigurationError: the file is not valid JSON or has an unexpected shape.
    """
    before, data = _load(path)
    hooks = data.setdefault("hooks", {})
    touched: list[str] = []
    for event, wanted in hook_entries(command).items():
        groups = hooks.setdefault(event, [])
        positions = _our_positions(groups)
        if len(positions) == 1 and groups[positions[0][0]]["hooks"][positions[0][1]] == wanted:
            continue
        touched.append(event)
        if not positions:
            groups.append({"hooks": [wanted]})
            continue
        # Keep our entry where it was (a user may have moved it into a group), drop dupes.
        g, h = positions[0]
        groups[g]["hooks"][h] = wanted
        _remove(groups, positions[1:])
    return SettingsChange(path, before, _dump(data, before), tuple(touched))


def plan_uninstall(path: Path) -> SettingsChange:
    """The settings file without our hooks; containers this empties are removed too.

    Raises:
        ConfigurationError: the file is not valid JSON or has an unexpected shape.
    """
    before, data = _load(path)
    hooks = data.get("hooks")
    touched: list[str] = []
    for event in list(hooks or {}):
        assert hooks is not None
        groups = hooks[event]
        positions = _our_positions(groups)
        if not positions:
            continue
        touched.append(event)
        _remove(groups, positions)
        if not groups:
            del hooks[event]
    if touched and not hooks:
        del data["hooks"]
    if touched and not data:
        # Nothing but our hooks was in the file: take it away rather than leave ``{}``.
        return SettingsChange(path, before, "", tuple(touched), remove=True)
    after = _dump(data, before) if touched else (before or "")
    return SettingsChange(path, before, after, tuple(touched))


def backup_name(path: Path, now: datetime, *, folder: Path) -> Path:
    """``<folder>/<key>-settings.json.bak-YYYYmmdd-HHMMSS``, with a counter if taken.

    The key names the settings file's own folder, so backups of several projects'
    ``.claude/settings.json`` do not mix. Backups live in memdir's state folder, never in
    the repository, where they would show up as untracked files.
    """
    base = folder / f"{folder_key(path.parent)}-{path.name}.bak-{now:%Y%m%d-%H%M%S}"
    candidate, counter = base, 1
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{counter}")
        counter += 1
    return candidate


def apply_change(
    change: SettingsChange, *, now: datetime | None = None, backups: Path | None = None
) -> Path | None:
    """Write a planned change after backing the file up; the backup's path, if one was made.

    Backups go to `backups` (default ``<state>/backups/claude-code``).

    The target is re-read first and the change refused if the file changed since the plan.

    Raises:
        ConfigurationError: the file changed after it was planned.
        StoreIOError: the write failed (the old file is untouched).
    """
    if not change.changed:
        return None
    # A symlinked settings file (dotfile managers) is edited where it really lives.
    target = Path(os.path.realpath(change.path))
    current: str | None
    try:
        current = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    if current != change.before:
        raise ConfigurationError("changed while memdir was editing it; run again", path=target)
    backup = None
    mode = 0o644
    if current is not None:
        folder = backups if backups is not None else state_dir() / "backups" / "claude-code"
        backup = backup_name(target, now or datetime.now(), folder=folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup)
        except OSError as exc:
            raise StoreIOError(f"cannot back up the settings file: {exc}", path=backup) from exc
        mode = target.stat().st_mode & 0o777
    if change.remove:
        try:
            target.unlink()
        except OSError as exc:
            raise StoreIOError(f"cannot remove the settings file: {exc}", path=target) from exc
        return backup
    atomic_write(target, change.after, mode=mode)
    return backup
