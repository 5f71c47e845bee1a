"""Where things live: the memory folder for a project, and memdir's own state folder.

Memory folder resolution, first match wins: an explicit path (``--dir``), then
``$MEMDIR_DIR``, then the folder Claude Code itself uses for the project.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .errors import ConfigurationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Claude Code cuts sanitized names longer than this and appends a build-specific hash.
MAX_SANITIZED_LENGTH = 200


def sanitize_path(path: str) -> str:
    """Turn a project path into the folder name Claude Code uses under ``projects/``.

    Every UTF-16 code unit that is not an ASCII letter or digit becomes ``-``: a character
    outside the Basic Multilingual Plane (an emoji) is two code units, so it becomes ``--``.
    Names longer than 200 characters are cut to 200; Claude Code then appends ``-<hash>``
    with a hash that differs between its builds, so callers match such folders by prefix
    (see `claude_memory_dir`).
    """
    out: list[str] = []
    for ch in path:
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append("--" if ord(ch) > 0xFFFF else "-")
    return "".join(out)


def claude_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$CLAUDE_CONFIG_DIR``, else ``~/.claude``."""
    env = os.environ if env is None else env
    configured = env.get("CLAUDE_CONFIG_DIR")
    if configured:
        return Path(configured).expanduser()
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".claude"


def _read_gitdir_pointer(git_file: Path) -> Path | None:
    """The directory a ``.git`` *file* points at (worktrees and submodules), if readable."""
    try:
        text = git_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("gitdir:"):
            target = Path(line[len("gitdir:") :].strip())
            if not target.is_absolute():
                target = git_file.parent / target
            return Path(os.path.normpath(target))
    return None


def find_git_root(start: Path | str) -> Path | None:
    """The canonical git root for `start`, or None outside a repository.

    Walks up to the first ``.git`` directory or file. A ``.git`` file (a linked worktree)
    is followed through ``gitdir:`` and that folder's ``commondir`` to the main checkout,
    so every worktree of a repository shares one memory folder, as in Claude Code.
    """
    current = Path(os.path.abspath(start))
    for candidate in (current, *current.parents):
        dot_git = candidate / ".git"
        if dot_git.is_dir():
            return candidate
        if dot_git.is_file():
            return _main_checkout(candidate, dot_git)
    return None


