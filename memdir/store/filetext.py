"""A memory file's text, read safely, and its body: standard library only.

Recall reads the bodies of the memories it returns on every prompt, so this is kept
apart from the scan and the frontmatter parser (their records and YAML cost start-up).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

#: Files above this size are not memories (a memory is a paragraph or two): skipped.
MAX_FILE_BYTES = 1_000_000

#: Never through a link, never waiting on a FIFO (Windows has neither flag).
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)

_NOT_REGULAR = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFDIR: "a folder",
}


def read_memory_text(
    path: Path | str, *, size: int | None = None, limit: int | None = None
) -> tuple[str | None, str | None]:
    """A memory file's text (its first `limit` bytes), or (None, why it cannot be one).

    Never follows a symbolic link, never blocks on a FIFO, and never reads more than the
    size limit of a memory. The reason is ``"gone"`` when the file does not exist.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None, "gone"
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            return None, "is a symbolic link; memdir never reads through links"
        return None, f"cannot read: {exc.strerror or exc}"
    try:
        st = os.fstat(fd)
        kind = _NOT_REGULAR.get(stat.S_IFMT(st.st_mode))
        if kind is not None or not stat.S_ISREG(st.st_mode):
            return None, f"is {kind or 'not a regular file'}, not a memory file; remove it"
        if st.st_size > MAX_FILE_BYTES:
            return None, (
                f"file is {st.st_size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for a memory"
            )
        want = MAX_FILE_BYTES + 1 if limit is None else min(limit, MAX_FILE_BYTES + 1)
        chunks: list[bytes] = []
        got = 0
        # Done once the size fstat gave is read: a scan reads thousands of files, and
        # the read that would only find the end costs a system call each.
        while got < want:
            chunk = os.read(fd, want - got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got == st.st_size:
                break
        raw = b"".join(chunks)
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)
    if limit is None and len(raw) > MAX_FILE_BYTES:
        return None, f"file is over the {MAX_FILE_BYTES:,}-byte limit for a memory"
    if b"\x00" in raw:
        return None, "binary file (contains NUL bytes); memories are Markdown text"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A read cut at `limit` may end inside a multi-byte character: drop that partial
        # tail only. Any other bad byte, or a file that itself ends mid-character, is not
        # UTF-8 (the decoder reports the first problem, so all before it is valid).
        if limit is None or len(raw) < limit or exc.reason != "unexpected end of data":
            return None, f"not UTF-8 text (byte {exc.start}); save it as UTF-8"
        text = raw[: exc.start].decode("utf-8")
    return text.removeprefix("\ufeff").replace("\r\n", "\n"), None


def body_of(text: str) -> str:
    """The body of a memory file, without reading its frontmatter (as `split_frontmatter`
    would give it): recall shows bodies only, and YAML costs milliseconds to import."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return text
    end = frontmatter_end(lines, len(lines))
    return text if end is None else "\n".join(lines[end + 1 :]).lstrip("\n")


def frontmatter_end(lines: list[str], limit: int) -> int | None:
    """The index of the line closing a frontmatter opened by ``lines[0]``, looked for
    before `limit`; None when it is not closed there."""
    return next((i for i in range(1, limit) if lines[i].rstrip() in ("---", "...")), None)
