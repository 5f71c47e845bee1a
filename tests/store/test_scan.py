import os
from datetime import date
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


# -- the header cache: what another process, and the same one, gets back ---------------


def mixed_folder(folder: Path) -> None:
    write(
        folder,
        "dated.md",
        good("dated").replace("type: user", "type: idea\nupdated: 2026-03-05"),
        mtime=4_000_000,
    )
    write(folder, "plain.md", good("plain"), mtime=3_000_000)
    write(folder, "broken.md", "---\nname: [x\n  - y: {\n---\nbody\n")
    (folder / "binary.md").write_bytes(b"---\n\x00\n")


def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a file was read although the cache knew it")

    monkeypatch.setattr(scan_module, "read_head", refuse)


def test_a_saved_cache_gives_a_fresh_cache_object_the_same_report_without_reading(
    memory_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mixed_folder(memory_dir)
    cache_file = tmp_path / "cache.json"
    first = scan(memory_dir, cache=HeaderCache(cache_file))
    assert {p.path.name: p.field for p in first.problems} == {
        "binary.md": "file",
        "broken.md": "frontmatter",
    }
    dated = next(h for h in first.memories if h.filename == "dated.md")
    assert (dated.updated, dated.raw_type) == (date(2026, 3, 5), "idea")
    no_reading(monkeypatch)
    again = scan(memory_dir, cache=HeaderCache(cache_file))
    assert again == first


def test_what_a_scan_learns_is_saved_whole_over_an_older_cache_file(
    memory_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache file is loaded once per cache object: a later look-up must not reload it
    # over what this scan has learnt (the changed file's new header) before saving.
    for name in ("a", "b", "c"):
        write(memory_dir, f"{name}.md", good(name), mtime=1_000_000)
    cache_file = tmp_path / "cache.json"
    scan(memory_dir, cache=HeaderCache(cache_file))
    for name in ("a", "b", "c"):
        write(memory_dir, f"{name}.md", good(name).replace("about", "now"), mtime=2_000_000)
        current = scan(memory_dir, cache=HeaderCache(cache_file))
        with monkeypatch.context() as patch:
            no_reading(patch)
            assert scan(memory_dir, cache=HeaderCache(cache_file)) == current


@pytest.mark.parametrize("same_process", [True, False])
def test_a_file_changed_in_size_or_in_mtime_alone_is_read_again(
    memory_dir: Path, tmp_path: Path, same_process: bool
) -> None:
    path = write(memory_dir, "a.md", good("aaaa"), mtime=1_000_000)
    cache_file = tmp_path / "cache.json"
    cache = HeaderCache(cache_file)

    def names() -> list[str]:
        used = cache if same_process else HeaderCache(cache_file)
        return [h.name for h in scan(memory_dir, cache=used).memories]

    assert names() == ["aaaa"]
    stamp = path.stat().st_mtime_ns
    path.write_text(good("aaaaa"))  # one byte longer, same mtime
    os.utime(path, ns=(stamp, stamp))
    assert names() == ["aaaaa"]
    path.write_text(good("bbbbb"))  # same size, another mtime
    os.utime(path, ns=(stamp + 1_000_000_000, stamp + 1_000_000_000))
    assert names() == ["bbbbb"]


def test_one_process_keeps_the_header_objects_of_unchanged_files(
    memory_dir: Path, tmp_path: Path
) -> None:
    write(memory_dir, "a.md", good("a"), mtime=1_000_000)
    other = write(memory_dir, "b.md", good("b"), mtime=2_000_000)
    cache = HeaderCache(tmp_path / "cache.json")
    first = scan(memory_dir, cache=cache)
    # Nothing changed: the very same report.
    assert scan(memory_dir, cache=cache) is first
    other.write_text(good("b").replace("about b", "about b, changed"))
    os.utime(other, (3_000_000, 3_000_000))
    second = scan(memory_dir, cache=cache)
    assert second is not first
    assert [h.description for h in second.memories] == ["about b, changed", "about a"]
    # The unchanged file's header is the object made the first time, not rebuilt.
    assert second.memories[1] is first.memories[1]


def test_a_file_back_with_the_same_size_and_mtime_is_read_again_after_it_was_gone(
    memory_dir: Path, tmp_path: Path
) -> None:
    path = write(memory_dir, "a.md", good("aaaa"), mtime=1_000_000)
    cache = HeaderCache(tmp_path / "cache.json")
    assert [h.name for h in scan(memory_dir, cache=cache).memories] == ["aaaa"]
    stamp = path.stat().st_mtime_ns
    path.unlink()
    assert scan(memory_dir, cache=cache).memories == ()
    path.write_text(good("bbbb"))
    os.utime(path, ns=(stamp, stamp))
    assert [h.name for h in scan(memory_dir, cache=cache).memories] == ["bbbb"]


def test_a_file_gone_before_a_new_process_scans_is_forgotten(
    memory_dir: Path, tmp_path: Path
) -> None:
    from memdir.store import cachefile

    write(memory_dir, "a.md", good("a"))
    gone = write(memory_dir, "gone.md", good("gone"))
    cache_file = tmp_path / "cache.json"
    scan(memory_dir, cache=HeaderCache(cache_file))
    gone.unlink()
    report = scan(memory_dir, cache=HeaderCache(cache_file))
    assert [h.filename for h in report.memories] == ["a.md"]
    assert set(cachefile.load(cache_file, scan_module._CACHE_VERSION)) == {"a.md"}


def test_the_cache_file_is_written_only_when_something_changed(
    memory_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memdir.store import cachefile

    saves: list[Path] = []
    real_save = cachefile.save
    monkeypatch.setattr(
        cachefile, "save", lambda file, *rest: (saves.append(file), real_save(file, *rest))[1]
    )
    empty_cache = tmp_path / "empty.json"
    scan(memory_dir, cache=HeaderCache(empty_cache))
    assert saves == [] and not empty_cache.exists()
    write(memory_dir, "a.md", good("a"))
    cache_file = tmp_path / "cache.json"
    cache = HeaderCache(cache_file)
    scan(memory_dir, cache=cache)
    scan(memory_dir, cache=cache)
    scan(memory_dir, cache=HeaderCache(cache_file))
    assert saves == [cache_file]
    scan(memory_dir, cache=HeaderCache(None))  # no file: nothing to save to
    assert saves == [cache_file]


# -- what each kind of entry is reported as ----------------------------------------------


def test_symbolic_links_are_reported_with_what_they_are(memory_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(good("outside"))
    write(memory_dir, "real.md", good("real"))
    (memory_dir / "out.md").symlink_to(outside)
    (memory_dir / "in.md").symlink_to(memory_dir / "real.md")
    (memory_dir / "dangling.md").symlink_to(memory_dir / "nowhere.md")
    report = scan(memory_dir)
    assert [h.filename for h in report.memories] == ["real.md"]
    assert [(p.path, p.reason, p.field) for p in report.problems] == [
        (
            memory_dir / "dangling.md",
            "is a symbolic link that leads nowhere (dangling, or a loop); remove it",
            "file",
        ),
        (
            memory_dir / "in.md",
            "is a symbolic link; memdir reads, writes and deletes only plain files, never "
            "through a link: replace it with the file itself",
            "file",
        ),
        (
            memory_dir / "out.md",
            "is a symbolic link to a file outside the memory folder; memdir never reads "
            "through it (it could expose any file): remove it",
            "file",
        ),
    ]


def test_problems_are_sorted_by_path(memory_dir: Path) -> None:
    # Files of the top folder are listed before those of a subfolder.
    (memory_dir / "b.md").write_bytes(b"\x00")
    write(memory_dir, "a/x.md", "---\nname: x\n")
    report = scan(memory_dir)
    assert [(p.path, p.field) for p in report.problems] == [
        (memory_dir / "a" / "x.md", "frontmatter"),
        (memory_dir / "b.md", "file"),
    ]


def test_a_file_gone_between_listing_and_stat_is_reported_and_the_rest_listed(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(memory_dir, "gone.md", good("gone"))
    write(memory_dir, "kept.md", good("kept"))
    real_iter = scan_module.iter_markdown

    def vanishing(root: Path) -> Any:
        entries = sorted(real_iter(root), key=lambda e: e.name)
        (memory_dir / "gone.md").unlink()
        yield from entries

    monkeypatch.setattr(scan_module, "iter_markdown", vanishing)
    report = scan(memory_dir)
    assert [h.filename for h in report.memories] == ["kept.md"]
    assert [(p.path, p.reason, p.field) for p in report.problems] == [
        (memory_dir / "gone.md", "cannot stat: No such file or directory", "file")
    ]


def test_a_private_memory_hides_the_team_one_of_the_same_path(memory_dir: Path) -> None:
    write(memory_dir, "x.md", good("private x"), mtime=1_000_000)
    write(memory_dir, "team/x.md", good("team x"), mtime=2_000_000)
    write(memory_dir, "team/y.md", good("team y"), mtime=3_000_000)
    write(memory_dir, "team/team/x.md", good("nested"), mtime=4_000_000)
    report = scan(memory_dir)
    assert [h.filename for h in report.memories] == ["team/team/x.md", "team/y.md", "x.md"]


def test_a_folder_or_entry_that_cannot_be_listed_is_skipped_and_the_rest_listed(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in ("a", "bad", "z"):
        write(memory_dir, f"{folder}/m.md", good(folder))
    write(memory_dir, "odd.md", good("odd"))
    write(memory_dir, "zz.md", good("zz"))
    real_scandir = os.scandir

    class Odd:
        """An entry whose type cannot be read."""

        def __init__(self, entry: os.DirEntry[str]) -> None:
            self.name, self.path = entry.name, entry.path

        def is_dir(self, *, follow_symlinks: bool = True) -> bool:
            raise PermissionError(13, "Permission denied")

    def listing(folder: str) -> list[Any]:
        if folder.endswith("bad"):
            raise PermissionError(13, "Permission denied", folder)
        # Sorted, so that the failing folder is not the last one looked at.
        entries = sorted(real_scandir(folder), key=lambda e: e.name)
        return [Odd(e) if e.name == "odd.md" else e for e in entries]

    monkeypatch.setattr(os, "scandir", listing)
    found = sorted(
        e.path[len(str(memory_dir)) + 1 :] for e in scan_module.iter_markdown(memory_dir)
    )
    assert found == ["a/m.md", "z/m.md", "zz.md"]


def test_a_link_to_a_folder_is_never_walked(memory_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    write(outside, "secret.md", good("secret"))
    write(memory_dir, "inside/real.md", good("real"))
    (memory_dir / "linked").symlink_to(outside)
    (memory_dir / "loop").symlink_to(memory_dir / "inside")
    report = scan(memory_dir)
    assert [h.filename for h in report.memories] == ["inside/real.md"]
    assert report.problems == ()


def test_reading_never_follows_a_link_nor_waits_on_a_fifo(memory_dir: Path) -> None:
    write(memory_dir, "real.md", good("real"))
    (memory_dir / "link.md").symlink_to(memory_dir / "real.md")
    os.mkfifo(memory_dir / "pipe.md")
    assert scan_module.read_memory_text(memory_dir / "link.md") == (
        None,
        "is a symbolic link; memdir never reads through links",
    )
    assert scan_module.read_memory_text(memory_dir / "pipe.md") == (
        None,
        "is a FIFO, not a memory file; remove it",
    )
    assert scan_module.read_memory_text(memory_dir / "absent.md") == (None, "gone")
    report = scan(memory_dir)
    assert [(p.path.name, p.reason) for p in report.problems] == [
        ("link.md", scan_module.link_problem(memory_dir / "link.md", memory_dir)),
        ("pipe.md", "is a FIFO, not a memory file; remove it"),
    ]


def test_the_scan_reads_only_the_head_of_a_file(memory_dir: Path) -> None:
    # Bytes that would make the whole file unreadable, past the 8 KB a scan reads.
    path = memory_dir / "long.md"
    path.write_bytes(good("long").encode() + b"x" * 9000 + b"\n\x00\xff\n")
    report = scan(memory_dir)
    assert [h.filename for h in report.memories] == ["long.md"] and report.problems == ()
    assert scan_module.read_memory_text(path)[1] == (
        "binary file (contains NUL bytes); memories are Markdown text"
    )


def test_header_defaults_and_the_snippet_length(memory_dir: Path) -> None:
    write(memory_dir, "bare.md", "---\ntype: user\n---\n" + "y" * 1500 + "\n")
    (header,) = scan(memory_dir).memories
    assert (header.name, header.description) == ("bare", "")
    assert header.snippet == "y" * 1000


def test_a_byte_order_mark_and_crlf_line_ends_are_normalised(memory_dir: Path) -> None:
    path = memory_dir / "win.md"
    path.write_bytes(
        "\ufeff---\r\nname: Win\r\ndescription: d\r\ntype: user\r\n---\r\nb\ufeff\r\n".encode()
    )
    assert scan_module.read_memory_text(path) == (
        "---\nname: Win\ndescription: d\ntype: user\n---\nb\ufeff\n",
        None,
    )
    assert [h.name for h in scan(memory_dir).memories] == ["Win"]
