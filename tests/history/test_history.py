"""History through the library: one operation per write, undo, restore, hand edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from memdir import MemoryDir
from memdir.errors import OperationNotFoundError, UndoConflictError
from memdir.history import Actor, History

from .helpers import PLANTED, all_objects, files_of, git, memory_text

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable")


def _save(store: MemoryDir, name: str, body: str = "body", **kw: object) -> None:
    store.save(name=name, description=f"About {name} in detail", type="project", body=body, **kw)


def test_library_save_is_one_operation_with_its_actor_and_files(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "deploy freeze", actor=Actor("library", "my-agent"))
    [op] = store.history()
    assert op.actor == Actor("library", "my-agent")
    assert op.files == ("deploy_freeze.md", "MEMORY.md")
    assert op.summary.startswith("add deploy_freeze.md (project): About deploy freeze")
    assert not (memory_dir / ".git").exists()
    assert store.recorder.path.is_relative_to(store.state_path)


def test_update_and_delete_are_one_operation_each(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir, actor="cli")
    _save(store, "alpha")
    store.update("alpha", body="new body\nsecond line")
    store.delete("alpha", actor="mcp")
    ops = store.history()
    assert [(op.actor.kind, op.summary.split(" ")[0]) for op in ops] == [
        ("mcp", "delete"),
        ("cli", "edit"),
        ("cli", "add"),
    ]
    assert ops[1].summary == "edit alpha.md: body +2 -1"
    assert ops[1].files == ("alpha.md",)


def test_a_hand_edit_is_recorded_before_the_next_write(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha")
    (memory_dir / "mine.md").write_text(memory_text("mine", "Written in an editor", "x"))
    _save(store, "beta", actor="cli")
    ops = store.history()
    assert [op.actor.kind for op in ops] == ["cli", "hand-edit", "library"]
    assert ops[1].files == ("mine.md",)
    assert ops[0].files == ("beta.md", "MEMORY.md")


def test_nested_writes_join_one_operation(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    with store.operation(Actor("dream")) as recording:
        _save(store, "alpha")
        _save(store, "beta")
        store.delete("alpha")
    assert recording.operation is not None
    [op] = store.history()
    assert op == recording.operation
    assert op.actor == Actor("dream")
    assert op.files == ("beta.md", "MEMORY.md")


def test_undo_gives_back_the_exact_bytes_and_index(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha", body="first")
    before = files_of(memory_dir)
    store.update("alpha", body="second", description="Changed description of alpha")
    store.delete("alpha")
    store.undo()  # reverts the delete
    store.undo()  # reverts that undo: deleted again
    assert "alpha.md" not in files_of(memory_dir)
    store.undo()  # and back
    op = store.undo(store.history()[-2].id, force=True)  # the edit, across later ops
    assert op.undoes == store.history()[-2].id
    assert files_of(memory_dir) == before


def test_undo_refuses_across_a_later_operation_on_the_same_file(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha", body="one")
    _save(store, "beta")
    store.update("alpha", body="two")
    later = store.history()[0]
    first = store.history()[-1]
    with pytest.raises(UndoConflictError) as caught:
        store.undo(first.id)
    assert later.short_id in str(caught.value)
    assert (memory_dir / "alpha.md").exists()
    store.undo(first.id[:8], force=True)
    assert not (memory_dir / "alpha.md").exists()
    assert "alpha.md" not in store.read_index()
    assert "beta.md" in store.read_index()


def test_undo_of_an_older_operation_on_other_files_is_allowed(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha")
    _save(store, "beta")
    store.undo(store.history()[-1].id)
    assert sorted(files_of(memory_dir)) == ["MEMORY.md", "beta.md"]
    assert store.index_problems() == []


def test_restore_brings_back_a_forgotten_memory(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha", body="precious")
    text = (memory_dir / "alpha.md").read_bytes()
    store.delete("alpha")
    op = store.restore("alpha")
    assert (memory_dir / "alpha.md").read_bytes() == text
    assert "alpha.md" in store.read_index()
    assert op.files == ("alpha.md", "MEMORY.md")
    assert [o.summary.split()[0] for o in store.history("alpha")] == ["add", "delete", "add"]


def test_restore_at_an_operation_and_unknown_names(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha", body="v1")
    first = store.history()[0]
    store.update("alpha", body="v2")
    store.restore("alpha", at=first.short_id)
    assert "v1" in (memory_dir / "alpha.md").read_text()
    assert "v1" in store.history_text("alpha", first.id)
    with pytest.raises(OperationNotFoundError):
        store.restore("never-was")
    with pytest.raises(OperationNotFoundError):
        store.undo("abcdef12")


def test_log_follows_a_rename(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha")
    store.write_text("other.md", memory_text("other", "Unrelated memory here", "x"))
    with store.operation("memory-tool"):
        text = (memory_dir / "alpha.md").read_text()
        store.write_text("renamed.md", text)
        (memory_dir / "alpha.md").unlink()
    ops = store.history("renamed")
    assert [op.summary.split()[0] for op in ops] == ["rename", "add"]
    assert ops[0].renames == (("alpha.md", "renamed.md"),)


def test_history_off(memory_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMDIR_HISTORY", "off")
    store = MemoryDir(memory_dir)
    _save(store, "alpha")
    assert not store.recorder.enabled
    assert "MEMDIR_HISTORY=off" in (store.recorder.why_off or "")
    assert not store.recorder.path.exists()


def test_log_filters(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha", actor="cli")
    _save(store, "beta", actor="mcp")
    _save(store, "gamma", actor="cli")
    assert [op.files[0] for op in store.history(actor="cli")] == ["gamma.md", "alpha.md"]
    assert len(store.history(limit=2)) == 2
    history = History.for_folder(memory_dir, state_dir=store.state_path)
    assert [op.id for op in history.log()] == [op.id for op in store.history()]


@needs_git
def test_git_reads_the_history(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha", actor=Actor("extractor", "session-1"))
    log = git(store, "log", "--format=%an%n%B").decode()
    assert "extractor:session-1" in log
    assert "Memdir-Actor: extractor" in log
    assert "Memdir-File: alpha.md" in log
    git(store, "fsck", "--strict")


@needs_git
def test_a_hand_written_credential_never_enters_history(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha", body="clean")
    clean = (memory_dir / "alpha.md").read_text()
    (memory_dir / "alpha.md").write_text(clean + f"\ntoken {PLANTED}\n")
    (memory_dir / "leak.md").write_text(memory_text("leak", "A leak", f"key {PLANTED}"))
    _save(store, "beta")
    assert store.recorder.skipped().keys() == {"alpha.md", "leak.md"}
    ops = store.history()
    assert any("leak.md (holds a credential" in item for item in ops[0].skipped)
    assert PLANTED.encode() not in all_objects(store)
    assert PLANTED[:20].encode() not in all_objects(store)
    # The clean version stays in the record; the file is not recorded as deleted.
    assert "alpha.md" in git(store, "ls-tree", "--name-only", "HEAD").decode()


def test_record_takes_the_changes_as_its_own_actor(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    _save(store, "alpha")
    (memory_dir / "synced.md").write_text(memory_text("synced", "Pulled from the team", "x"))
    op = store.recorder.record(Actor("team-sync"))
    assert op is not None
    assert (op.actor, op.files) == (Actor("team-sync"), ("synced.md",))
    assert store.recorder.record(Actor("team-sync")) is None  # nothing left to record