def _main_checkout(worktree: Path, git_file: Path) -> Path:
    gitdir = _read_gitdir_pointer(git_file)
    if gitdir is None:
        return worktree
    try:
        common = (gitdir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        # A submodule's gitdir has no commondir: the submodule is its own root.
        return worktree
    common_dir = Path(common)
    if not common_dir.is_absolute():
        common_dir = gitdir / common_dir
    common_dir = Path(os.path.normpath(common_dir))
    if common_dir.name == ".git":
        return common_dir.parent
    # A bare repository with worktrees: no main checkout, keep the worktree itself.
    return worktree


def project_root(start: Path | str) -> Path:
    """The git root of `start`, else `start` itself (absolute)."""
    return find_git_root(start) or Path(os.path.abspath(start))


def verification_root(
    cwd: Path | str | None = None, *, project: Path | None = None, verify: bool = True
) -> Path | None:
    """The project that recalled memories are checked against, decided here only.

    `project` when given (``--project``), else the git root of `cwd` (the process's own
    directory by default; a hook passes the session's). None when `verify` is off, and
    outside a repository: walking whatever folder a command happens to run in (a home
    directory, say) would cost seconds and prove nothing.
    """
    if not verify:
        return None
    if project is not None:
        return check_project(project)
    return find_git_root(cwd if cwd is not None else os.getcwd())


def check_project(project: Path | str) -> Path:
    """`project` as an absolute folder, or a refusal that names it.

    Trigger: ``--project /nonexistent`` (a typo). Why: every name a memory mentions
    would then be reported "not found in the project", which reads as a verdict on the
    memories. Outcome: refused; a symlink loop is refused the same way, not a traceback.

    Raises:
        ConfigurationError: the path does not lead to a folder.
    """
    path = Path(project).expanduser()
    try:
        ok = path.is_dir()
        real = Path(os.path.realpath(path, strict=True)) if ok else None
    except OSError as exc:
        raise ConfigurationError(
            f"--project {str(project)!r} cannot be read: {exc.strerror or exc}", field="project"
        ) from exc
    if real is None:
        raise ConfigurationError(
            f"--project {str(project)!r} is not a folder; give the project's root folder",
            field="project",
        )
    return real


def _auto_memory_setting(config_dir: Path, env: Mapping[str, str]) -> Path | None:
    """The user's ``autoMemoryDirectory`` setting, when set to a usable absolute path."""
    settings_file = config_dir / "settings.json"
    try:
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = settings.get("autoMemoryDirectory") if isinstance(settings, dict) else None
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.startswith("~/") or value == "~":
        home = env.get("HOME") or str(Path.home())
        return Path(home) / value[2:]
    candidate = Path(value)
    if not candidate.is_absolute():
        raise ConfigurationError(
            "autoMemoryDirectory must be an absolute path or start with ~/",
            path=settings_file,
            field="autoMemoryDirectory",
        )
    return candidate


def claude_memory_dir(start: Path | str, env: Mapping[str, str] | None = None) -> Path:
    """The memory folder Claude Code uses for the project containing `start`.

    ``autoMemoryDirectory`` in the user's settings wins. Otherwise the folder is
    ``<config>/projects/<sanitized project root>/memory``; for roots whose sanitized name
    is cut, an existing folder that shares the 200-character prefix is reused.

    Raises:
        ConfigurationError: the settings name a relative ``autoMemoryDirectory``.
    """
    env = os.environ if env is None else env
    config = claude_config_dir(env)
    override = _auto_memory_setting(config, env)
    if override is not None:
        return override
    name = sanitize_path(str(project_root(start)))
    projects = config / "projects"
    if len(name) > MAX_SANITIZED_LENGTH:
        prefix = name[:MAX_SANITIZED_LENGTH]
        try:
            matches = sorted(
                p for p in projects.iterdir() if p.is_dir() and p.name.startswith(prefix + "-")
            )
        except OSError:
            matches = []
        if matches:
            return matches[0] / "memory"
        # No folder yet: any suffix works for us; Claude Code will create its own next to it.
        name = prefix
    return projects / name / "memory"


def resolve_memory_dir(
    explicit: Path | str | None = None,
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """The memory folder to use: explicit path, then ``$MEMDIR_DIR``, then Claude Code's."""
    env = os.environ if env is None else env
    if explicit is not None:
        return _usable_dir(str(explicit), "--dir")
    configured = env.get("MEMDIR_DIR")
    if configured is not None and configured != "":
        return _usable_dir(configured, "MEMDIR_DIR")
    return claude_memory_dir(cwd if cwd is not None else os.getcwd(), env)


def _usable_dir(text: str, source: str) -> Path:
    """A memory folder path given by a person, refused when it cannot be one.

    Raises:
        ConfigurationError: empty (``--dir ""`` would mean the current folder, whose
            READMEs would be listed as memories), or a file stands where a folder must.
    """
    if not text.strip():
        raise ConfigurationError(f"{source} is empty; give the memory folder's path", field="dir")
    path = Path(text).expanduser().absolute()
    for parent in (path, *path.parents):
        try:
            if parent.exists():
                if not parent.is_dir():
                    raise ConfigurationError(
                        f"{source} {text!r}: {parent} is a file, not a folder", field="dir"
                    )
                break
        except OSError as exc:
            raise ConfigurationError(
                f"{source} {text!r} cannot be used: {exc.strerror or exc}", field="dir"
            ) from exc
    return path


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """memdir's own state folder (sessions, breaker, cursors, locks, daemon sockets).

    ``$MEMDIR_STATE_DIR`` wins; otherwise the platform's user state folder. Never inside
    a memory folder: state is per machine, memories are shared and kept in git.
    """
    env = os.environ if env is None else env
    configured = env.get("MEMDIR_STATE_DIR")
    if configured:
        path = Path(configured).expanduser()
    else:
        path = platform_state_dir()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def platform_state_dir() -> Path:
    """``platformdirs.user_state_path("memdir", appauthor=False)``, computed without it
    on Linux and macOS.

    Trigger: every hook and recall asks for the state folder. Why: importing
    platformdirs costs several milliseconds of a hook's start-up (it pulls in tempfile,
    shutil and random). Outcome: the two common cases are computed here the way
    platformdirs computes them (a test holds the two equal); any other platform, or a
    home folder that is not an absolute path, asks platformdirs.
    """
    home = os.environ.get("HOME", "")
    if sys.platform in ("linux", "darwin") and not hasattr(sys, "getandroidapilevel"):
        xdg = os.environ.get("XDG_STATE_HOME", "")
        if xdg.startswith("/"):
            return Path(os.path.join(xdg, "memdir"))
        if home.startswith("/"):
            base = "~/.local/state" if sys.platform == "linux" else "~/Library/Application Support"
            return Path(os.path.join(os.path.expanduser(base), "memdir"))
    import platformdirs

    return platformdirs.user_state_path("memdir", appauthor=False)


#: Hex digits of the digest that ends a folder key.
FOLDER_KEY_DIGITS = 16


def folder_key(memory_dir: Path) -> str:
    """A short stable key for a memory folder, used to name its state files."""
    resolved = str(Path(os.path.abspath(memory_dir)))
    digest = sha256_hex(resolved.encode("utf-8"))[:FOLDER_KEY_DIGITS]
    return f"{folder_key_prefix(memory_dir)}{digest}"


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` in hex, as `hashlib` gives it, without importing `hashlib`."""
    return str(_sha256_type()(data).hexdigest())


@functools.cache
def _sha256_type() -> Any:
    # Trigger: every recall and hook names its caches by folder keys. Why: `hashlib`
    # loads OpenSSL, a few milliseconds of a hook's start-up, and the builtin SHA-256
    # module gives the same digest; a failed import (``_sha2`` on 3.11) searches the
    # whole path again on every try, so the answer is kept. Outcome: one lookup per
    # process, hashlib only where the builtin module is missing.
    try:
        if sys.version_info >= (3, 12):
            from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
        else:
            from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from hashlib import sha256
    return sha256


def folder_key_prefix(memory_dir: Path) -> str:
    """What `folder_key` puts before the digest: lets a caller rule a key out without
    hashing (``hashlib`` costs a few milliseconds to import on a hook's fast path)."""
    return f"{sanitize_path(Path(os.path.abspath(memory_dir)).name)[:40]}-"
