"""Reading the memories recall returns: each body within the caps, credentials taken out.

Standard library only at import: recall reads these on every prompt.
"""

from __future__ import annotations

from pathlib import Path

#: A recalled memory is cut to this many lines and bytes of its body.
MAX_LINES = 200
MAX_BYTES = 4096


def read_capped(
    path: Path | str, *, max_lines: int = MAX_LINES, max_bytes: int = MAX_BYTES
) -> tuple[str, bool]:
    """A memory's body, cut at a line boundary to the line and byte caps, credentials
    replaced by a marker (`memdir.store.secrets.redact`): (text, whether it was cut).

    Read without following a link or opening a FIFO (`read_memory_text`): a link planted
    in the folder must not put another file's content into an agent's context.

    Raises:
        OSError: the file is gone or cannot be read as a memory.
    """
    from ..store.filetext import body_of, read_memory_text
    from ..store.redaction import redact

    limit = max_bytes * 4 + 4096
    text, reason = read_memory_text(path, limit=limit + 1)
    if text is None:
        raise OSError(reason)
    more = len(text.encode("utf-8")) > limit
    body, _count = redact(body_of(text))
    lines = body.split("\n")
    kept: list[str] = []
    used = 0
    truncated = more
    for i, line in enumerate(lines):
        size = len(line.encode("utf-8")) + 1
        if i >= max_lines or used + size > max_bytes:
            truncated = True
            break
        kept.append(line)
        used += size
    return "\n".join(kept).rstrip("\n"), truncated
