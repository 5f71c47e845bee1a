from pathlib import Path

import pytest

from memdir.store.index import (
    MAX_ENTRY_CHARS,
    IndexChanges,
    add_entry,
    cap_index,
    entry_line,
    index_problems,
    local_links,
    plan_sync,
    remove_entries,
)
from memdir.types import MemoryHeader, MemoryType


def header(filename: str, name: str = "Title", description: str = "hook text") -> MemoryHeader:
    return MemoryHeader(
        path=Path("/m") / filename,
        filename=filename,
        name=name,
        description=description,
        type=MemoryType.USER,
        raw_type="user",
        mtime=0.0,
        size=10,
    )


def test_entry_line_form_and_length() -> None:
    assert entry_line(header("a.md", "Role", "Go engineer")) == "- [Role](a.md) — Go engineer"
    long = entry_line(header("b.md", "B", "word " * 80))
    assert len(long) <= MAX_ENTRY_CHARS and long.endswith("…")


def test_sync_adds_missing_and_drops_dead_keeping_human_lines() -> None:
    text = (
        "# Team memory\n"
        "Read these before touching billing.\n"
        "- [Kept](kept.md) — written by a person, in their words\n"
        "- [Gone](gone.md) — file deleted\n"
        "- see [Gone](gone.md) and [Kept](kept.md) together\n"
    )
    new, changes = plan_sync(text, [header("kept.md"), header("new.md", "New", "fresh")])
    assert changes.removed == ("- [Gone](gone.md) — file deleted",)
    assert changes.added == ("- [New](new.md) — fresh",)
    lines = new.splitlines()
    assert lines[:3] == text.splitlines()[:3]
    assert "- see [Gone](gone.md) and [Kept](kept.md) together" in lines
    assert lines[-1] == "- [New](new.md) — fresh"


def test_sync_is_a_no_op_when_in_sync() -> None:
    text = "- [A](a.md) — x\n"
    new, changes = plan_sync(text, [header("a.md")])
    assert new == text and not changes.changed


def test_add_and_remove_entry() -> None:
    text = add_entry("", header("a.md"))
    assert text == "- [Title](a.md) — hook text\n"
    assert add_entry(text, header("a.md")) is None
    assert remove_entries(text, ["a.md"]) == ""
    assert remove_entries(text, ["b.md"]) is None


def test_links_with_anchor_and_dot_slash_count() -> None:
    text = "- [A](./a.md#top) — x\n"
    _, changes = plan_sync(text, [header("a.md")])
    assert not changes.changed


def test_cap_by_lines() -> None:
    text = "".join(f"- line {i}\n" for i in range(250))
    capped = cap_index(text)
    assert capped.truncated_by == "lines"
    assert "- line 199" in capped.text and "- line 200" not in capped.text
    assert "line cap" in capped.text


def test_cap_by_bytes_at_line_boundary() -> None:
    text = "".join(f"- {'x' * 190} {i}\n" for i in range(150))
    capped = cap_index(text)
    assert capped.truncated_by == "bytes"
    body = capped.text.split("\n\n> Note")[0]
    assert len(body.encode()) <= 25_000
    assert all(line.startswith("- ") for line in body.splitlines())
    assert "size cap" in capped.text


def test_small_index_not_cut() -> None:
    capped = cap_index("- [A](a.md) — x\n")
    assert capped.truncated_by is None and "Note" not in capped.text


def test_index_problems(tmp_path: Path) -> None:
    text = "- [A](a.md) — x\n- [Z](z.md) — dead\n- " + "y" * 200 + "\n"
    problems = index_problems(text, {"a.md", "b.md"}, tmp_path / "MEMORY.md")
    assert sorted(rule for rule, _ in problems) == ["index-dead-link", "index-missing-entry"]
    styled = index_problems(text, {"a.md", "b.md"}, tmp_path / "MEMORY.md", style=True)
    assert sorted(rule for rule, _ in styled) == [
        "index-dead-link",
        "index-long-line",
        "index-missing-entry",
    ]
    big = "".join(f"- [x](a.md) — {i}\n" for i in range(201))
    assert "index-too-long" in [r for r, _ in index_problems(big, {"a.md"}, tmp_path, style=True)]


NAMES_THAT_NEED_ENCODING = [
    "my note.md",
    "c#-tips.md",
    "100%-sure.md",
    "a%20b.md",
    "café-notes.md",
    "dir (old)/x y.md",
    "[draft] plan.md",
    "tab\there.md",
    "a<b>.md",
]


@pytest.mark.parametrize("filename", NAMES_THAT_NEED_ENCODING)
def test_an_entry_links_back_to_its_file(filename: str) -> None:
    line = entry_line(header(filename))
    assert local_links(line) == [filename]
    assert " " not in line.split("](")[1].split(")")[0]


@pytest.mark.parametrize("filename", NAMES_THAT_NEED_ENCODING)
def test_a_synced_index_has_no_drift(filename: str, tmp_path: Path) -> None:
    text, changes = plan_sync("", [header(filename)])
    assert changes.added and index_problems(text, {filename}, tmp_path / "MEMORY.md") == []
    assert plan_sync(text, [header(filename)]) == (text, IndexChanges())


def test_encoded_links_written_by_people_are_decoded() -> None:
    line = "- [A](my%20note.md) and [B](./sub/caf%C3%A9.md#part) and [C](c%23x.md)"
    assert local_links(line) == ["my note.md", "sub/café.md", "c#x.md"]


@pytest.mark.parametrize(
    "line",
    [
        "- [web](https://example.com/a.md)",
        "- [anchor](#a.md)",
        "- [mail](mailto:a@b.md)",
        "- [abs](/etc/a.md)",
        "- [not markdown](notes.txt)",
        "- [spaced](my note.md)",
    ],
)
def test_links_that_are_not_memory_files(line: str) -> None:
    assert local_links(line) == []


def test_new_entries_keep_the_given_order_after_the_existing_lines() -> None:
    text = "# Index\n- [Old](old.md) — x\n\n\n"
    memories = [header("old.md"), header("z-newest.md"), header("a-older.md")]
    new, changes = plan_sync(text, memories)
    assert new.splitlines() == [
        "# Index",
        "- [Old](old.md) — x",
        "- [Title](z-newest.md) — hook text",
        "- [Title](a-older.md) — hook text",
    ]
    assert changes.added == tuple(new.splitlines()[2:])
