"""Builders of memory files and stores shared by the lint tests and the `memory lint` CLI tests."""

from __future__ import annotations

import random
import string
from pathlib import Path

from memdir.store.folder import MemoryDir

WHY_HOW = (
    "**Why:** Paybridge raises its fee on 2027-01-01.\n"
    "**How to apply:** new payment code must work with both providers.\n"
)


def memory(
    *,
    name: str | None = "Coinvault cutover",
    description: str | None = "New charges move from Paybridge to Coinvault on 2026-12-15",
    type_: str | None = "project",
    updated: str | None = "2026-03-02",
    body: str = "All new charges move to Coinvault on 2026-12-15.\n" + WHY_HOW,
    extra: str = "",
) -> str:
    """A memory file; each field given as None is left out."""
    head = ""
    for key, value in (
        ("name", name),
        ("description", description),
        ("type", type_),
        ("updated", updated),
    ):
        if value is not None:
            head += f"{key}: {value}\n"
    return f"---\n{head}{extra}---\n\n{body}"


def fake_key() -> str:
    """A GitHub-token-shaped string, the same one every call."""
    rng = random.Random(4)
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


def make_store(
    folder: Path, files: dict[str, str | bytes], *, index: str | None = None
) -> MemoryDir:
    """Write `files`, then the index: `index` as given, else synced by memdir itself."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    store = MemoryDir(folder)
    if index is None:
        store.init()
        store.sync_index()
    else:
        store.index_path.write_text(index, encoding="utf-8")
    return store
