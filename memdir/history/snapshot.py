"""What a memory folder holds right now, as git blob ids, cheaply enough to check per write.

Every ``*.md`` file below the folder counts (hidden names, symlinks and oversized files
do not). Blob ids are computed here with hashlib, so finding "nothing changed" needs no
git library at all; a stat cache kept next to the history skips re-reading files whose
size, inode and times have not moved.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Files larger than this are left out of the record (memories are small; a huge file is
#: almost surely something else and would bloat the history).
MAX_FILE_BYTES = 5 * 1024 * 1024
_CACHE_VERSION = 2
# Racy-git rule: a file modified within this window before the cache was written may
# change again without moving its mtime, so its cached id is not trusted.
_RACY_NS = 2_000_000_000


def blob_id(data: bytes) -> str:
    """The git blob id (sha1 hex) of `data`."""
    digest = hashlib.sha1(b"blob %d\x00" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The folder's recordable files: relative path -> blob id, and files left out."""

    files: dict[str, str]
    #: Left out of the record: relative path -> reason ("credential: ...", "too large").
    skipped: dict[str, str]


def walk(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Relative posix paths and stats of every candidate file, never following a symlink."""
    stack = [("", str(root))]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            relative = f"{prefix}{name}"
            if entry.is_dir(follow_symlinks=False):
                stack.append((relative + "/", entry.path))
            elif entry.is_file(follow_symlinks=False) and name.endswith(".md"):
                yield relative, st


class StatCache:
    """Blob ids of files by (size, inode, mtime, ctime), persisted with marshal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, tuple[int, int, int, int, str]] = {}
        self._secret_ids: set[str] = set()
        self._written_ns = 0
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            version, written, entries, secrets = marshal.loads(self.path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return
        if version == _CACHE_VERSION:
            self._written_ns, self._entries, self._secret_ids = written, entries, set(secrets)

    def lookup(self, relative: str, st: os.stat_result) -> str | None:
        entry = self._entries.get(relative)
        if entry is None:
            return None
        size, ino, mtime, ctime, sha = entry
        if (size, ino, mtime, ctime) != (st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns):
            return None
        if max(mtime, ctime) >= self._written_ns - _RACY_NS:
            return None
        return sha

    def remember(self, relative: str, st: os.stat_result, sha: str) -> None:
        self._entries[relative] = (st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, sha)
        self._dirty = True

    def is_secret(self, sha: str) -> bool:
        return sha in self._secret_ids

    def mark_secret(self, sha: str) -> None:
        self._secret_ids.add(sha)
        self._dirty = True

    def prune(self, present: set[str]) -> None:
        gone = set(self._entries) - present
        for relative in gone:
            del self._entries[relative]
        self._dirty = self._dirty or bool(gone)

    def save(self) -> None:
        """Write the cache if it changed; losing it only costs a re-read next time."""
        if not self._dirty:
            return
        now = time.time_ns()
        payload = marshal.dumps((_CACHE_VERSION, now, self._entries, sorted(self._secret_ids)))
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError):
            tmp.write_bytes(payload)
            os.replace(tmp, self.path)
            self._written_ns = now
            self._dirty = False


def take(root: Path, cache: StatCache, known: dict[str, str]) -> tuple[Snapshot, dict[str, bytes]]:
    """The folder's files now, and the bytes of every file whose id is not in `known`.

    `known` maps paths to the ids already in the history (the last operation's tree): a
    file with one of those ids was checked for credentials when it was recorded. Any other
    content is read, checked, and returned so the caller can store it without a re-read.
    """
    files: dict[str, str] = {}
    skipped: dict[str, str] = {}
    fresh: dict[str, bytes] = {}
    known_ids = set(known.values())
    present: set[str] = set()
    for relative, st in walk(root):
        present.add(relative)
        if st.st_size > MAX_FILE_BYTES:
            skipped[relative] = f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"
            continue
        sha = cache.lookup(relative, st)
        data = None
        if sha is None:
            try:
                with open(os.path.join(root, relative), "rb") as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)
            except OSError:
                continue
            sha = blob_id(data)
            cache.remember(relative, st, sha)
        if sha in known_ids:
            files[relative] = sha
            continue
        if cache.is_secret(sha):
            skipped[relative] = "holds a credential"
            continue
        if data is None:
            try:
                data = (root / relative).read_bytes()
            except OSError:
                continue
            if blob_id(data) != sha:
                # Changed between the stat and the read: take what is there now.
                sha = blob_id(data)
        reason = _credential(data)
        if reason:
            cache.mark_secret(sha)
            skipped[relative] = reason
            continue
        files[relative] = sha
        fresh[sha] = data
    cache.prune(present)
    return Snapshot(files, skipped), fresh


def _credential(data: bytes) -> str | None:
    # The store's own detector, so "would a write be refused?" and "is it left out of the
    # history?" are one decision. It is a leaf module with no imports of ours.
    from ..store.secrets import find_secrets

    found = find_secrets(data.decode("utf-8", errors="replace"))
    if not found:
        return None
    return f"holds a credential ({found[0].kind}, line {found[0].line})"
