"""Cache files in the state folder, written and read with `marshal`.

Caches are rebuilt from the memory files whenever they are missing, stale or unreadable,
so they need speed, not durability or portability: `marshal` reads and writes plain
dicts, lists and strings several times faster than `json` (a 10,000-memory token cache
loads in about 15 ms instead of 90). It never runs code: the values are data, and a file
that does not have the expected shape is treated as missing. Files are owner-only, in
the owner-only state folder.
"""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

from ..errors import MemdirError
from ..fsio import atomic_write


def load(path: Path | None, version: str) -> Any:
    """The data saved under `version`, or None (missing, unreadable, other version)."""
    if path is None:
        return None
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if isinstance(data, tuple) and len(data) == 2 and data[0] == version:
        return data[1]
    return None


def save(path: Path | None, version: str, data: Any) -> None:
    """Write the cache; failures are ignored (a missing cache only costs time)."""
    if path is None:
        return
    try:
        atomic_write(path, marshal.dumps((version, data)), mode=0o600, durable=False)
    except (MemdirError, ValueError):
        pass
