"""Check what a recalled memory says exists against the project as it is now.

A memory that says "`load_config()` in `src/config.py` reads the flags" was true when it
was written. Before an agent repeats it, each file path, code identifier, CLI flag and
environment variable it names is looked up in the project, and the result is stated next
to the memory: found, missing, or (for a file whose name now lives elsewhere) moved.

In a git repository only tracked files and untracked files that are not ignored count;
elsewhere the tree is walked, skipping version-control, dependency and cache folders.
Identifier look-ups read every text file once per batch, and their results are cached in
the state folder per project state, so a repeated recall costs one ``git ls-files``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import StoreIOError
from ..fsio import atomic_write, read_json_object
from .references import Reference, RefKind, extract_references
from .search import PathLocator, normalize, scan_files

#: A walk or listing stops here; a folder this big is not a project worth scanning fully.
MAX_FILES = 100_000
_CACHE_VERSION = 1
_MAX_CACHED_TOKENS = 2_000
_MAX_CACHED_ENTRIES = 2_000
_SKIP_DIRS = frozenset(
    ".git .hg .svn node_modules .venv venv __pycache__ .mypy_cache .pytest_cache .ruff_cache "
    ".tox .nox .eggs .cache .idea .next .gradle site-packages".split()
)
_GIT_ENV_OVERRIDES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX")


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The project's files now: `files` to look paths up in, `base`/`dirty` for the cache.

    `base` fingerprints what is committed to the index (git) and `dirty` maps each file
    that may differ from it to (mtime_ns, size). Outside git every file is dirty.
    """

    files: frozenset[str]
    base: str
    dirty: dict[str, tuple[int, int]]


