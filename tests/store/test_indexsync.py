"""The one index sync: memdir's own lines follow their memory, people's lines stay."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from memdir.store.folder import MemoryDir
from memdir.store.memoryfile import split_frontmatter

OLD = "---\nname: Old\ndescription: an old note\ntype: user\nupdated: 2025-08-01\n---\nbody\n"


def updated_of(path: Path) -> object:
    return split_frontmatter(path.read_text()).meta.get("updated")


def test_own_writes_rewrite_their_own_line_and_keep_hand_written_ones(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    store.save(name="Deploys", description="Deploys happen on Tuesdays", type="project",
               body="b\n**Why:** x\n**How to apply:** y")  # fmt: skip
    store.save(name="Role", description="Backend lead", type="user", body="b")
    hand = "- [Role](role.md) — the person I work for, in my words"
    store.index_path.write_text(
        "# Notes\n" + store.read_index().replace("- [Role](role.md) — Backend lead", hand)
    )

    store.save(name="Deploys", description="Deploys happen on Thursdays", type="project",
               body="b\n**Why:** x\n**How to apply:** y", overwrite=True)  # fmt: skip
    assert "- [Deploys](deploys.md) — Deploys happen on Thursdays" in store.read_index()
    store.update("Deploys", description="Deploys happen on Fridays")
    store.update("Role", description="Staff engineer")
    text = store.read_index()
    assert "- [Deploys](deploys.md) — Deploys happen on Fridays" in text
    assert "Tuesdays" not in text and "Thursdays" not in text
    assert hand in text and text.startswith("# Notes\n")
    assert text.count("deploys.md") == 1

    store.write_text(
        "deploys.md",
        "---\nname: Deploy days\ndescription: Deploys on Mondays\ntype: user\n---\nb\n",
    )
    assert "- [Deploy days](deploys.md) — Deploys on Mondays" in store.read_index()
    assert store.index_problems(style=True) == []


def test_own_lines_are_known_even_without_the_record(memory_dir: Path) -> None:
    """The line memdir would have generated for the old header is its own too."""
    store = MemoryDir(memory_dir)
    store.save(name="A", description="first", type="user", body="b")
    store.generated_lines().file.unlink()
    store.update("A", description="second")
    assert store.read_index() == "- [A](a.md) — second\n"


def test_every_write_sets_or_bumps_updated(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    today = date.today()
    saved = store.save(name="New", description="fresh", type="user", body="b")
    assert saved.memory.updated == today
    assert updated_of(memory_dir / "new.md") == today

    (memory_dir / "old.md").write_text(OLD)
    assert store.get("Old").age_days > 100
    assert store.update("Old", body="changed").memory.age_days == 0
    assert updated_of(memory_dir / "old.md") == today

    (memory_dir / "old.md").write_text(OLD)
    store.write_text("old.md", OLD.replace("body", "edited body"))
    text = (memory_dir / "old.md").read_text()
    assert f"updated: {today.isoformat()}\n" in text and "2025-08-01" not in text

    (memory_dir / "old.md").write_text(OLD)
    store.modify("old.md", lambda t: t.replace("body", "tool edit"))
    assert updated_of(memory_dir / "old.md") == today


def test_write_text_keeps_a_persons_formatting_when_stamping_updated(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    text = "---\nname: 'Quoted'\n# a comment\ndescription: \"kept as is\"\ntype: user\n---\nb\n"
    store.write_text("q.md", text)
    assert (memory_dir / "q.md").read_text() == text.replace(
        "type: user\n", f"type: user\nupdated: {date.today().isoformat()}\n"
    )


def test_a_file_left_unindexed_by_a_crash_is_indexed_by_the_next_write(
    memory_dir: Path,
) -> None:
    store = MemoryDir(memory_dir)
    store.save(name="A", description="a", type="user", body="b")
    # A writer killed between the file and the index write leaves exactly this.
    (memory_dir / "orphan.md").write_text(OLD.replace("Old", "Orphan"))
    store.save(name="B", description="b", type="user", body="b")
    assert "(orphan.md)" in store.read_index()
    assert store.index_problems() == []


def test_stale_temp_files_of_dead_writers_are_removed_by_the_next_write(
    memory_dir: Path,
) -> None:
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    leftover = memory_dir / f".{dead.stdout.strip()}-abc123.tmp"
    leftover.write_text("half a memo")
    mine = memory_dir / ".999999999-x.tmp.keep"  # not a temp name: untouched
    mine.write_text("x")
    MemoryDir(memory_dir).save(name="A", description="a", type="user", body="b")
    assert not leftover.exists() and mine.exists()
