"""Issue 11: hostile and broken files, races and crashes, case by case.

Each test names the case of the issue it holds; each failed on the build before the fix.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from memdir.errors import InvalidMemoryError, MemoryNotFoundError, UnsafePathError
from memdir.lint.check import lint
from memdir.store.folder import MemoryDir
from tests.store.test_memoryfile import alias_bomb

GOOD = "---\nname: {name}\ndescription: note about {name}\ntype: user\n---\nbody of {name}\n"


def good(folder: Path, name: str) -> None:
    (folder / f"{name}.md").write_text(GOOD.format(name=name))


# 1. One impossible date stops everything.
@pytest.mark.parametrize("day", ["2026-02-29", "0000-00-00"])
def test_1_an_impossible_date_is_a_problem_of_that_file_only(memory_dir: Path, day: str) -> None:
    good(memory_dir, "fine")
    (memory_dir / "leap.md").write_text(
        f"---\nname: Leap\ndescription: about leap days\ntype: user\nupdated: {day}\n---\nb\n"
    )
    store = MemoryDir(memory_dir)
    assert sorted(h.filename for h in store.scan().memories) == ["fine.md", "leap.md"]
    assert store.get("Leap").updated is None  # the mtime counts meanwhile
    rules = [(p.file, p.rule) for p in lint(store).problems if p.file == "leap.md"]
    assert ("leap.md", "updated-invalid") in rules
    store.sync_index()
    assert "(leap.md)" in store.read_index()


# 2. A YAML alias bomb hangs every command.
def test_2_an_alias_bomb_is_refused_and_the_folder_goes_on(memory_dir: Path) -> None:
    good(memory_dir, "fine")
    (memory_dir / "bomb.md").write_text(alias_bomb("description"))
    store = MemoryDir(memory_dir)
    report = store.scan()
    assert [h.filename for h in report.memories] == ["fine.md"]
    assert [p.path.name for p in report.problems] == ["bomb.md"]
    problems = [p for p in lint(store).problems if p.file == "bomb.md"]
    assert [p.rule for p in problems] == ["frontmatter-invalid"]
    assert "anchor" in problems[0].message
    store.delete("bomb")  # forget works whatever is inside
    assert not (memory_dir / "bomb.md").exists()


# 3. Concurrent writers to one memory lose data silently.
def _create(folder: str, barrier: object, results: object) -> None:
    store = MemoryDir(folder)
    barrier.wait()  # type: ignore[attr-defined]
    try:
        store.save(name="Same", description=f"from {os.getpid()}", type="user", body="b")
        results.put("saved")  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - the test counts outcomes
        results.put(type(exc).__name__)  # type: ignore[attr-defined]


def test_3_two_creators_of_one_name_cannot_both_save(memory_dir: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(5):
        for stale in memory_dir.glob("same.md"):
            stale.unlink()
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [
            ctx.Process(target=_create, args=(str(memory_dir), barrier, results)) for _ in range(2)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        outcomes = sorted(results.get(timeout=5) for _ in procs)
        assert outcomes == ["MemoryExistsError", "saved"], (round_, outcomes)


def test_3_update_after_delete_does_not_resurrect(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    store.save(name="Gone", description="soon gone", type="user", body="b")
    other = MemoryDir(memory_dir)
    relative = store.find("Gone").filename
    other.delete("Gone")
    with pytest.raises(MemoryNotFoundError):
        store.modify(relative, lambda text: text + "more\n")
    with pytest.raises(MemoryNotFoundError):
        store.update("Gone", body="new")
    assert not (memory_dir / "gone.md").exists()


# 4. Recall follows symlinks out of the folder.
def test_4_a_link_out_of_the_folder_is_never_read(memory_dir: Path, tmp_path: Path) -> None:
    from memdir.recall.bodies import read_capped
    from memdir.recall.recaller import Recaller

    secret = tmp_path / "credentials"
    secret.write_text(GOOD.format(name="aws") + "OUTSIDE-CONTENT\n")
    (memory_dir / "aws.md").symlink_to(secret)
    good(memory_dir, "fine")
    store = MemoryDir(memory_dir)
    report = store.scan()
    assert [h.filename for h in report.memories] == ["fine.md"]
    (problem,) = report.problems
    assert "outside the memory folder" in problem.reason
    assert [p.rule for p in lint(store).problems if p.file == "aws.md"] == ["file-unreadable"]
    with pytest.raises(OSError):
        read_capped(memory_dir / "aws.md")
    result = Recaller(store).recall("what do we know about aws", offline=True)
    assert "OUTSIDE-CONTENT" not in result.render()


# 5. Symlinks inside the folder redirect writes and deletes; "Memory" is MEMORY.md.
def test_5_writes_and_deletes_never_act_through_a_link(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    store.save(name="Real", description="a real memory", type="user", body="b")
    index = store.read_index()
    (memory_dir / "mlink.md").symlink_to(memory_dir / "MEMORY.md")
    with pytest.raises(UnsafePathError):
        store.save(name="mlink", description="d", type="user", body="b", overwrite=True)
    with pytest.raises(UnsafePathError):
        store.write_text("mlink.md", GOOD.format(name="x"))
    assert store.read_index() == index
    store.delete("mlink")  # removes the link, not what it points to
    assert not os.path.lexists(memory_dir / "mlink.md")
    assert store.read_index() == index


@pytest.mark.parametrize("name", ["Memory", "MEMORY", "memory"])
def test_5_a_memory_named_memory_never_touches_the_index(memory_dir: Path, name: str) -> None:
    store = MemoryDir(memory_dir)
    store.save(name="Real", description="a real memory", type="user", body="b")
    with pytest.raises(InvalidMemoryError) as info:
        store.save(name=name, description="d", type="user", body="b", overwrite=True)
    assert "MEMORY.md" in info.value.message
    with pytest.raises(InvalidMemoryError):
        store.write_text("Memory.md", GOOD.format(name="x"))
    assert sorted(p.name for p in memory_dir.iterdir()) == ["MEMORY.md", "real.md"]


# 7. Files the CLI saves but cannot manage.
@pytest.mark.parametrize(
    "content",
    [b"---\nname: [broken\n  - x: {\n---\n", b"\x00\x01binary", b"\xff\xfe not utf-8", b""],
)
def test_7_forget_works_on_every_file_lint_names(memory_dir: Path, content: bytes) -> None:
    (memory_dir / "odd.md").write_bytes(content)
    store = MemoryDir(memory_dir)
    assert "odd.md" in {p.file for p in lint(store).problems}
    found = store.inspect("odd")
    # An empty file still loads (no frontmatter: a legacy note); the others cannot.
    assert (found.memory is None and bool(found.problem)) is bool(content)
    store.delete("odd")
    assert not (memory_dir / "odd.md").exists()


def test_7_forget_works_on_a_fifo(memory_dir: Path) -> None:
    os.mkfifo(memory_dir / "pipe.md")
    store = MemoryDir(memory_dir)
    assert [p.rule for p in lint(store).problems if p.file == "pipe.md"] == ["file-unreadable"]
    store.delete("pipe")
    assert not os.path.lexists(memory_dir / "pipe.md")