class ProjectVerifier:
    """Checks references against the project at `root`; results cached in `state_dir`."""

    def __init__(
        self, root: Path, *, state_dir: Path | None = None, exclude: Iterable[Path | str] = ()
    ) -> None:
        """`exclude` lists folders whose files are not evidence (say, an in-repo memory folder)."""
        self.root = Path(os.path.abspath(root))
        self._state_dir = state_dir
        self._exclude = tuple(sorted({_relative_prefix(self.root, p) for p in exclude} - {""}))
        self._in_git = paths.find_git_root(self.root) is not None

    def verify(self, body: str) -> tuple[Reference, ...]:
        """The references in one memory body, each checked against the project."""
        return self.verify_many([body])[0]

    def verify_many(self, bodies: Sequence[str]) -> list[tuple[Reference, ...]]:
        """Check several bodies with one listing and at most one read of the project."""
        claims = [extract_references(body) for body in bodies]
        if not any(claims):
            return [() for _ in bodies]
        snapshot = self._snapshot()
        tokens = {tok for refs in claims for text, kind in refs for tok in _tokens(text, kind)}
        found = self._lookup(snapshot, tokens) if tokens else set()
        locator = PathLocator(snapshot.files)
        out: list[tuple[Reference, ...]] = []
        for refs in claims:
            checked: list[Reference] = []
            for text, kind in refs:
                if kind == "path":
                    status, hint = locator.locate(text)
                    checked.append(Reference(text, kind, status, hint))
                else:
                    ok = all(tok in found for tok in _tokens(text, kind))
                    checked.append(Reference(text, kind, "found" if ok else "missing"))
            out.append(tuple(checked))
        return out

    # -- the project's files ------------------------------------------------------------

    def _snapshot(self) -> _Snapshot:
        snapshot = self._git_snapshot() if self._in_git else None
        if snapshot is None:
            snapshot = self._walk_snapshot()
        if not self._exclude:
            return snapshot
        keep = [f for f in snapshot.files if not f.startswith(self._exclude)]
        dirty = {f: s for f, s in snapshot.dirty.items() if not f.startswith(self._exclude)}
        base = _digest([snapshot.base, *self._exclude])
        return _Snapshot(frozenset(keep), base, dirty)

    def _git_snapshot(self) -> _Snapshot | None:
        """One ``git ls-files``: index entries with blob ids, modified, deleted and untracked."""
        env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_OVERRIDES}
        command = ["git", "-C", str(self.root), "ls-files", "-z", "-c", "-o", "-m", "-d", "-s"]
        command += ["-t", "--exclude-standard"]
        try:
            import subprocess  # only when there is a git repository to ask

            result = subprocess.run(command, capture_output=True, env=env, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if result.returncode != 0:
            return None
        records = os.fsdecode(result.stdout).split("\0")[:MAX_FILES]
        # Index entries carry their blob ids: hashing them fingerprints the committed side.
        cached = [r for r in records if r[:2] in ("H ", "S ", "M ")]
        untracked = {r[2:] for r in records if r[:2] == "? "}
        # "C" is modified (or deleted), "R" deleted from the working tree.
        changed = {r.partition("\t")[2] for r in records if r[:2] == "C "}
        deleted = {r.partition("\t")[2] for r in records if r[:2] == "R "}
        files = {r.partition("\t")[2] for r in cached} | untracked
        prefix = os.path.join(self.root, "")
        dirty = {p: _stat(prefix + p) for p in changed | untracked}
        base = _digest(cached)
        return _Snapshot(frozenset(files - deleted), base, dirty)

    def _walk_snapshot(self) -> _Snapshot:
        dirty: dict[str, tuple[int, int]] = {}
        stack = [(str(self.root), "")]
        while stack and len(dirty) < MAX_FILES:
            folder, prefix = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIP_DIRS and not entry.name.endswith(".egg-info"):
                        stack.append((entry.path, rel + "/"))
                else:
                    # A symlink loop or a dangling link raises here: skip it, it is no file.
                    try:
                        if not entry.is_file():
                            continue
                        info = entry.stat()
                    except OSError:
                        continue
                    dirty[rel] = (info.st_mtime_ns, info.st_size)
        return _Snapshot(frozenset(dirty), "walk", dirty)

    # -- identifiers, flags and variables -----------------------------------------------

    def _lookup(self, snapshot: _Snapshot, tokens: set[str]) -> set[str]:
        """The tokens that occur somewhere in the project, using the cache where it holds.

        Trigger: an agent edits files between prompts, so the project state changes often.
        Why: re-reading every file after each edit would make most recalls cold.
        Outcome: a token found before stays found while the file it was found in is
        unchanged; a token missing before is re-searched only in files changed since.
        """
        cache_file = self._cache_file()
        cache = _load_cache(cache_file)
        signature = _digest(f"{p}\0{m}\0{s}" for p, (m, s) in sorted(snapshot.dirty.items()))
        old_dirty = cache.get("dirty")
        changed: set[str] | None = None  # None: no baseline, every cached result is stale
        if cache.get("base") == snapshot.base:
            if cache.get("signature") == signature:
                changed = set()
            elif isinstance(old_dirty, dict):
                now = {p: list(v) for p, v in snapshot.dirty.items()}
                changed = {p for p in now if old_dirty.get(p) != now[p]} | (
                    set(old_dirty) - set(now)
                )
        known: dict[str, str | None] = {}
        if changed is not None:
            # Keep what still holds: found in an unchanged file, or missing with no change.
            known = {
                tok: where
                for tok, where in cache["tokens"].items()
                if (where is None and (not changed or tok in tokens))
                or (isinstance(where, str) and where not in changed)
            }
        full = {tok for tok in tokens if tok not in known}
        partial = (
            {tok for tok in tokens if tok in known and known[tok] is None} if changed else set()
        )
        if full:
            known.update(dict.fromkeys(full | partial))
            known.update(scan_files(self.root, sorted(snapshot.files), full | partial))
        elif partial and changed:
            known.update(scan_files(self.root, sorted(changed & snapshot.files), partial))
        if full or partial or cache.get("signature") != signature:
            for stale in list(known)[: max(0, len(known) - _MAX_CACHED_TOKENS)]:
                del known[stale]
            small = len(snapshot.dirty) <= _MAX_CACHED_ENTRIES
            _save_cache(
                cache_file,
                {
                    "version": _CACHE_VERSION,
                    "root": str(self.root),
                    "base": snapshot.base,
                    "signature": signature,
                    "tokens": known,
                    "dirty": {p: list(v) for p, v in snapshot.dirty.items()} if small else None,
                },
            )
        return {tok for tok in tokens if known.get(tok) is not None}

    def _cache_file(self) -> Path | None:
        try:
            state = self._state_dir if self._state_dir is not None else paths.state_dir()
        except OSError:
            return None  # no state folder: verify without a cache
        return state / "verify" / f"{paths.folder_key(self.root)}.json"


def _tokens(text: str, kind: RefKind) -> list[str]:
    """Search keys for a reference: ``f:`` flags, ``w:`` whole words (each dotted part)."""
    if kind == "flag":
        return ["f:" + text]
    if kind == "path":
        return []
    name = text.lstrip("$").strip("{}")
    parts = [p for p in name.split(".") if len(p) >= 2 and p not in ("self", "cls", "this")]
    return ["w:" + p for p in parts] or ["w:" + name]


def _relative_prefix(root: Path, folder: Path | str) -> str:
    path = Path(folder)
    if path.is_absolute():
        try:
            path = Path(os.path.abspath(path)).relative_to(root)
        except ValueError:
            return ""
    rel = normalize(path.as_posix())
    return rel + "/" if rel else ""


def _stat(path: str) -> tuple[int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (-1, -1)
    return (info.st_mtime_ns, info.st_size)


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _load_cache(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    data = read_json_object(path) or {}
    ok = data.get("version") == _CACHE_VERSION and isinstance(data.get("tokens"), dict)
    return data if ok else {}


def _save_cache(path: Path | None, data: dict[str, Any]) -> None:
    """Replace the cache file; a cache that cannot be written only costs a later rescan."""
    if path is None:
        return
    with contextlib.suppress(OSError, StoreIOError):
        atomic_write(path, json.dumps(data, separators=(",", ":")), mode=0o600, durable=False)
