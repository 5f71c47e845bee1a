"""Finding names and paths in a project's files: whole-word search and moved-file hints."""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path

from .references import RefStatus

#: Files larger than this are not searched for identifiers.
MAX_FILE_BYTES = 1_000_000
CHUNK_BYTES = 4_000_000
BINARY_EXTS = frozenset(
    ".png .jpg .jpeg .gif .ico .webp .pdf .zip .gz .tgz .bz2 .xz .7z .jar .class .pyc .so "
    ".dylib .dll .exe .o .a .woff .woff2 .ttf .otf .eot .mp3 .mp4 .mov .wasm .sqlite .db".split()
)
# Bytes that continue an identifier (non-ASCII counts: UTF-8 names), and for flags also "-".
WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") | frozenset(
    range(128, 256)
)
FLAG_WORD = WORD | {ord("-")}


def scan_files(root: Path, files: Sequence[str], tokens: set[str]) -> dict[str, str]:
    """Read each text file once; return token -> a file it occurs in (as a whole word)."""
    pending = {tok: tok[2:].encode() for tok in tokens}
    found: dict[str, str] = {}
    chunk: list[bytes] = []
    owners: list[str] = []
    starts: list[int] = []
    size = 0

    def search() -> None:
        blob = b"\n".join(chunk)
        for tok, needle in list(pending.items()):
            at = find_word(blob, needle, FLAG_WORD if tok[0] == "f" else WORD)
            if at >= 0:
                found[tok] = owners[bisect_right(starts, at) - 1]
                del pending[tok]

    prefix = os.path.join(root, "")  # plain strings: pathlib costs more than the read here
    for rel in files:
        if rel[rel.rfind(".") :].lower() in BINARY_EXTS:
            continue
        data = read_text(prefix + rel)
        if data is None:
            continue
        owners.append(rel)
        starts.append(size)
        chunk.append(data)
        size += len(data) + 1
        if size >= CHUNK_BYTES:
            search()
            chunk, owners, starts, size = [], [], [], 0
            if not pending:
                break
    if chunk and pending:
        search()
    return found


def find_word(blob: bytes, needle: bytes, word: frozenset[int]) -> int:
    """Offset of `needle` standing alone (no word byte on either side), or -1."""
    end = len(blob)
    at = blob.find(needle)
    while at >= 0:
        after = at + len(needle)
        if (at == 0 or blob[at - 1] not in word) and (after == end or blob[after] not in word):
            return at
        at = blob.find(needle, at + 1)
    return -1


def read_text(path: str) -> bytes | None:
    """The file's bytes, or None for unreadable, binary (NUL early on) or oversized files."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        # A small first read: most source files fit, and big buffers cost more to allocate.
        data = os.read(fd, 65536)
        if len(data) == 65536:
            rest = os.read(fd, MAX_FILE_BYTES + 1 - len(data))
            if len(data) + len(rest) > MAX_FILE_BYTES:
                return None
            data += rest
    except OSError:
        return None
    finally:
        os.close(fd)
    return None if data.find(b"\0", 0, 8192) >= 0 else data


class PathLocator:
    """Answers "does this path exist, or where did a file of that name go?"."""

    def __init__(self, files: frozenset[str]) -> None:
        self._files = files

    def locate(self, text: str) -> tuple[RefStatus, str | None]:
        claimed = normalize(text)
        if not claimed:
            return "missing", None
        if text.endswith("/"):
            inside = "/" + claimed + "/"
            found = any(("/" + f).find(inside) >= 0 for f in self._files)
            return ("found", None) if found else ("missing", None)
        # Also a path given relative to a subfolder ("auth/login.py" for "src/auth/login.py").
        suffix = "/" + claimed
        if claimed in self._files or any(f.endswith(suffix) for f in self._files):
            return "found", None
        name = claimed[claimed.rfind("/") + 1 :]
        candidates = sorted(f for f in self._files if f.endswith("/" + name) or f == name)
        hint = closest(claimed, candidates)
        return ("moved", hint) if hint else ("missing", None)


def normalize(text: str) -> str:
    cleaned = os.path.normpath(text.rstrip("/")).replace(os.sep, "/")
    while cleaned.startswith("../"):
        cleaned = cleaned[3:]
    return "" if cleaned in (".", "..") else cleaned


def closest(claimed: str, candidates: list[str]) -> str | None:
    """The candidate sharing most of the claimed folders; None when the name is too common.

    Trigger: names like ``__init__.py`` or ``index.js`` exist in many folders.
    Why: pointing at an unrelated one would make a wrong claim look confirmed.
    Outcome: with several candidates, one must share a folder name with the claim.
    """
    if not candidates:
        return None
    want = claimed.split("/")[:-1]

    def score(candidate: str) -> tuple[int, int, int]:
        have = candidate.split("/")[:-1]
        tail = 0
        while tail < min(len(want), len(have)) and want[-1 - tail] == have[-1 - tail]:
            tail += 1
        return tail, len(set(want) & set(have)), -abs(len(have) - len(want))

    best = max(sorted(candidates), key=score)
    if len(candidates) > 1 and score(best)[1] == 0:
        return None
    return best
