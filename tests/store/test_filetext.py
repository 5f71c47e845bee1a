"""Reading one memory file safely: never through a link, never waiting on a FIFO, never
more than a memory's size, UTF-8 only (a character cut by a read limit forgiven)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from memdir.store.filetext import MAX_FILE_BYTES, read_memory_text


def test_a_link_is_named_as_one_whatever_error_the_system_gives(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (memory_dir / "real.md").write_text("---\nname: real\n---\n")
    (memory_dir / "link.md").symlink_to(memory_dir / "real.md")
    real_open = os.open

    def refusing(path: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(path).endswith("link.md"):  # FreeBSD's answer to O_NOFOLLOW on a link
            raise OSError(errno.EMLINK, "Too many links", os.fspath(path))
        if os.fspath(path).endswith("loop.md"):  # a loop on the way: not a link itself
            raise OSError(errno.ELOOP, "Too many levels of symbolic links", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing)
    link = "is a symbolic link; memdir never reads through links"
    assert read_memory_text(memory_dir / "link.md") == (None, link)
    assert read_memory_text(memory_dir / "loop.md") == (None, link)


def test_a_file_of_a_kind_memdir_does_not_know_is_refused(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = memory_dir / "odd.md"
    path.write_text("---\nname: odd\n---\n")
    real_fstat = os.fstat

    def unknown_kind(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        # A link's mode: no kind memdir names, and not a regular file.
        fields = list(st)
        fields[0] = stat.S_IFLNK | 0o644
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", unknown_kind)
    assert read_memory_text(path) == (
        None,
        "is not a regular file, not a memory file; remove it",
    )


def test_the_size_limit_is_inclusive_and_names_the_size(memory_dir: Path) -> None:
    limit = MAX_FILE_BYTES
    exact = memory_dir / "exact.md"
    exact.write_bytes(b"x" * limit)
    text, reason = read_memory_text(exact)
    assert (len(text or ""), reason) == (limit, None)
    text, reason = read_memory_text(exact, limit=2 * limit)
    assert (len(text or ""), reason) == (limit, None)
    over = memory_dir / "over.md"
    over.write_bytes(b"x" * (limit + 1))
    assert read_memory_text(over) == (
        None,
        "file is 1,000,001 bytes, over the 1,000,000-byte limit for a memory",
    )


def test_a_file_that_grew_after_it_was_measured_is_still_refused(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = memory_dir / "growing.md"
    path.write_bytes(b"x" * (MAX_FILE_BYTES + 10))
    real_fstat = os.fstat

    def measured_small(fd: int) -> os.stat_result:
        fields = list(real_fstat(fd))
        fields[6] = 10  # st_size when it was measured
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", measured_small)
    assert read_memory_text(path) == (
        None,
        "file is over the 1,000,000-byte limit for a memory",
    )
    text, reason = read_memory_text(path, limit=100)
    assert (text, reason) == ("x" * 100, None)


def test_short_reads_are_joined_up_to_the_limit_exactly(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = memory_dir / "a.md"
    path.write_text("abcdefghijklmnopqrstuvwxyz")
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: real_read(fd, min(n, 3)))
    assert read_memory_text(path, limit=10) == ("abcdefghij", None)
    assert read_memory_text(path) == ("abcdefghijklmnopqrstuvwxyz", None)


def test_a_failing_read_says_why(memory_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = memory_dir / "a.md"
    path.write_text("text")

    def failing(fd: int, n: int) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "read", failing)
    assert read_memory_text(path) == (None, "cannot read: Input/output error")


@pytest.mark.parametrize(
    ("raw", "limit", "expected"),
    [
        # A read cut inside a character: the partial tail is dropped.
        (b"abcdefghi\xc3\xa9", 10, ("abcdefghi", None)),
        (b"abcdefg\xf0\x9f\x98\x80", 10, ("abcdefg", None)),
        (b"abcdefgh\xf0\x9f\x98\x80", 10, ("abcdefgh", None)),
        # A bad byte near the cut is still a bad byte.
        (b"abcdef\xffxyz", 10, (None, "not UTF-8 text (byte 6); save it as UTF-8")),
        (b"abcdefgh\xc3(", 10, (None, "not UTF-8 text (byte 8); save it as UTF-8")),
        # A file that itself ends inside a character is not UTF-8.
        (b"abc\xc3", 10, (None, "not UTF-8 text (byte 3); save it as UTF-8")),
        (b"abc\xc3", None, (None, "not UTF-8 text (byte 3); save it as UTF-8")),
    ],
)
def test_a_character_cut_by_the_limit_is_not_an_encoding_error(
    memory_dir: Path, raw: bytes, limit: int | None, expected: tuple[str | None, str | None]
) -> None:
    path = memory_dir / "a.md"
    path.write_bytes(raw)
    assert read_memory_text(path, limit=limit) == expected
