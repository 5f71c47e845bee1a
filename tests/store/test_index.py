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


def test_brackets_in_a_title_cannot_break_the_link() -> None:
    line = entry_line(header("a.md", "Plan [draft] ]x[", "hook"))
    assert line == "- [Plan (draft) )x(](a.md) — hook"
    assert local_links(line) == ["a.md"]


def test_a_long_hook_is_cut_to_fill_the_line_exactly() -> None:
    line = entry_line(header("a.md", "A", "x" * 200))
    assert len(line) == MAX_ENTRY_CHARS
    assert line.endswith("x…")


def test_a_hook_that_fits_exactly_is_kept_whole() -> None:
    start = "- [A](a.md)"
    room = MAX_ENTRY_CHARS - len(start) - 3
    hook = "x" * room
    assert entry_line(header("a.md", "A", hook)) == f"{start} — {hook}"
    cut = entry_line(header("a.md", "A", hook + "y"))
    assert cut == f"{start} — {'x' * (room - 1)}…"


def test_the_cut_never_leaves_a_space_before_the_ellipsis() -> None:
    start = "- [A](a.md)"
    room = MAX_ENTRY_CHARS - len(start) - 3
    hook = "x" * (room - 2) + " yyyy"  # the cut lands just after the space
    assert entry_line(header("a.md", "A", hook)) == f"{start} — {'x' * (room - 2)}…"


def test_a_name_too_long_for_a_useful_hook_gets_no_hook() -> None:
    for room, has_hook in ((12, True), (11, False)):
        name = "N" * (MAX_ENTRY_CHARS - len("- [](a.md)") - 3 - room)
        line = entry_line(header("a.md", name, "a hook that will not fit anyway"))
        assert (" — " in line) is has_hook, room


def test_adding_keeps_the_last_lines_trailing_spaces() -> None:
    text = "- [A](a.md) — hard break  \n\n"
    assert add_entry(text, header("b.md")) == (
        "- [A](a.md) — hard break  \n- [Title](b.md) — hook text\n"
    )


def test_a_local_link_after_an_external_one_counts() -> None:
    line = "- [web](https://example.com/x.md) then [A](a.md#part#two) and [B](./b.md)"
    assert local_links(line) == ["a.md", "b.md"]


def test_an_index_of_only_dead_entries_syncs_to_empty() -> None:
    new, changes = plan_sync("- [Gone](gone.md) — x\n", [])
    assert new == ""
    assert changes.removed == ("- [Gone](gone.md) — x",)
    assert remove_entries("- [Gone](gone.md) — x\n", ["gone.md"]) == ""


def test_caps_are_inclusive() -> None:
    at_lines = "".join(f"- line {i}\n" for i in range(200))
    assert cap_index(at_lines).truncated_by is None
    assert cap_index(at_lines).text == at_lines.rstrip("\n")
    at_bytes = ("x" * 124 + "\n") * 200  # 125 bytes a line: exactly 25,000
    capped = cap_index(at_bytes)
    assert capped.truncated_by is None
    assert (capped.total_lines, capped.total_bytes) == (200, 25_000)


def test_cap_notes_name_the_cap_and_keep_the_text_before_them() -> None:
    by_lines = cap_index("".join(f"- line {i}\n" for i in range(201)))
    assert by_lines.text.endswith(
        "- line 199\n\n> Note from memdir: MEMORY.md has 201 lines; only the first 200 are "
        "shown (line cap). Keep entries to one short line and move detail into the memory files."
    )
    assert (by_lines.total_lines, by_lines.truncated_by) == (201, "lines")
    text = "".join(f"- {'x' * 190} {i}\n" for i in range(150))
    by_bytes = cap_index(text)
    assert by_bytes.text.startswith("- " + "x" * 190 + " 0\n")
    assert by_bytes.text.endswith(
        f"\n\n> Note from memdir: MEMORY.md is {len(text.encode()):,} bytes; it was cut at "
        "25,000 bytes (size cap). Shorten the entries so the whole index fits."
    )
    assert by_bytes.total_bytes == len(text.encode())


def test_index_problems_name_line_numbers_and_respect_the_limits(tmp_path: Path) -> None:
    index = tmp_path / "MEMORY.md"
    text = "# Index\n- [Z](z.md) — dead\n- [A](a.md) — " + "y" * (MAX_ENTRY_CHARS - 14) + "\n"
    problems = index_problems(text, {"a.md"}, index, style=True)
    assert problems == [("index-dead-link", "line 2 links to missing z.md")]
    longer = text.replace("— y", "— yy")
    assert ("index-long-line", f"line 3 is 151 characters (over {MAX_ENTRY_CHARS})") in (
        index_problems(longer, {"a.md"}, index, style=True)
    )
    at_cap = "".join(f"- [x](a.md) — {i}\n" for i in range(200))
    assert index_problems(at_cap, {"a.md"}, index, style=True) == []
    at_size = "- [x](a.md)\n" + "#" * (25_000 - 13) + "\n"
    assert len(at_size.encode()) == 25_000
    assert [r for r, _ in index_problems(at_size, {"a.md"}, index, style=True)] == [
        "index-long-line"
    ]
    huge = "- [x](a.md)\n" + ("#" * 149 + "\n") * 180
    assert index_problems(huge, {"a.md"}, index, style=True) == [
        ("index-too-big", f"{len(huge.encode()):,} bytes, over the 25,000-byte cap")
    ]


def test_adding_keeps_a_last_line_that_ends_in_x() -> None:
    assert add_entry("- [A](a.md) — TODO: XX\n", header("b.md")) == (
        "- [A](a.md) — TODO: XX\n- [Title](b.md) — hook text\n"
    )
