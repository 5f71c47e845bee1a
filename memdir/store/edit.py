"""Saving a memory a person edited by hand, without ever losing their text."""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidMemoryError, MemdirError
from ..fsio import atomic_write
from .folder import MemoryDir


def rejected_path(store: MemoryDir, filename: str) -> Path:
    """Where a refused edit of `filename` is kept: ``<state>/rejected/<file name>``."""
    return store.state_path / "rejected" / Path(filename).name


def save_edit(store: MemoryDir, filename: str, text: str) -> Path:
    """Replace memory `filename` with `text` when it is valid; the file's path.

    Raises:
        InvalidMemoryError: `text` was refused; the file is unchanged and `text` is kept
            in the state folder (the message says where), so the edit is not lost.
    """
    try:
        header = store.write_text(filename, text)
    except MemdirError as exc:
        keep = rejected_path(store, filename)
        atomic_write(keep, text, mode=0o600)
        raise InvalidMemoryError(
            f"{exc.message}. The file was not changed; your edit is saved in {keep}",
            path=exc.path or store.path / filename,
            field=exc.field,
        ) from exc
    return header.path
