import os
from pathlib import Path
from typing import Any

import pytest

from memdir.store import scan as scan_module
from memdir.store.scan import HeaderCache, scan


def write(folder: Path, name: str, text: str, *, mtime: float | None = None) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def good(name: str, type_: str = "user") -> str:
    return f"---\nname: {name}\ndescription: about {name}\ntype: {type_}\n---\n\nbody of {name}\n"


def test_newest_first_recursive_and_index_skipped(memory_dir: Path) -> None:
    write(memory_dir, "old.md", good("old"), mtime=1_000_000)
    write(memory_dir, "new.md", good("new"), mtime=3_000_000)
    write(memory_dir, "team/mid.md", good("mid"), mtime=2_000_000)
    write(memory_dir, "MEMORY.md", "- [old](old.md) — x\n")
    report = scan(memory_dir)
    assert [h.filename for h in report.memories] == ["new.md", "team/mid.md", "old.md"]
    assert report.problems == ()


def test_bad_files_are_reported_and_good_ones_listed(memory_dir: Path) -> None:
    for i in range(3):
        write(memory_dir, f"ok{i}.md", good(f"ok{i}"))
    write(memory_dir, "broken.md", "---\nname: [unclosed\n  - {x\n---\nbody\n")
    (memory_dir / "binary.md").write_bytes(b"---\x00\x01\x02" * 100)
    with open(memory_dir / "huge.md", "wb") as handle:
        handle.write(b"---\nname: huge\ndescription: big\ntype: user\n---\n")
        handle.seek(50 * 1024 * 1024)
        handle.write(b"end\n")
    (memory_dir / "latin1.md").write_bytes("---\nname: caf\xe9\n---\n".encode("latin-1") * 3)
    report = scan(memory_dir)
    assert sorted(h.filename for h in report.memories) == ["ok0.md", "ok1.md", "ok2.md"]
    reasons = {p.path.name: p.reason for p in report.problems}
    assert set(reasons) == {"broken.md", "binary.md", "huge.md", "latin1.md"}
    assert "YAML" in reasons["broken.md"]
    assert "binary" in reasons["binary.md"]
    assert "limit" in reasons["huge.md"]


def test_unreadable_file_is_reported(memory_dir: Path) -> None:
    path = write(memory_dir, "secret.md", good("secret"))
    write(memory_dir, "open.md", good("open"))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: file permissions do not stop reads")
        report = scan(memory_dir)
    finally:
        path.chmod(0o644)
    assert [h.filename for h in report.memories] == ["open.md"]
    assert [(p.path.name, p.reason) for p in report.problems] == [
        ("secret.md", "cannot read: Permission denied")
    ]


def test_a_file_that_fails_to_open_is_reported(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same case by a route that works as root too: opening the file fails.
    write(memory_dir, "secret.md", good("secret"))
    write(memory_dir, "open.md", good("open"))
    real_os_open, real_open = os.open, open

    def refuse(file: Any) -> None:
        if os.fspath(file).endswith("secret.md"):
            raise PermissionError(13, "Permission denied", os.fspath(file))

    def refusing_os_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        refuse(file)
        return real_os_open(file, *args, **kwargs)

    def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        refuse(file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_os_open)
    monkeypatch.setattr(scan_module, "open", refusing_open, raising=False)
    report = scan(memory_dir)
    assert [h.filename for h in report.memories] == ["open.md"]
    assert [(p.path.name, p.reason) for p in report.problems] == [
        ("secret.md", "cannot read: Permission denied")
    ]


def test_missing_or_unknown_type_still_loads(memory_dir: Path) -> None:
    write(memory_dir, "legacy.md", "---\nname: legacy\ndescription: d\n---\nbody")
    write(memory_dir, "odd.md", good("odd", type_="idea"))
    report = scan(memory_dir)
    by_name = {h.filename: h for h in report.memories}
    assert by_name["legacy.md"].type is None and by_name["legacy.md"].raw_type is None
    assert by_name["odd.md"].type is None and by_name["odd.md"].raw_type == "idea"


def test_frontmatter_only_first_30_lines_are_read(memory_dir: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(5000))
    write(memory_dir, "long.md", good("long") + body)
    header = scan(memory_dir).memories[0]
    assert "line 4999" not in header.snippet
    assert header.description == "about long"


def test_cache_serves_unchanged_files_and_sees_changes(memory_dir: Path, tmp_path: Path) -> None:
    path = write(memory_dir, "a.md", good("a"), mtime=1_000_000)
    cache_file = tmp_path / "cache.json"
    first = scan(memory_dir, cache=HeaderCache(cache_file))
    assert cache_file.exists()
    # A fresh cache object (another process) reads the saved file and agrees.
    again = scan(memory_dir, cache=HeaderCache(cache_file))
    assert again.memories == first.memories
    path.write_text(good("a").replace("about a", "changed text"))
    os.utime(path, (2_000_000, 2_000_000))
    changed = scan(memory_dir, cache=HeaderCache(cache_file))
    assert changed.memories[0].description == "changed text"
    path.unlink()
    assert scan(memory_dir, cache=HeaderCache(cache_file)).memories == ()


def test_hidden_and_temp_files_ignored(memory_dir: Path) -> None:
    write(memory_dir, ".abc.tmp.md", good("tmp"))
    write(memory_dir, ".git/x.md", good("git"))
    write(memory_dir, "real.md", good("real"))
    assert [h.filename for h in scan(memory_dir).memories] == ["real.md"]


def test_updated_date_orders_memories_when_mtimes_are_reset(memory_dir: Path) -> None:
    # A git checkout gives every file the same mtime; `updated:` still orders them.
    for name, updated in (("old", "2025-01-02"), ("new", "2026-11-01"), ("mid", "2026-03-04")):
        write(
            memory_dir,
            f"{name}.md",
            good(name).replace("type: user", f"type: user\nupdated: {updated}"),
            mtime=5_000_000,
        )
    write(memory_dir, "plain.md", good("plain"), mtime=1_000)
    assert [h.filename for h in scan(memory_dir).memories] == [
        "new.md",
        "mid.md",
        "old.md",
        "plain.md",
    ]


def test_the_header_is_thirty_lines_even_when_more_fit_in_the_read(memory_dir: Path) -> None:
    # Short lines: line 31 and beyond are well inside the bytes a scan reads from disk.
    body = "".join(f"line {i}\n" for i in range(8, 60))  # numbered as file lines
    write(memory_dir, "short-lines.md", good("short") + body)
    header = scan(memory_dir).memories[0]
    assert header.snippet.splitlines()[-1] == "line 30"  # file line 30
    assert "line 31" not in header.snippet


def test_frontmatter_closing_after_line_thirty_is_a_problem(memory_dir: Path) -> None:
    keys = "".join(f"k{i}: v\n" for i in range(26))
    write(memory_dir, "in.md", f"---\nname: a\n{keys}type: user\n---\nbody\n")  # closes on 30
    write(memory_dir, "out.md", f"---\nname: b\n{keys}type: user\nx: y\n---\nbody\n")  # on 31
    report = scan(memory_dir)
    assert [h.filename for h in report.memories] == ["in.md"]
    assert [(p.path.name, p.reason) for p in report.problems] == [
        ("out.md", "frontmatter does not close within 30 lines")
    ]
