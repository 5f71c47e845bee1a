"""The folder walk: which files count, found alike by both walkers."""

from __future__ import annotations

import os
from pathlib import Path

from memdir.store.scan import iter_markdown
from memdir.store.walk import INDEX_NAME, SKIP_DIRS, stat_markdown


def test_both_walkers_find_the_same_files(tmp_path: Path) -> None:
    root = tmp_path / "memories"
    files = [
        "a.md",
        "sub/b.md",
        "sub/deeper/c.md",
        "team/d.md",
        "sub/MEMORY.md",  # only the top-level index is left out
        "dir.md/e.md",  # a folder named like a memory is walked into
    ]
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    for skipped in ["MEMORY.md", ".hidden.md", ".git/f.md", "node_modules/g.md", "notes.txt"]:
        (root / skipped).parent.mkdir(parents=True, exist_ok=True)
        (root / skipped).write_text("x")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "h.md").write_text("x")
    (root / "link.md").symlink_to(root / "a.md")
    (root / "dangling.md").symlink_to(root / "nowhere.md")
    os.mkfifo(root / "pipe.md")

    expected = {e.path for e in iter_markdown(root)}
    found = stat_markdown(str(root))
    assert {f[1] for f in found} == expected
    assert len(found) == len(expected)
    by_name = {f[0]: f for f in found}
    assert set(by_name) == {
        *files[:4],
        "sub/MEMORY.md",
        "dir.md/e.md",
        "link.md",
        "dangling.md",
        "pipe.md",
    }
    assert by_name["link.md"][5] and by_name["dangling.md"][5] and not by_name["a.md"][5]
    st = (root / "sub/b.md").stat()
    assert by_name["sub/b.md"][1:5] == (
        str(root / "sub/b.md"),
        st.st_mtime_ns,
        st.st_size,
        st.st_mtime,
    )


def test_a_missing_folder_has_no_files(tmp_path: Path) -> None:
    assert stat_markdown(str(tmp_path / "missing")) == []


def test_the_index_and_skipped_folders_are_never_walked(tmp_path: Path) -> None:
    (tmp_path / INDEX_NAME).write_text("# index\n")
    (tmp_path / "note.md").write_text("x")
    for name in SKIP_DIRS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "inside.md").write_text("x")
    assert [s[0] for s in stat_markdown(str(tmp_path))] == ["note.md"]
    assert [e.name for e in iter_markdown(tmp_path)] == ["note.md"]
