"""`share` and `unshare`: moving a memory between the private and the team folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from memdir.errors import ConfigurationError, InvalidMemoryError, SecretDetectedError
from memdir.store.folder import MemoryDir
from memdir.team import share_memory, unshare_memory

from .conftest import body


def _store(tmp_path: Path, *, team: bool = True) -> MemoryDir:
    store = MemoryDir(tmp_path / "mem", state=tmp_path / "state")
    store.init()
    if team:
        (store.path / "team" / ".git").mkdir(parents=True)
    return store


def test_share_and_unshare_move_the_file_and_the_index_line(tmp_path: Path) -> None:
    store = _store(tmp_path)
    saved = store.save(
        name="Style", description="Reviews want small PRs", type="feedback", body=body("Small.")
    )
    original = saved.memory.path.read_bytes()
    moved = share_memory(store, "Style")
    assert (moved.before, moved.after) == ("style.md", "team/style.md")
    assert (store.path / "team" / "style.md").read_bytes() == original
    assert not (store.path / "style.md").exists()
    assert "(team/style.md)" in store.read_index() and "(style.md)" not in store.read_index()
    back = unshare_memory(store, "style")
    assert back.after == "style.md" and (store.path / "style.md").read_bytes() == original
    assert "(style.md)" in store.read_index() and "team/style.md" not in store.read_index()


def test_user_memories_and_credentials_are_not_shared(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.save(name="Role", description="Senior Go engineer", type="user", body="Go.")
    with pytest.raises(InvalidMemoryError, match="never shared"):
        share_memory(store, "Role")
    (store.path / "ci.md").write_text(
        "---\nname: CI\ndescription: CI job token\ntype: project\n---\n"
        "token ghp_TBS6KbdkIgqvbxMtJmImixsNEmdWD87N6Vaz\n"
    )
    with pytest.raises(SecretDetectedError):
        share_memory(store, "ci")
    assert (store.path / "ci.md").exists()


def test_share_needs_a_team_folder(tmp_path: Path) -> None:
    store = _store(tmp_path, team=False)
    store.save(name="Style", description="Small PRs", type="feedback", body=body("x"))
    with pytest.raises(ConfigurationError, match="team init"):
        share_memory(store, "Style")
