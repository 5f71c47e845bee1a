"""`memdir.history.repo`: the history's git repository, written and read with dulwich."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memdir.errors import StoreIOError
from memdir.history import repo as repo_mod
from memdir.history.records import Actor, commit_message
from memdir.history.repo import BRANCH, PACK_THRESHOLD, Repo
from memdir.history.snapshot import blob_id

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    folder = tmp_path / "memory"
    folder.mkdir()
    made = Repo(tmp_path / "h.git", folder)
    made.create()
    return made


def write(repo: Repo, files: dict[str, bytes], parent: str = "", when: int = 1_700_000_000):
    return repo.write(
        files={path: blob_id(data) for path, data in files.items()},
        new_blobs={blob_id(data): data for data in files.values()},
        parent=parent,
        message=commit_message("s", actor=Actor("cli"), files=tuple(files)),
        author="cli",
        when=when,
    )


def test_create_lays_out_a_repository_with_the_folder_as_work_tree(repo: Repo) -> None:
    git_dir = repo.git_dir
    for sub in ("objects/info", "objects/pack", "refs/heads", "refs/tags", "info"):
        assert (git_dir / sub).is_dir(), sub
    assert (git_dir / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (git_dir / "info" / "exclude").read_text() == ".*\n"
    assert (git_dir / "description").read_text() == f"memdir history of {repo.work_tree}\n"
    assert (git_dir / "config").read_text() == (
        "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
        f"\tworktree = {repo.work_tree}\n"
    )
    assert repo.exists()
    assert not Repo(git_dir.parent / "other.git", repo.work_tree).exists()
    assert repo.head() == ""


def test_a_commit_round_trips_and_moves_the_branch_only_when_told(repo: Repo) -> None:
    first = write(repo, {"a.md": b"alpha", "sub/b.md": b"beta"})
    assert repo.head() == ""  # written, not yet the newest
    repo.set_head(first.id)
    assert repo.head() == first.id
    assert (repo.git_dir / BRANCH).read_text() == first.id + "\n"
    read = repo.commit(first.id)
    assert read == first
    assert (read.parent, read.author) == ("", "cli")
    assert read.time == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert repo.tree_files(read.tree) == {"a.md": blob_id(b"alpha"), "sub/b.md": blob_id(b"beta")}
    assert repo.blob(blob_id(b"beta")) == b"beta"
    assert repo.tree_files("") == {}
    second = write(repo, {"a.md": b"alpha2"}, parent=first.id, when=1_700_000_100)
    repo.set_head(second.id)
    assert repo.commit(second.id).parent == first.id
    assert [c.id for c in repo.walk()] == [second.id, first.id]
    assert [c.id for c in repo.walk(first.id)] == [first.id]
    assert [op.files for op in (c.operation() for c in repo.walk())] == [
        ("a.md",),
        ("a.md", "sub/b.md"),
    ]


@needs_git
def test_git_reads_what_we_wrote(repo: Repo) -> None:
    first = write(repo, {"a.md": b"alpha"})
    repo.set_head(first.id)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", f"--git-dir={repo.git_dir}", *args], capture_output=True, check=True, text=True
        ).stdout

    assert git("rev-parse", "HEAD").strip() == first.id
    assert git("log", "--format=%an <%ae> %at %s").strip() == "cli <memdir@localhost> 1700000000 s"
    assert git("cat-file", "-p", f"{first.id}:a.md") == "alpha"
    assert git("ls-tree", "HEAD").split()[0] == "100644"
    assert "encoding UTF-8" in git("cat-file", "-p", first.id)
    assert git("fsck", "--strict") == ""


def test_a_head_that_is_not_an_id_reads_as_empty(repo: Repo) -> None:
    (repo.git_dir / BRANCH).write_text("not an id\n")
    assert repo.head() == ""
    (repo.git_dir / BRANCH).write_text("a" * 39 + "\n")
    assert repo.head() == ""
    (repo.git_dir / BRANCH).write_text("a" * 41 + "\n")
    assert repo.head() == ""


def test_a_packed_ref_is_found(repo: Repo) -> None:
    first = write(repo, {"a.md": b"alpha"})
    (repo.git_dir / "packed-refs").write_text(
        "# pack-refs with: peeled fully-peeled sorted\n"
        f"{'b' * 40} refs/heads/other\n"
        f"{first.id} {BRANCH}\n"
    )
    assert repo.head() == first.id
    (repo.git_dir / "packed-refs").write_text(f"{'b' * 40} refs/heads/other\n")
    assert repo.head() == ""


def test_an_unreadable_ref_is_an_error_naming_it(repo: Repo) -> None:
    (repo.git_dir / BRANCH).mkdir()
    with pytest.raises(StoreIOError) as caught:
        repo.head()
    assert caught.value.path == repo.git_dir / BRANCH
    assert str(caught.value).startswith(str(repo.git_dir / BRANCH))
    assert "cannot read the history: " in str(caught.value)


def test_setting_the_head_clears_a_crashed_gits_ref_lock(repo: Repo) -> None:
    first = write(repo, {"a.md": b"alpha"})
    lock = repo.git_dir / (BRANCH + ".lock")
    lock.write_text("left by a crash")
    repo.set_head(first.id)
    assert not lock.exists() and repo.head() == first.id


def test_a_stale_loose_object_lock_is_cleared(repo: Repo) -> None:
    data = b"left half-written"
    sha = blob_id(data)
    folder = repo.git_dir / "objects" / sha[:2]
    folder.mkdir(parents=True)
    (folder / (sha[2:] + ".lock")).write_bytes(b"partial")
    first = write(repo, {"a.md": data})
    repo.set_head(first.id)
    assert repo.blob(sha) == data
    assert not (folder / (sha[2:] + ".lock")).exists()


def test_rewriting_a_commit_keeps_all_but_its_parent(repo: Repo) -> None:
    first = write(repo, {"a.md": b"alpha"})
    second = write(repo, {"a.md": b"beta"}, parent=first.id, when=1_700_000_500)
    moved = repo.rewrite(second, parent="")
    assert moved.id != second.id and moved.parent == ""
    assert (moved.tree, moved.time, moved.message, moved.author) == (
        second.tree,
        second.time,
        second.message,
        second.author,
    )
    again = repo.commit(moved.id)
    assert (again.tree, again.time, again.message, again.author) == (
        second.tree,
        second.time,
        second.message,
        second.author,
    )
    assert again.parent == ""
    back = repo.rewrite(moved, parent=first.id)
    assert back.id == second.id and repo.commit(back.id).parent == first.id


def test_objects_are_packed_only_past_the_threshold(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert PACK_THRESHOLD == 2000
    packed: list[int] = []
    monkeypatch.setattr(
        type(repo.store), "pack_loose_objects", lambda self: packed.append(1), raising=True
    )
    objects = repo.git_dir / "objects"
    for n in range(199):
        (objects / f"{n:02x}").mkdir(exist_ok=True)
    monkeypatch.setattr(type(repo.store), "count_loose_objects", lambda self: PACK_THRESHOLD)
    repo.maybe_pack()
    assert packed == []  # 199 fan-out folders (+ info, pack): not worth counting files
    (objects / "c7").mkdir()
    monkeypatch.setattr(type(repo.store), "count_loose_objects", lambda self: PACK_THRESHOLD - 1)
    repo.maybe_pack()
    assert packed == []
    monkeypatch.setattr(type(repo.store), "count_loose_objects", lambda self: PACK_THRESHOLD)
    repo.maybe_pack()
    assert packed == [1]


def test_loose_objects_really_pack(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repo_mod, "PACK_THRESHOLD", 1)
    objects = repo.git_dir / "objects"
    first = write(repo, {"a.md": b"alpha"})
    repo.set_head(first.id)
    for n in range(200):
        (objects / f"{n:02x}").mkdir(exist_ok=True)
    repo.maybe_pack()
    assert list((objects / "pack").glob("*.pack"))
    with repo.session():
        assert repo.blob(blob_id(b"alpha")) == b"alpha"


def test_the_store_closes_when_the_outermost_session_ends(repo: Repo) -> None:
    with repo.session():
        store = repo.store
        with repo.session():
            assert repo.store is store
        assert repo._store is store  # an inner block does not close it
    assert repo._store is None
    assert repo._depth == 0


def test_size_on_disk_counts_every_file(repo: Repo) -> None:
    before = repo.size_on_disk()
    assert before == sum(p.stat().st_size for p in repo.git_dir.rglob("*") if p.is_file())
    (repo.git_dir / "info" / "big").write_bytes(b"x" * 1000)
    assert repo.size_on_disk() == before + 1000


@needs_git
def test_commits_are_in_utc_with_the_actor_as_author(repo: Repo) -> None:
    first = write(repo, {"a.md": b"alpha"})
    repo.set_head(first.id)
    shown = subprocess.run(
        ["git", f"--git-dir={repo.git_dir}", "log", "--format=%ai|%ci|%cn <%ce>"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    assert shown == "2023-11-14 22:13:20 +0000|2023-11-14 22:13:20 +0000|cli <memdir@localhost>"


def test_a_blob_already_packed_is_not_written_again(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo_mod, "PACK_THRESHOLD", 1)
    objects = repo.git_dir / "objects"
    first = write(repo, {"a.md": b"alpha"})
    repo.set_head(first.id)
    for n in range(200):
        (objects / f"{n:02x}").mkdir(exist_ok=True)
    with repo.session():
        repo.maybe_pack()
    sha = blob_id(b"alpha")
    assert not (objects / sha[:2] / sha[2:]).exists()
    with repo.session():
        write(repo, {"b.md": b"alpha"}, parent=first.id)
    assert not (objects / sha[:2] / sha[2:]).exists()


def test_tree_entries_are_regular_files(repo: Repo) -> None:
    from dulwich.objects import Tree

    first = write(repo, {"a.md": b"alpha"})
    tree = repo.store[first.tree.encode()]
    assert isinstance(tree, Tree)
    assert [(e.path, e.mode) for e in tree.iteritems()] == [(b"a.md", 0o100644)]


def test_a_file_name_that_is_not_utf8_round_trips(repo: Repo) -> None:
    name = os.fsdecode(b"caf\xe9.md")  # as os.scandir gives a Latin-1 name on Linux
    first = write(repo, {name: b"alpha"})
    assert repo.tree_files(first.tree) == {name: blob_id(b"alpha")}


def test_an_operation_carries_its_parent_and_a_plain_commit_its_author(repo: Repo) -> None:
    first = write(repo, {"a.md": b"alpha"})
    plain = repo.write(
        files={"a.md": blob_id(b"beta")},
        new_blobs={blob_id(b"beta"): b"beta"},
        parent=first.id,
        message="fixed by hand\n",
        author="Ann Lee",
        when=1_700_000_000,
    )
    read = repo.commit(plain.id)
    assert read.author == "Ann Lee"
    op = read.operation()
    assert op.parent == first.id
    assert op.actor == Actor("hand-edit", "Ann Lee")


def test_a_commit_with_bytes_that_are_not_utf8_still_reads(repo: Repo) -> None:
    from dulwich.objects import Commit

    first = write(repo, {"a.md": b"alpha"})
    commit = Commit()
    commit.tree = first.tree.encode()
    commit.parents = []
    commit.author = commit.committer = b"Ren\xe9 <r@example.com>"
    commit.author_time = commit.commit_time = 1_700_000_000
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = b"caf\xe9 notes\n"
    repo.store.add_object(commit)
    read = repo.commit(commit.id.decode())
    assert read.author == "Ren\ufffd"
    assert read.message == "caf\ufffd notes\n"


def test_create_over_a_half_made_repository(repo: Repo) -> None:
    (repo.git_dir / "HEAD").unlink()  # as a crash between the folders and HEAD leaves it
    assert not repo.exists()
    repo.create()
    assert repo.exists() and repo.head() == ""


def test_packing_a_repository_without_objects_is_skipped(repo: Repo) -> None:
    shutil.rmtree(repo.git_dir / "objects")
    repo.maybe_pack()  # best effort: no error


def test_a_file_vanishing_while_sizing_is_left_out(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = repo.size_on_disk()
    (repo.git_dir / "info" / "gone").write_bytes(b"x" * 1000)
    real = os.lstat

    def lstat(path: str) -> os.stat_result:
        if path.endswith("gone"):
            raise FileNotFoundError(2, "No such file", path)
        return real(path)

    monkeypatch.setattr(repo_mod.os, "lstat", lstat)
    assert repo.size_on_disk() == before


def test_a_lock_that_is_already_gone_is_retried(repo: Repo, tmp_path: Path) -> None:
    from dulwich.file import FileLocked

    attempts: list[int] = []

    def write_once_locked() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise FileLocked(str(tmp_path / "x"), str(tmp_path / "x.lock"))  # no such file
        return 42

    assert repo._retry_locked(write_once_locked) == 42
    assert len(attempts) == 2
