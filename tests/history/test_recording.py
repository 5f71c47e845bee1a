"""`memdir.history.history`: recording operations, undo, restore and prune on a bare folder."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memdir.errors import HistoryError, OperationNotFoundError, UndoConflictError
from memdir.history import Actor, History
from memdir.history.snapshot import blob_id

from .helpers import PLANTED


class Clock:
    """Record times a minute apart, from 2026-03-05 10:00 UTC."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC).timestamp()

    def time(self) -> float:
        self.now += 60
        return self.now


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "memory"
    path.mkdir()
    return path


@pytest.fixture
def history(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    from memdir.history import history as history_mod

    monkeypatch.setattr(history_mod, "time", Clock())
    return History.for_folder(folder, state_dir=tmp_path / "state", env={})


def write(folder: Path, **files: str | None) -> None:
    for name, text in files.items():
        path = folder / f"{name}.md"
        if text is None:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")


def texts(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.md"))}


def test_an_operation_records_earlier_hand_edits_first(history: History, folder: Path) -> None:
    write(folder, a="by hand")
    with history.operation(Actor("cli", "me")) as recording:
        write(folder, b="by the cli")
    ops = history.log()
    assert [(op.actor, op.files) for op in ops] == [
        (Actor("cli", "me"), ("b.md",)),
        (Actor("hand-edit"), ("a.md",)),
    ]
    assert recording.operation == ops[0]
    assert ops[0].time == datetime(2026, 3, 5, 10, 2, tzinfo=UTC)
    # A hand-edit operation takes the earlier edits into the same record.
    write(folder, c="more by hand")
    with history.operation(Actor("hand-edit")):
        write(folder, d="and more")
    assert history.log()[0].files == ("c.md", "d.md")
    assert len(history.log()) == 3


def test_an_operation_that_changes_nothing_records_nothing(history: History) -> None:
    with history.operation(Actor("cli")) as recording:
        pass
    assert recording.operation is None and history.log() == []


def test_a_failing_block_is_still_recorded_and_the_lock_freed(
    history: History, folder: Path
) -> None:
    with pytest.raises(RuntimeError), history.operation(Actor("cli")):
        write(folder, a="half")
        raise RuntimeError("the block failed")
    [op] = history.log()
    assert op.files == ("a.md",)
    with history.operation(Actor("mcp")):  # the thread holds nothing any more
        write(folder, b="b")
    assert [op.actor.kind for op in history.log()] == ["mcp", "cli"]


def test_nested_operations_join_the_outer_one(history: History, folder: Path) -> None:
    with history.operation(Actor("dream")) as outer:
        with history.operation(Actor("cli")) as inner:
            write(folder, a="a")
        assert inner is outer
        assert history.record(Actor("cli")) is None  # recorded when the outer one ends
        write(folder, b="b")
    [op] = history.log()
    assert (op.actor, op.files) == (Actor("dream"), ("a.md", "b.md"))


def test_another_thread_does_not_join_this_threads_operation(
    history: History, folder: Path
) -> None:
    seen: list[object] = []
    with history.operation(Actor("dream")):
        write(folder, a="a")

        def other() -> None:
            from memdir.history import history as history_mod

            seen.append(str(history.path) in history_mod._local.__dict__.get("held", {}))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert seen == [False]


def test_a_history_that_is_off_records_nothing(folder: Path, tmp_path: Path) -> None:
    off = History.for_folder(folder, state_dir=tmp_path / "state", env={"MEMDIR_HISTORY": "off"})
    with off.operation(Actor("cli")) as recording:
        write(folder, a="a")
    assert recording.operation is None
    assert off.record(Actor("cli")) is None
    assert not off.path.exists()
    with pytest.raises(HistoryError):
        off.undo()


def test_a_record_that_cannot_be_written_is_a_history_error(history: History, folder: Path) -> None:
    history.path.parent.mkdir(parents=True)
    history.path.write_text("a file where the repository should be")
    write(folder, a="a")
    with pytest.raises(HistoryError) as caught:
        history.record(Actor("cli"))
    assert caught.value.path == history.path
    assert "cannot record history: " in str(caught.value)
    assert str(caught.value).endswith("; MEMDIR_HISTORY=off writes without it")


def test_a_file_that_now_holds_a_credential_keeps_its_clean_version(
    history: History, folder: Path
) -> None:
    write(folder, a="clean")
    history.record(Actor("cli"))
    write(folder, a=f"key {PLANTED}", b="new")
    op = history.record(Actor("cli"))
    assert op is not None and op.files == ("b.md",)
    assert [s.split(" (")[0] for s in op.skipped] == ["a.md"]
    assert op.skipped[0].startswith("a.md (holds a credential (")
    assert history.files_at(history.at(op.id))["a.md"] == blob_id(b"clean")
    assert op.summary == "add b.md"


def test_only_blobs_of_the_recorded_files_are_stored(history: History, folder: Path) -> None:
    write(folder, a="a", b="b")
    history.record(Actor("cli"))
    write(folder, b=None)
    history.record(Actor("cli"))
    with history._repo.session():
        store = history._repo.store
        assert blob_id(b"a") in {sha.decode() for sha in store}
    assert history.size_on_disk() > 0


def test_undo_reverts_the_newest_operation_made_by_memdir(history: History, folder: Path) -> None:
    with history.operation(Actor("cli")):
        write(folder, a="one")
    with history.operation(Actor("mcp")):
        write(folder, a="two")
    write(folder, b="by hand")
    op = history.undo(actor=Actor("cli", "undoer"))
    assert texts(folder) == {"a.md": "one", "b.md": "by hand"}
    assert op.actor == Actor("cli", "undoer")
    mcp = history.log(actor="mcp")[0]
    assert op.undoes == mcp.id
    assert history.log()[1].actor.kind == "hand-edit"  # the hand edit was recorded first
    # Undoing the undo puts the change back.
    history.undo(op.id[:8])
    assert texts(folder)["a.md"] == "two"


def test_undo_of_nothing_and_of_a_no_longer_needed_change(history: History, folder: Path) -> None:
    with pytest.raises(OperationNotFoundError) as empty:
        history.undo()
    assert str(empty.value) == f"{folder}: no operation made by memdir to undo"
    write(folder, a="by hand")
    history.record(Actor("hand-edit"))
    with pytest.raises(OperationNotFoundError) as none:
        history.undo()
    assert str(none.value) == f"{folder}: no operation made by memdir to undo"
    with history.operation(Actor("cli")):
        write(folder, a="two")
    target = history.log()[0]
    write(folder, a="by hand")  # the folder already holds what undo would write back
    with pytest.raises(OperationNotFoundError) as noop:
        history.undo(target.id, force=True)
    assert str(noop.value) == (
        f"field 'op': nothing to undo: the folder already matches the state before {target.id[:8]}"
    )


def test_undo_across_a_later_change_names_it(history: History, folder: Path) -> None:
    with history.operation(Actor("cli")):
        write(folder, a="one", b="b")
    first = history.log()[0]
    with history.operation(Actor("mcp", "tool")):
        write(folder, a="two")
    later = history.log()[0]
    with history.operation(Actor("cli")):
        write(folder, c="unrelated")
    with pytest.raises(UndoConflictError) as caught:
        history.undo(first.id)
    assert str(caught.value) == (
        f"field 'op': operation {later.short_id} (mcp:tool, {later.summary}) changed a.md "
        f"after {first.id[:8]}; undo that first, or use --force to overwrite it"
    )
    assert texts(folder) == {"a.md": "two", "b.md": "b", "c.md": "unrelated"}
    history.undo(first.id, force=True)
    assert texts(folder) == {"c.md": "unrelated"}


def test_undo_puts_the_index_back_only_when_nothing_else_changed_it(
    history: History, folder: Path
) -> None:
    calls: list[int] = []
    history.reindex = lambda: calls.append(1)
    with history.operation(Actor("cli")):
        write(folder, a="a", MEMORY="- a\n")
    with history.operation(Actor("cli")):
        write(folder, b="b", MEMORY="- a\n- b\n")
    history.undo()
    assert texts(folder) == {"MEMORY.md": "- a\n", "a.md": "a"}
    assert calls == []  # the index came back byte for byte
    with history.operation(Actor("cli")):
        write(folder, b="b", MEMORY="- a\n- b\n")
    write(folder, MEMORY="- a\n- b\n- edited by hand\n")
    history.undo(history.log(actor="cli")[0].id)
    assert texts(folder)["MEMORY.md"] == "- a\n- b\n- edited by hand\n"
    assert calls == [1]  # the index is left to be re-synced instead


def test_undo_of_an_index_only_change_needs_no_reindex(history: History, folder: Path) -> None:
    calls: list[int] = []
    history.reindex = lambda: calls.append(1)
    with history.operation(Actor("cli")):
        write(folder, a="a", MEMORY="- a\n")
    with history.operation(Actor("cli")):
        write(folder, MEMORY="- a, edited\n")
    write(folder, MEMORY="changed again")  # so the index is not put back either
    with pytest.raises(OperationNotFoundError):
        history.undo(history.log()[0].id, force=True)
    assert calls == []  # no memory was touched: nothing to re-sync


def test_restore_brings_back_a_deleted_or_earlier_version(history: History, folder: Path) -> None:
    calls: list[int] = []
    history.reindex = lambda: calls.append(1)
    with history.operation(Actor("cli")):
        write(folder, a="v1")
    first = history.log()[0]
    with history.operation(Actor("cli")):
        write(folder, a="v2")
    op = history.restore("a", actor=Actor("mcp"))
    assert texts(folder) == {"a.md": "v1"} and op.actor == Actor("mcp") and calls == [1]
    history.restore("a.md")  # back again: v2 is the version before the latest change
    assert texts(folder) == {"a.md": "v2"}
    with history.operation(Actor("cli")):
        write(folder, a=None)
    history.restore("a")
    assert texts(folder) == {"a.md": "v2"}
    history.restore("a", at=first.id[:8])
    assert texts(folder) == {"a.md": "v1"}
    with pytest.raises(OperationNotFoundError) as same:
        history.restore("a", at=first.id)
    assert str(same.value) == "field 'name': a.md already holds that version; nothing to restore"


def test_restore_refusals_name_the_file(history: History, folder: Path) -> None:
    with history.operation(Actor("cli")):
        write(folder, a="only")
    first = history.log()[0]
    with pytest.raises(OperationNotFoundError) as other:
        history.restore("a")
    assert str(other.value) == "field 'name': the history holds no other version of a.md"
    with history.operation(Actor("cli")):
        write(folder, b="b")
    second = history.log()[0]
    with history.operation(Actor("cli")):
        write(folder, b=None)
    with pytest.raises(OperationNotFoundError) as missing:
        history.restore("b", at=first.id)
    assert str(missing.value) == f"field 'at': b.md did not exist after operation {first.id[:8]}"
    history.restore("b", at=second.id)
    assert texts(folder)["b.md"] == "b"


def test_prune_squashes_operations_before_a_time(history: History, folder: Path) -> None:
    for n in range(4):
        with history.operation(Actor("cli")):
            write(folder, **{f"m{n}": str(n)})
    ops = history.log()
    newest_files = history.files_at(history.at(ops[0].id))
    cut = ops[1].time  # operations 1 and 2 (oldest two) go; 3 and 4 stay
    assert history.prune(cut, actor=Actor("cli", "pruner")) == 2
    after = history.log()
    assert len(after) == 3
    assert after[-1].summary == f"squash 2 operations before {cut.date().isoformat()}"
    assert after[-1].actor == Actor("cli", "pruner")
    assert after[-1].files == ("m0.md", "m1.md")
    assert after[-1].time == ops[2].time
    assert [(op.summary, op.time, op.actor) for op in after[:2]] == [
        (op.summary, op.time, op.actor) for op in ops[:2]
    ]
    assert history.files_at(history.at(after[0].id)) == newest_files
    assert history._head_files(after[0].id) == history._head_files_uncached(after[0].id)
    assert history.prune(cut) == 0  # one old operation left: nothing to squash


def test_prune_of_an_empty_history(history: History) -> None:
    assert history.prune(datetime(2030, 1, 1, tzinfo=UTC)) == 0


def test_without_dulwich_the_history_is_off_and_says_how_to_fix_it(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "dulwich", None)  # `import dulwich` raises ImportError
    off = History.for_folder(folder, state_dir=tmp_path / "state", env={})
    assert off.why_off == "the dulwich package is not installed (pip install dulwich)"
    assert not off.enabled


def test_a_folder_under_home_is_named_by_its_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    by_home = History.for_folder(Path("~/memory"), state_dir=tmp_path / "state", env={})
    relative = History.for_folder(Path("memory"), state_dir=tmp_path / "state", env={})
    assert by_home.folder == relative.folder == tmp_path / "memory"
    assert by_home.path == relative.path


def test_a_file_name_that_is_not_utf8_does_not_block_recording(
    history: History, folder: Path
) -> None:
    # Linux file names are bytes: a hand-made one that is not UTF-8 is recorded under its
    # exact name; the operation's text shows U+FFFD in place of the odd bytes.
    name = os.fsdecode(b"caf\xe9.md")
    (folder / name).write_bytes(b"x")
    op = history.record(Actor("cli"))
    assert op is not None
    assert op.files == ("caf\ufffd.md",)
    assert op.summary == "add caf\ufffd.md"
    assert history.files_at(history.at(op.id)) == {name: blob_id(b"x")}
    write(folder, a="a")
    assert history.record(Actor("cli")) is not None


def test_a_library_actor_named_by_bytes_is_recorded(
    history: History, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(sys, "argv", [os.fsdecode(b"/usr/bin/agent-\xe9")])
    write(folder, a="a")
    op = history.record(Actor.library())
    assert op is not None and op.actor == Actor("library", "agent-\ufffd")


def test_record_works_in_a_thread_that_never_opened_an_operation(
    history: History, folder: Path
) -> None:
    write(folder, a="a")
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(history.record(Actor("cli"))))
    thread.start()
    thread.join()
    [op] = results
    assert op is not None and op.files == ("a.md",)  # type: ignore[attr-defined]


def test_the_stat_cache_sits_next_to_the_repository(history: History, folder: Path) -> None:
    write(folder, a="a")
    history.record(Actor("cli"))
    assert (history.path / "memdir-stat").is_file()
    assert (history.path / "memdir-tree").is_file()


def test_undo_of_a_file_already_deleted_by_hand_has_nothing_to_do(
    history: History, folder: Path
) -> None:
    with history.operation(Actor("cli")):
        write(folder, a="a")
    target = history.log()[0]
    write(folder, a=None)
    with pytest.raises(OperationNotFoundError):
        history.undo(target.id, force=True)
    assert texts(folder) == {}


def test_an_undo_conflict_names_every_file_the_later_operation_changed(
    history: History, folder: Path
) -> None:
    with history.operation(Actor("cli")):
        write(folder, a="1", b="1")
    first = history.log()[0]
    with history.operation(Actor("cli")):
        write(folder, a="2", b="2")
    with pytest.raises(UndoConflictError) as caught:
        history.undo(first.id)
    assert "changed a.md, b.md after" in str(caught.value)


def test_restore_looks_past_operations_on_other_files(history: History, folder: Path) -> None:
    with history.operation(Actor("cli")):
        write(folder, a="v1")
    with history.operation(Actor("cli")):
        write(folder, a="v2")
    with history.operation(Actor("cli")):
        write(folder, b="other")
    history.restore("a")
    assert texts(folder)["a.md"] == "v1"


def test_prune_drops_the_squashed_commits(history: History, folder: Path) -> None:
    for n in range(3):
        with history.operation(Actor("cli")):
            write(folder, **{f"m{n}": str(n)})
    ops = history.log()
    history.prune(ops[0].time)
    with history._repo.session():
        ids = {sha.decode() for sha in history._repo.store}
    assert not {op.id for op in ops} & ids  # old commits are gone, not just unreachable
