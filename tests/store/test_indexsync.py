"""The one index sync: memdir's own lines follow their memory, people's lines stay."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import date
from pathlib import Path

import pytest

from memdir.store.folder import MemoryDir
from memdir.store.indexsync import GeneratedLines, refresh_lines, stale_lines, sync_text
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


# -- the record of memdir's own lines --------------------------------------------------------


def _header(filename: str, description: str, *, name: str = "Title", typed: bool = True):
    from memdir.types import MemoryHeader, MemoryType

    return MemoryHeader(
        path=Path("/m") / filename,
        filename=filename,
        name=name,
        description=description,
        type=MemoryType.USER if typed else None,
        raw_type="user" if typed else None,
        mtime=0.0,
        size=10,
    )


def test_the_record_survives_a_new_process(tmp_path: Path) -> None:
    record = tmp_path / "state" / "lines.json"
    first = GeneratedLines(record)
    first.record("a.md", "- [A](a.md) — x")
    first.record("b.md", "- [B](b.md) — y")
    first.save()
    again = GeneratedLines(record)
    assert again.is_ours("a.md", "- [A](a.md) — x")
    assert not again.is_ours("a.md", "- [A](a.md) — edited by hand")
    assert not again.is_ours("c.md", "- [A](a.md) — x")
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    data = json.loads(record.read_text())
    assert data["version"] == 1 and sorted(data["lines"]) == ["a.md", "b.md"]
    assert record.read_text() == json.dumps(data, sort_keys=True)


def test_a_record_written_by_an_earlier_run_is_read_as_it_is(tmp_path: Path) -> None:
    # The hash of each line is part of the file format: records already on disk must
    # keep matching their lines after an upgrade.
    line = "- [Café](café.md) — déjà vu"
    digest = hashlib.sha1(line.encode("utf-8")).hexdigest()[:12]
    record = tmp_path / "lines.json"
    record.write_text(json.dumps({"version": 1, "lines": {"café.md": digest}}))
    assert GeneratedLines(record).is_ours("café.md", line)


def test_nothing_to_save_writes_nothing(tmp_path: Path) -> None:
    record = tmp_path / "lines.json"
    lines = GeneratedLines(record)
    lines.forget(["never-recorded.md"])
    lines.save()
    assert not record.exists()
    lines.record("a.md", "- [A](a.md) — x")
    lines.save()
    record.write_text("sentinel: a second save with no change must not rewrite")
    lines.record("a.md", "- [A](a.md) — x")  # the same line again: no change
    lines.save()
    assert record.read_text().startswith("sentinel")


def test_forgotten_files_are_no_longer_ours(tmp_path: Path) -> None:
    record = tmp_path / "lines.json"
    lines = GeneratedLines(record)
    lines.record("a.md", "- [A](a.md) — x")
    lines.record("b.md", "- [B](b.md) — y")
    lines.save()
    again = GeneratedLines(record)
    again.forget(["a.md"])
    again.save()
    last = GeneratedLines(record)
    assert not last.is_ours("a.md", "- [A](a.md) — x")
    assert last.is_ours("b.md", "- [B](b.md) — y")


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"version": 2, "lines": {"a.md": "0" * 12}}),
        json.dumps({"lines": {"a.md": "0" * 12}}),
        json.dumps({"version": 1, "lines": ["a.md"]}),
        json.dumps(["version", 1]),
        "[" * 100_000,
    ],
    ids=["corrupt", "other-version", "no-version", "list", "not-a-dict", "deep"],
)
def test_an_unusable_record_means_no_line_is_known(tmp_path: Path, content: str) -> None:
    record = tmp_path / "lines.json"
    record.write_text(content)
    assert not GeneratedLines(record).is_ours("a.md", "anything")


def test_entries_of_the_wrong_type_are_dropped_from_the_record(tmp_path: Path) -> None:
    line = "- [A](a.md) — x"
    digest = hashlib.sha1(line.encode()).hexdigest()[:12]
    record = tmp_path / "lines.json"
    record.write_text(
        json.dumps({"version": 1, "lines": {"a.md": digest, "b.md": 7, "c.md": None}})
    )
    lines = GeneratedLines(record)
    assert lines.is_ours("a.md", line)
    lines.record("d.md", "- [D](d.md) — d")
    lines.save()
    assert sorted(json.loads(record.read_text())["lines"]) == ["a.md", "d.md"]


# -- rewriting, reporting and syncing own lines ----------------------------------------------


def test_own_stale_lines_are_rewritten_and_others_kept(tmp_path: Path) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    lines.record("a.md", "- [A](a.md) — old")
    text = (
        "# Index\n"
        "- [A](a.md) — old\n"
        "- [B](b.md) — written by hand\n"
        "- [C](c.md) — still current\n"
        "- [D](d.md) — half-way through an edit\n"
        "see [A](a.md) — not a list item\n"
        "- [A](a.md) and [B](b.md) — two links\n"
    )
    memories = [
        _header("a.md", "new", name="A"),
        _header("b.md", "changed", name="B"),
        _header("c.md", "still current", name="C"),
        _header("d.md", "", name="D"),
    ]
    assert stale_lines(text, memories, lines) == [(2, "a.md")]
    new, rewritten = refresh_lines(text, memories, lines)
    assert rewritten == ["- [A](a.md) — new"]
    assert new == text.replace("- [A](a.md) — old\n", "- [A](a.md) — new\n", 1)
    assert lines.is_ours("a.md", "- [A](a.md) — new")
    assert lines.is_ours("c.md", "- [C](c.md) — still current")  # current lines are claimed
    assert not lines.is_ours("b.md", "- [B](b.md) — written by hand")


def test_a_file_without_a_type_keeps_its_line(tmp_path: Path) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    lines.record("a.md", "- [A](a.md) — old")
    text = "- [A](a.md) — old\n"
    new, rewritten = refresh_lines(text, [_header("a.md", "new", name="A", typed=False)], lines)
    assert (new, rewritten) == (text, [])


def test_the_previous_header_identifies_an_unrecorded_own_line(tmp_path: Path) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    text = "- [A](a.md) — old\n- [B](b.md) — old\n"
    previous = {"a.md": _header("a.md", "old", name="A")}
    new, rewritten = refresh_lines(
        text, [_header("a.md", "new", name="A"), _header("b.md", "new", name="B")], lines,
        previous=previous,
    )  # fmt: skip
    assert new == "- [A](a.md) — new\n- [B](b.md) — old\n"
    assert rewritten == ["- [A](a.md) — new"]


def test_sync_without_dropping_dead_entries(tmp_path: Path) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    lines.record("a.md", "- [A](a.md) — old")
    text = "- [A](a.md) — old\n- [Gone](gone.md) — x\n"
    memories = [_header("a.md", "new", name="A"), _header("n.md", "fresh", name="N")]
    result = sync_text(text, memories, lines, drop_dead=False)
    assert result.text == "- [A](a.md) — new\n- [Gone](gone.md) — x\n- [N](n.md) — fresh\n"
    assert result.added == ("- [N](n.md) — fresh",)
    assert result.removed == ()
    assert result.rewritten == ("- [A](a.md) — new",)
    assert result.changed
    assert lines.is_ours("n.md", "- [N](n.md) — fresh")


def test_sync_drops_dead_entries_and_forgets_them(tmp_path: Path) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    lines.record("gone.md", "- [Gone](gone.md) — x")
    text = "- [Gone](gone.md) — x\n- [Broken](broken.md) — y\n"
    result = sync_text(text, [], lines, existing=["broken.md"])
    assert result.text == "- [Broken](broken.md) — y\n"
    assert result.removed == ("- [Gone](gone.md) — x",)
    assert not lines.is_ours("gone.md", "- [Gone](gone.md) — x")


def test_sync_of_an_index_in_line_returns_it_unchanged(tmp_path: Path) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    text = "# Hand-made heading\n- [A](a.md) — a\n"
    result = sync_text(text, [_header("a.md", "a", name="A")], lines)
    assert result.text is text
    assert not result.changed and result.rewritten == ()


def test_on_a_case_insensitive_file_system_names_compare_folded(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import memdir.store.folderindex as folderindex

    # What macOS and Windows do: Foo.md and foo.md are one file.
    monkeypatch.setattr(folderindex, "_case_insensitive", lambda folder: True)
    store = MemoryDir(memory_dir)
    store.save(name="Foo", description="the foo note", type="user", body="b")
    hand = "- [Foo](Foo.md) — my link, spelled my way"
    store.index_path.write_text(hand + "\n")
    store.save(name="Bar", description="the bar note", type="user", body="b")
    assert store.sync_index().changed is False
    assert store.read_index() == f"{hand}\n- [Bar](bar.md) — the bar note\n"
    assert store.index_problems() == []
    store.delete("Foo")
    assert store.read_index() == "- [Bar](bar.md) — the bar note\n"


def test_case_sensitivity_is_probed_without_writing(memory_dir: Path) -> None:
    from memdir.store.folderindex import _case_insensitive

    before = sorted(memory_dir.iterdir())
    assert _case_insensitive(memory_dir) is (memory_dir.with_name("MEMORIES").exists())
    assert sorted(memory_dir.iterdir()) == before


def test_many_memories_are_refreshed_like_few(tmp_path: Path) -> None:
    # Past eight memories the quick substring filter is off; the result is the same.
    lines = GeneratedLines(tmp_path / "lines.json")
    memories = [_header(f"m{i}.md", f"new {i}", name=f"M{i}") for i in range(12)]
    text = "".join(f"- [M{i}](m{i}.md) — old {i}\n" for i in range(12))
    for i in range(12):
        lines.record(f"m{i}.md", f"- [M{i}](m{i}.md) — old {i}")
    new, rewritten = refresh_lines(text, memories, lines)
    assert new == text.replace("old", "new")
    assert len(rewritten) == 12


def test_only_a_rewrite_still_gives_the_new_text(tmp_path: Path) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    lines.record("a.md", "- [A](a.md) — old")
    result = sync_text("- [A](a.md) — old\n", [_header("a.md", "new", name="A")], lines)
    assert (result.text, result.added, result.removed) == ("- [A](a.md) — new\n", (), ())
    assert result.rewritten == ("- [A](a.md) — new",) and result.changed is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "- [N](n.md) — fresh\n"),
        ("\n\n", "- [N](n.md) — fresh\n"),
        ("# Notes\n\n\n", "# Notes\n- [N](n.md) — fresh\n"),
        ("# Notes", "# Notes\n- [N](n.md) — fresh\n"),
        ("# Notes  \n", "# Notes  \n- [N](n.md) — fresh\n"),
        ("see XX\n", "see XX\n- [N](n.md) — fresh\n"),
    ],
)
def test_entries_added_without_dropping_go_after_the_last_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    result = sync_text(text, [_header("n.md", "fresh", name="N")], lines, drop_dead=False)
    assert result.text == expected
    assert lines.is_ours("n.md", "- [N](n.md) — fresh")


def test_without_dropping_the_files_mentioned_and_the_fold_decide_what_is_missing(
    tmp_path: Path,
) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    memories = [_header("n.md", "fresh", name="N"), _header("o.md", "other", name="O")]
    told = sync_text("", memories, lines, drop_dead=False, mentioned={"n.md"})
    assert told.added == ("- [O](o.md) — other",)
    folded = sync_text("- [N](N.md) — mine\n", memories, lines, drop_dead=False, fold=str.lower)
    assert folded.added == ("- [O](o.md) — other",)
    exact = sync_text("- [N](N.md) — mine\n", memories, lines, drop_dead=False)
    assert exact.added == ("- [N](n.md) — fresh", "- [O](o.md) — other")


def test_stale_lines_are_numbered_from_one_and_skip_current_and_foreign_ones(
    tmp_path: Path,
) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    lines.record("a.md", "- [A](a.md) — old")
    lines.record("b.md", "- [B](b.md) — old")
    text = "- [A](a.md) — old\n- [C](c.md) — x\n- [B](b.md) — b\n- [B](b.md) — old\n"
    memories = [_header("a.md", "a", name="A"), _header("b.md", "b", name="B")]
    assert stale_lines(text, memories, lines) == [(1, "a.md"), (4, "b.md")]


def test_entries_added_without_dropping_are_one_a_line(tmp_path: Path) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    memories = [_header("n.md", "fresh", name="N"), _header("o.md", "other", name="O")]
    result = sync_text("# Notes\n", memories, lines, drop_dead=False)
    assert result.text == "# Notes\n- [N](n.md) — fresh\n- [O](o.md) — other\n"


def test_every_line_is_looked_at_past_lines_that_are_not_entries(tmp_path: Path) -> None:
    lines = GeneratedLines(tmp_path / "lines.json")
    lines.record("a.md", "- [A](a.md) — old")
    lines.record("c.md", "[C](c.md) — old")
    text = (
        "# About a.md and c.md\n"  # names the files, links nothing
        "- [B](b.md) — b\n"  # current already
        "[C](c.md) — old\n"  # not a list item: never memdir's entry
        "- [A](a.md) — old\n"
    )
    memories = [
        _header("a.md", "new", name="A"),
        _header("b.md", "b", name="B"),
        _header("c.md", "new", name="C"),
    ]
    new, rewritten = refresh_lines(text, memories, lines)
    assert new == text.replace("- [A](a.md) — old", "- [A](a.md) — new")
    assert rewritten == ["- [A](a.md) — new"]
