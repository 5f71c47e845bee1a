"""Finding and reading files of a memory folder: `FolderBase` (the reading side of MemoryDir)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from memdir.errors import InvalidMemoryError, MemoryNotFoundError, StoreIOError
from memdir.store.folder import MemoryDir
from memdir.types import MemoryType


def memory(name: str, description: str = "", type_: str = "user", extra: str = "") -> str:
    return (
        f"---\nname: {name}\ndescription: {description or 'about ' + name}\n"
        f"type: {type_}\n{extra}---\nbody of {name}\n"
    )


def put(folder: Path, filename: str, text: str, mtime: float | None = None) -> Path:
    path = folder / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_opening_a_folder_writes_nothing_and_init_creates_it_once(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "mem"
    store = MemoryDir(folder)
    assert (store.exists(), repr(store)) == (False, f"MemoryDir({str(folder)!r})")
    assert store.scan().memories == () and not folder.exists()
    assert store.init() is True
    assert (store.exists(), store.index_path.read_text()) == (True, "")
    assert store.init() is False
    store.index_path.unlink()
    assert store.init() is True and store.index_path.exists()


def test_the_path_is_absolute_and_user_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert MemoryDir("~/mem").path == tmp_path / "mem"
    assert MemoryDir("rel").path == tmp_path / "rel"
    assert MemoryDir(tmp_path / "x" / ".." / "y").path == tmp_path / "y"


def test_a_folder_that_cannot_be_created_says_so(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    store = MemoryDir(tmp_path / "file" / "mem")
    with pytest.raises(StoreIOError) as info:
        store.init()
    assert info.value.path == tmp_path / "file" / "mem"
    assert info.value.message == "cannot create the memory folder: Not a directory"


def test_state_is_kept_outside_the_folder_under_its_key(memory_dir: Path, tmp_path: Path) -> None:
    state = tmp_path / "given-state"  # not the environment's state folder
    store = MemoryDir(memory_dir, state=state)
    assert store.state_path == state
    put(memory_dir, "a.md", memory("A"))
    store.scan()
    assert (state / "cache" / f"{store.key}.headers.cache").exists()
    assert store.key == MemoryDir(memory_dir).key != MemoryDir(tmp_path / "other").key


def test_list_filters_by_type_and_refuses_an_unknown_one(memory_dir: Path) -> None:
    put(memory_dir, "a.md", memory("A"), mtime=1_000_000)
    put(memory_dir, "b.md", memory("B", type_="project"), mtime=2_000_000)
    put(memory_dir, "c.md", memory("C", type_="idea"), mtime=3_000_000)
    store = MemoryDir(memory_dir)
    assert [h.filename for h in store.list()] == ["c.md", "b.md", "a.md"]
    assert [h.filename for h in store.list("project")] == ["b.md"]
    assert [h.filename for h in store.list(MemoryType.USER)] == ["a.md"]
    with pytest.raises(InvalidMemoryError) as info:
        store.list("idea")
    assert info.value.field == "type" and "invalid type 'idea'" in str(info.value)


def test_find_tries_file_name_stem_name_any_case_then_slug(memory_dir: Path) -> None:
    put(memory_dir, "alpha.md", memory("Deploy Freeze"))
    put(memory_dir, "deploy_freeze.md", memory("Other"))
    put(memory_dir, "Beta.md", memory("gamma"))
    put(memory_dir, "sub/delta.md", memory("Delta Note"))
    store = MemoryDir(memory_dir)
    cases = {
        "alpha.md": "alpha.md",
        "alpha": "alpha.md",
        " alpha ": "alpha.md",
        "sub/delta.md": "sub/delta.md",
        "sub/delta": "sub/delta.md",
        "delta": "sub/delta.md",
        "Deploy Freeze": "alpha.md",  # the name beats a slug of another file's stem
        "Other": "deploy_freeze.md",
        "beta": "Beta.md",
        "GAMMA": "Beta.md",
        "deploy freeze": "alpha.md",  # a name in any case
        "Deploy_Freeze": "deploy_freeze.md",  # a stem in any case
        "X Y!": "x_y.md",  # only as a slug
    }
    put(memory_dir, "x_y.md", memory("Q"))
    assert {key: store.find(key).filename for key in cases} == cases


def test_find_says_when_nothing_or_several_match(memory_dir: Path) -> None:
    put(memory_dir, "a.md", memory("Same"), mtime=2_000_000)
    put(memory_dir, "b.md", memory("Same"), mtime=1_000_000)
    store = MemoryDir(memory_dir)
    with pytest.raises(MemoryNotFoundError) as several:
        store.find("Same")
    assert str(several.value) == (
        f"{memory_dir}: 'Same' matches several memories (a.md, b.md); give the file name"
    )
    with pytest.raises(MemoryNotFoundError) as none:
        store.find("nothing")
    assert str(none.value) == f"{memory_dir}: no memory named 'nothing'; `memory list` shows them"


def test_locate_finds_files_that_are_not_valid_memories(memory_dir: Path) -> None:
    put(memory_dir, "good.md", memory("Good"))
    put(memory_dir, "Broken Note.md", "---\nname: [x\n  - y: {\n---\n")
    (memory_dir / "bin.md").write_bytes(b"\x00")
    (memory_dir / "dup.md").write_bytes(b"\x00")
    (memory_dir / "Dup.md").write_bytes(b"\x00")
    (memory_dir / "sub").mkdir()
    (memory_dir / "sub" / "bin.md").write_bytes(b"\x00")
    store = MemoryDir(memory_dir)
    assert store.locate("Good") == "good.md"
    assert store.locate("bin") == "bin.md"
    assert store.locate("BIN.md") == "bin.md"
    assert store.locate("Broken Note") == "Broken Note.md"
    with pytest.raises(MemoryNotFoundError, match="no memory named 'absent'"):
        store.locate("absent")
    with pytest.raises(MemoryNotFoundError, match="no memory named 'dup'"):
        store.locate("dup")  # two files could be meant: neither is picked


def test_read_text_says_why_a_file_cannot_be_read(memory_dir: Path) -> None:
    (memory_dir / "bin.md").write_bytes(b"\x00")
    store = MemoryDir(memory_dir)
    with pytest.raises(MemoryNotFoundError) as gone:
        store.read_text("gone.md")
    assert (gone.value.path, gone.value.message) == (
        memory_dir / "gone.md",
        "the memory file is gone",
    )
    with pytest.raises(StoreIOError) as binary:
        store.read_text("bin.md")
    assert (binary.value.path, binary.value.field) == (memory_dir / "bin.md", "file")
    assert binary.value.message == "binary file (contains NUL bytes); memories are Markdown text"


def test_read_gives_every_field(memory_dir: Path) -> None:
    path = put(
        memory_dir,
        "note.md",
        memory("Note", "what it is", "Feedback", extra="updated: 2026-03-05\nowner: kim\n"),
        mtime=1_000_000,
    )
    store = MemoryDir(memory_dir)
    for key in ("note.md", store.find("Note")):
        read = store.read(key)
        assert (read.name, read.description, read.type, read.raw_type) == (
            "Note",
            "what it is",
            MemoryType.FEEDBACK,
            "Feedback",
        )
        assert (read.path, read.filename, read.mtime) == (path, "note.md", 1_000_000)
        assert (read.body, read.updated) == ("body of Note\n", date(2026, 3, 5))
        assert read.extra == {"updated": date(2026, 3, 5), "owner": "kim"}
        assert read.age_days == (date.today() - date(2026, 3, 5)).days
    assert store.get("Note") == store.read("note.md")


def test_read_of_a_file_without_fields_uses_the_stem(memory_dir: Path) -> None:
    put(memory_dir, "bare.md", "---\ntype: 7\n---\nbody\n")
    read = MemoryDir(memory_dir).read("bare.md")
    assert (read.name, read.description, read.type, read.raw_type, read.extra) == (
        "bare",
        "",
        None,
        "7",
        {},
    )


def test_read_of_broken_frontmatter_names_the_field(memory_dir: Path) -> None:
    put(memory_dir, "broken.md", "---\nname: A\n")
    with pytest.raises(InvalidMemoryError) as info:
        MemoryDir(memory_dir).read("broken.md")
    assert (info.value.path, info.value.field) == (memory_dir / "broken.md", "frontmatter")
    assert info.value.message == "frontmatter does not close within 3 lines"


def test_inspect_gives_what_can_be_read(memory_dir: Path) -> None:
    put(memory_dir, "good.md", memory("Good"))
    put(memory_dir, "broken.md", "---\nname: [x\n  - y: {\n---\nbody\n")
    (memory_dir / "bin.md").write_bytes(b"\x00")
    store = MemoryDir(memory_dir)
    good = store.inspect("Good")
    assert (good.filename, good.path, good.problem) == ("good.md", memory_dir / "good.md", None)
    assert good.memory == store.read("good.md") and good.text == memory("Good")
    broken = store.inspect("broken")
    assert (broken.filename, broken.path, broken.memory) == (
        "broken.md",
        memory_dir / "broken.md",
        None,
    )
    assert broken.text == "---\nname: [x\n  - y: {\n---\nbody\n"
    assert broken.problem is not None and broken.problem.startswith("frontmatter is not valid YAML")
    binary = store.inspect("bin")
    assert (binary.memory, binary.text) == (None, None)
    assert binary.problem == "binary file (contains NUL bytes); memories are Markdown text"
    with pytest.raises(MemoryNotFoundError):
        store.inspect("absent")


# -- an in-repo team folder, kept outside the memory folder ------------------------------


def in_repo(tmp_path: Path) -> tuple[MemoryDir, Path]:
    import json

    from memdir.team.scope import pointer_file

    state, team = tmp_path / "state", tmp_path / "repo" / ".claude" / "team-memory"
    team.mkdir(parents=True)
    store = MemoryDir(tmp_path / "mem", state=state)
    store.init()
    pointer = pointer_file(store.path, state)
    pointer.parent.mkdir(parents=True)
    pointer.write_text(json.dumps({"in_repo": str(team)}))
    return store, team


def test_an_in_repo_team_folder_is_scanned_as_team_files(tmp_path: Path) -> None:
    store, team = in_repo(tmp_path)
    put(store.path, "mine.md", memory("Mine"), mtime=2_000_000)
    put(store.path, "shared.md", memory("Private copy"), mtime=1_000_000)
    put(team, "shared.md", memory("Team copy"), mtime=4_000_000)
    put(team, "theirs.md", memory("Theirs"), mtime=3_000_000)
    (team / "bad.md").write_bytes(b"\x00")
    (store.path / "bad.md").write_bytes(b"\x00")
    report = store.scan()
    assert [h.filename for h in report.memories] == ["team/theirs.md", "mine.md", "shared.md"]
    assert sorted(p.path for p in report.problems) == [store.path / "bad.md", team / "bad.md"]
    assert store.team_root == team
    assert (store.state_path / "cache" / f"{store.key}.team.cache").exists()
    assert store.scan(use_cache=False) == report
    assert store.resolve("team/theirs.md") == team / "theirs.md"
    assert store.entry_path("team/theirs.md") == team / "theirs.md"
    assert store.get("Theirs").path == team / "theirs.md"
    assert store.resolve("mine.md") == store.path / "mine.md"


def test_a_team_clone_inside_the_folder_wins_over_a_stale_in_repo_record(tmp_path: Path) -> None:
    store, team = in_repo(tmp_path)
    (store.path / "team" / ".git").mkdir(parents=True)
    put(store.path, "team/local.md", memory("Local"))
    put(team, "remote.md", memory("Remote"))
    assert [h.filename for h in store.scan().memories] == ["team/local.md"]
    assert store.resolve("team/local.md") == store.path / "team" / "local.md"
    assert store.entry_path("team/x.md") == store.path / "team" / "x.md"


def test_for_project_opens_claude_codes_folder(tmp_path: Path) -> None:
    from memdir.paths import claude_memory_dir

    env = {"HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": str(tmp_path / ".claude")}
    project = tmp_path / "project"
    project.mkdir()
    assert MemoryDir.for_project(project, env).path == claude_memory_dir(project, env)


def test_an_unreadable_header_after_a_write_is_an_error_naming_the_file(memory_dir: Path) -> None:
    path = put(memory_dir, "broken.md", "---\nname: A\n")
    store = MemoryDir(memory_dir)
    with pytest.raises(InvalidMemoryError) as info:
        store._header_for(path, "broken.md")
    assert (info.value.path, info.value.message) == (
        path,
        "frontmatter does not close within 3 lines",
    )
    assert store._old_header(path, "broken.md") is None
    assert store._old_header(memory_dir / "gone.md", "gone.md") is None
    header = store._header_for(put(memory_dir, "ok.md", memory("Ok")), "ok.md")
    assert (header.filename, header.name, header.path) == ("ok.md", "Ok", memory_dir / "ok.md")


def test_find_prefers_an_exact_stem_then_an_exact_name(memory_dir: Path) -> None:
    put(memory_dir, "sub/beta.md", memory("Something"))  # not a file-name match
    put(memory_dir, "b.md", memory("beta"))
    put(memory_dir, "a.md", memory("Deploy"))
    put(memory_dir, "DEPLOY.md", memory("Other"))
    store = MemoryDir(memory_dir)
    assert store.find("beta").filename == "sub/beta.md"
    assert store.find("Deploy").filename == "a.md"


def test_a_name_that_looks_like_a_path_is_refused(memory_dir: Path) -> None:
    from memdir.errors import UnsafePathError

    store = MemoryDir(memory_dir)
    with pytest.raises(UnsafePathError) as info:
        store.find("a\\b")
    assert info.value.field == "name"


def test_a_scan_without_the_cache_leaves_no_cache_file(memory_dir: Path, tmp_path: Path) -> None:
    put(memory_dir, "a.md", memory("A"))
    store = MemoryDir(memory_dir, state=tmp_path / "state")
    assert [h.filename for h in store.scan(use_cache=False).memories] == ["a.md"]
    assert not (tmp_path / "state" / "cache").exists()


def test_inspect_of_a_memory_whose_body_cannot_be_read(memory_dir: Path) -> None:
    path = memory_dir / "tail.md"
    path.write_bytes(memory("Tail").encode() + b"x" * 9000 + b"\x00\n")
    store = MemoryDir(memory_dir)
    found = store.inspect("Tail")
    assert (found.filename, found.path, found.memory, found.text) == ("tail.md", path, None, None)
    assert found.problem == "binary file (contains NUL bytes); memories are Markdown text"
    broken = store.inspect("tail")
    assert broken.path == path


def test_a_memory_deleted_between_reading_and_stat_is_gone(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put(memory_dir, "a.md", memory("A"))
    real_stat = Path.stat

    def vanished(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        if self == path:
            raise FileNotFoundError(2, "No such file or directory", str(self))
        return real_stat(self, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", vanished)
    with pytest.raises(MemoryNotFoundError) as info:
        MemoryDir(memory_dir).read("a.md")
    assert (info.value.path, info.value.message) == (path, "the memory file is gone")


def test_a_plain_team_folder_does_not_hide_the_in_repo_one(tmp_path: Path) -> None:
    store, team = in_repo(tmp_path)
    put(store.path, "team/notes.md", memory("Plain"))  # a folder named team, no clone
    put(team, "shared.md", memory("Shared"))
    assert "team/shared.md" in [h.filename for h in store.scan().memories]


def test_the_header_after_a_write_has_the_files_stat(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    header = store.write_text("a.md", memory("A"))
    st = (memory_dir / "a.md").stat()
    assert (header.mtime, header.size) == (st.st_mtime, st.st_size)
    (memory_dir / "bin.md").write_bytes(b"\x00")
    unreadable = store._header_for(memory_dir / "bin.md", "bin.md")
    assert (unreadable.name, unreadable.description, unreadable.snippet) == ("bin", "", "")
