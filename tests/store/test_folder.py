import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from memdir.errors import (
    InvalidMemoryError,
    MemoryExistsError,
    MemoryNotFoundError,
    SecretDetectedError,
    StoreIOError,
    UnsafePathError,
)
from memdir.store.folder import MemoryDir
from memdir.types import MemoryType


def save(store: MemoryDir, name: str = "Role", **kw: str):
    fields = {"description": f"about {name}", "type": "user", "body": "body"}
    fields.update(kw)
    return store.save(name=name, **fields)


def test_save_writes_file_and_index(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    result = save(
        store, "Testing policy", type="feedback", body="Rule\n**Why:** x\n**How to apply:** y"
    )
    assert result.memory.path == memory_dir / "testing_policy.md"
    assert result.memory.type is MemoryType.FEEDBACK
    assert result.memory.age_days == 0
    assert store.read_index() == "- [Testing policy](testing_policy.md) — about Testing policy\n"


def test_invalid_type_refused_and_nothing_written(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    with pytest.raises(InvalidMemoryError) as info:
        save(store, type="bogus")
    assert info.value.field == "type"
    assert "user, feedback, project, reference" in str(info.value)
    assert list(memory_dir.iterdir()) == []


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "a\x00b", "sub/../../x"])
def test_unsafe_names_refused(memory_dir: Path, name: str) -> None:
    with pytest.raises(UnsafePathError):
        save(MemoryDir(memory_dir), name)
    assert list(memory_dir.iterdir()) == []


@pytest.mark.parametrize("filename", ["../out.md", "/tmp/out.md", "a/../../out.md"])
def test_unsafe_file_names_refused(memory_dir: Path, filename: str) -> None:
    with pytest.raises(UnsafePathError):
        MemoryDir(memory_dir).save(
            name="x", description="d", type="user", body="b", filename=filename
        )
    assert not (memory_dir.parent / "out.md").exists()


def test_symlink_out_of_folder_refused(memory_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (memory_dir / "link").symlink_to(outside)
    with pytest.raises(UnsafePathError):
        MemoryDir(memory_dir).save(
            name="x", description="d", type="user", body="b", filename="link/x.md"
        )
    (memory_dir / "evil.md").symlink_to(outside / "target.md")
    with pytest.raises(UnsafePathError):
        MemoryDir(memory_dir).save(
            name="x", description="d", type="user", body="b", filename="evil.md", overwrite=True
        )
    assert list(outside.iterdir()) == []


def test_secrets_refused(memory_dir: Path) -> None:
    key = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    with pytest.raises(SecretDetectedError) as info:
        save(MemoryDir(memory_dir), body=f"use token {key}")
    assert info.value.field == "body"
    assert key not in str(info.value)
    assert not any(memory_dir.iterdir())


def test_duplicate_refused_unless_overwrite(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store)
    with pytest.raises(MemoryExistsError):
        save(store)
    store.save(name="Role", description="new words", type="user", body="b", overwrite=True)
    assert store.get("Role").description == "new words"
    assert store.read_index().count("role.md") == 1


def test_get_by_name_stem_and_filename(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "Deploy Freeze", type="project")
    for key in ("Deploy Freeze", "deploy freeze", "deploy_freeze", "deploy_freeze.md"):
        assert store.get(key).name == "Deploy Freeze"
    with pytest.raises(MemoryNotFoundError):
        store.get("nothing")


def test_update_keeps_extra_keys(memory_dir: Path) -> None:
    (memory_dir / "legacy.md").write_text(
        "---\nname: Legacy\ndescription: old\ntype: user\nowner: kim\n"
        "custom: [1, 2]\n---\nold body\n"
    )
    store = MemoryDir(memory_dir)
    store.update("Legacy", body="new body")
    memory = store.get("Legacy")
    assert memory.body.strip() == "new body"
    assert memory.extra == {"owner": "kim", "custom": [1, 2], "updated": date.today()}


def test_delete_removes_file_and_index_line(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "A")
    save(store, "B")
    memory_dir.joinpath("MEMORY.md").write_text(store.read_index() + "A note written by hand\n")
    store.delete("A")
    assert not (memory_dir / "a.md").exists()
    assert store.read_index() == "- [B](b.md) — about B\nA note written by hand\n"


def test_write_text_validates_before_replacing(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "A")
    before = (memory_dir / "a.md").read_text()
    with pytest.raises(InvalidMemoryError) as info:
        store.write_text("a.md", "---\nname: A\ndescription: d\ntype: wrong\n---\nx")
    assert info.value.field == "type"
    assert (memory_dir / "a.md").read_text() == before


def test_description_no_is_reported_with_field(memory_dir: Path) -> None:
    with pytest.raises(InvalidMemoryError) as info:
        MemoryDir(memory_dir).write_text("a.md", "---\nname: A\ndescription: no\ntype: user\n---\n")
    assert info.value.field == "description"


def test_sync_index_and_problems(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "A")
    (memory_dir / "b.md").write_text("---\nname: B\ndescription: bee\ntype: user\n---\n")
    assert [r for r, _ in store.index_problems()] == ["index-missing-entry"]
    changes = store.sync_index()
    assert changes.added == ("- [B](b.md) — bee",)
    assert store.index_problems() == []


def test_derivable_content_warns(memory_dir: Path) -> None:
    result = save(MemoryDir(memory_dir), body="```python\nprint(1)\n```")
    assert any("code block" in w for w in result.warnings)


def test_atomic_write_leaves_no_temp_files(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    for i in range(20):
        save(store, f"M{i}")
    assert sorted(p.name for p in memory_dir.iterdir() if p.name.startswith(".")) == []


WRITER = textwrap.dedent(
    """
    import sys
    from memdir.store.folder import MemoryDir
    store = MemoryDir(sys.argv[1])
    prefix = sys.argv[2]
    for i in range(int(sys.argv[3])):
        store.save(name=f"{prefix} {i}", description=f"memory {i} of {prefix}",
                   type="project", body="b")
    """
)


def test_two_processes_saving_500_each_lose_nothing(memory_dir: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(memory_dir), prefix, "500"], env=dict(os.environ)
        )
        for prefix in ("alpha", "beta")
    ]
    for proc in procs:
        assert proc.wait(timeout=300) == 0
    store = MemoryDir(memory_dir)
    files = [p for p in memory_dir.glob("*.md") if p.name != "MEMORY.md"]
    assert len(files) == 1000
    lines = store.read_index().splitlines()
    assert len(lines) == 1000 and len(set(lines)) == 1000
    assert store.index_problems() == []


def test_sync_keeps_lines_of_files_that_exist_but_do_not_parse(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "A")
    (memory_dir / "a.md").write_text("---\nname: [broken\n---\n")
    changes = store.sync_index()
    assert changes.removed == ()
    assert "(a.md)" in store.read_index()
    (memory_dir / "a.md").unlink()
    assert store.sync_index().removed == ("- [A](a.md) — about A",)


def test_sync_adds_new_entries_newest_first(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    store.init()
    for age_days, stem in ((30, "oldest"), (1, "newest"), (7, "middle")):
        path = memory_dir / f"{stem}.md"
        path.write_text(f"---\nname: {stem}\ndescription: the {stem} one\ntype: user\n---\nb\n")
        stamp = 1_900_000_000 - age_days * 86_400
        os.utime(path, (stamp, stamp))
    changes = store.sync_index()
    order = [line.split("](")[1].split(")")[0] for line in changes.added]
    assert order == ["newest.md", "middle.md", "oldest.md"]
    index = store.index_path.read_text().splitlines()
    assert [line.split("](")[1].split(")")[0] for line in index[-3:]] == order


def test_rename_moves_the_file_and_its_index_line(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "Role")
    save(store, "Other")
    header = store.rename("role.md", "team_role.md")
    assert header.filename == "team_role.md" and header.name == "Role"
    assert not (memory_dir / "role.md").exists()
    assert (memory_dir / "team_role.md").read_text().startswith("---\nname: Role\n")
    index = store.read_index()
    assert "(team_role.md)" in index and "(role.md)" not in index
    assert "(other.md)" in index
    assert store.index_problems() == []


def test_rename_refuses_a_taken_name_a_missing_file_and_an_invalid_memory(
    memory_dir: Path,
) -> None:
    store = MemoryDir(memory_dir)
    save(store, "Role")
    save(store, "Other")
    before = sorted(p.name for p in memory_dir.iterdir())
    with pytest.raises(MemoryExistsError):
        store.rename("role.md", "other.md")
    with pytest.raises(MemoryNotFoundError):
        store.rename("absent.md", "new.md")
    (memory_dir / "broken.md").write_text("no frontmatter at all\n")
    with pytest.raises(InvalidMemoryError) as caught:
        store.rename("broken.md", "fixed.md")
    assert caught.value.path == memory_dir / "broken.md"
    assert sorted(p.name for p in memory_dir.iterdir()) == sorted([*before, "broken.md"])


@pytest.mark.parametrize("name", ["MEMORY.md", "memory.md"])
def test_the_index_cannot_be_deleted_as_a_memory(memory_dir: Path, name: str) -> None:
    store = MemoryDir(memory_dir)
    save(store, "Role")
    with pytest.raises(InvalidMemoryError, match="MEMORY.md is the index, not a memory") as caught:
        store.remove_file(name)
    assert (caught.value.path, caught.value.field) == (memory_dir / name, "filename")
    assert store.index_path.exists()


def test_delete_of_a_broken_file_removes_it_and_its_line(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "Role")
    (memory_dir / "broken.md").write_text("no frontmatter\n")
    store.index_path.write_text(store.read_index() + "- [Broken](broken.md) — x\n")
    assert store.remove_file("broken.md") == memory_dir / "broken.md"
    assert not (memory_dir / "broken.md").exists()
    assert "broken.md" not in store.read_index()
    with pytest.raises(MemoryNotFoundError):
        store.remove_file("broken.md")


# -- exact refusals: message, file and field ------------------------------------------


def test_a_name_that_is_unsafe_or_has_no_letters_names_the_field(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    with pytest.raises(UnsafePathError) as unsafe:
        save(store, "../escape")
    assert (unsafe.value.path, unsafe.value.field) == (memory_dir, "name")
    with pytest.raises(InvalidMemoryError) as empty:
        save(store, "!!!")
    assert empty.value.field == "name"
    assert empty.value.message == "name '!!!' has no letters or digits to make a file name from"


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        (
            "notes.txt",
            "file name 'notes.txt' must end in .md and not be MEMORY.md (in any case: on macOS "
            "and Windows memory.md is the index)",
        ),
        (
            "Memory.MD",
            "file name 'Memory.MD' must end in .md and not be MEMORY.md (in any case: on macOS "
            "and Windows memory.md is the index)",
        ),
        (
            "memory.md",
            "file name 'memory.md' must end in .md and not be MEMORY.md (in any case: on macOS "
            "and Windows memory.md is the index)",
        ),
        (".hidden.md", "hidden names are not memories: '.hidden.md'"),
        ("sub/.x/y.md", "hidden names are not memories: 'sub/.x/y.md'"),
    ],
)
def test_file_names_that_are_not_memories_are_refused(
    memory_dir: Path, filename: str, message: str
) -> None:
    store = MemoryDir(memory_dir)
    with pytest.raises(InvalidMemoryError) as info:
        store.write_text(filename, "---\nname: A\ndescription: d\ntype: user\n---\nb\n")
    assert (info.value.path, info.value.field, info.value.message) == (
        memory_dir,
        "filename",
        message,
    )
    assert list(memory_dir.iterdir()) == []


def test_a_write_through_a_link_is_refused_naming_it(memory_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "target.md"
    target.write_text("outside\n")
    (memory_dir / "link.md").symlink_to(target)
    with pytest.raises(UnsafePathError) as info:
        MemoryDir(memory_dir).write_text(
            "link.md", "---\nname: A\ndescription: d\ntype: user\n---\nb\n"
        )
    assert (info.value.path, info.value.field) == (memory_dir / "link.md", "path")
    assert info.value.message == (
        "link.md is a symbolic link; memdir never writes through a link (remove it, then "
        "save again)"
    )
    assert target.read_text() == "outside\n"


def test_a_second_creator_is_told_how_to_edit_the_memory(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "Role")
    with pytest.raises(MemoryExistsError) as info:
        save(store, "Role", description="other words")
    assert (info.value.path, info.value.field) == (memory_dir / "role.md", "name")
    assert info.value.message == (
        "a memory already uses this file; pick another name or edit it (`memory edit role`)"
    )
    with pytest.raises(MemoryExistsError, match=r"\(`memory edit sub/x`\)"):
        for _ in range(2):
            store.write_text(
                "sub/x.md", "---\nname: X\ndescription: d\ntype: user\n---\nb\n", create_only=True
            )
    assert store.get("Role").description == "about Role"


def test_update_changes_only_what_is_given(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "Role", type="project", body="old body")
    result = store.update("Role", description="new words")
    assert (result.memory.name, result.memory.description, result.memory.type) == (
        "Role",
        "new words",
        MemoryType.PROJECT,
    )
    assert result.memory.body == "old body\n" and result.warnings == ()
    renamed = store.update("Role", new_name="Job", type="feedback", body="```sh\nls\n```")
    assert (renamed.memory.name, renamed.memory.description, renamed.memory.type) == (
        "Job",
        "new words",
        MemoryType.FEEDBACK,
    )
    assert renamed.memory.filename == "role.md"
    assert any("code block" in w for w in renamed.warnings)
    assert store.read_index() == "- [Job](role.md) — new words\n"


@pytest.mark.parametrize(("written", "shown"), [("type: idea\n", "'idea'"), ("", "''")])
def test_update_of_a_memory_without_a_valid_type_asks_for_one(
    memory_dir: Path, written: str, shown: str
) -> None:
    path = memory_dir / "odd.md"
    path.write_text(f"---\nname: Odd\ndescription: d\n{written}---\nbody\n")
    store = MemoryDir(memory_dir)
    with pytest.raises(InvalidMemoryError) as info:
        store.update("Odd", description="new")
    assert (info.value.path, info.value.field) == (path, "type")
    assert info.value.message.startswith(f"invalid type {shown}; use one of")
    assert store.update("Odd", type="user").memory.type is MemoryType.USER


def test_write_text_stamps_today_unless_told_not_to(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    text = (
        "---\r\nname: A\r\ndescription: d\r\ntype: user\r\nupdated: 2020-01-02\r\n---\r\nbody\r\n"
    )
    store.write_text("a.md", text, stamp=False)
    assert (memory_dir / "a.md").read_bytes() == text.replace("\r\n", "\n").encode()
    store.write_text("a.md", text)
    assert (memory_dir / "a.md").read_text() == text.replace("\r\n", "\n").replace(
        "2020-01-02", date.today().isoformat()
    )


def test_modify_edits_under_the_lock_and_refuses_a_bad_result(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    save(store, "Role")
    header = store.modify("role.md", lambda text: text.replace("about Role", "changed"))
    assert (header.filename, header.description) == ("role.md", "changed")
    assert store.read_index() == "- [Role](role.md) — changed\n"
    before = (memory_dir / "role.md").read_text()
    with pytest.raises(InvalidMemoryError) as info:
        store.modify("role.md", lambda text: text.replace("type: user", "type: idea"))
    assert (info.value.path, info.value.field) == (memory_dir / "role.md", "type")
    assert (memory_dir / "role.md").read_text() == before
    with pytest.raises(MemoryNotFoundError):
        store.modify("absent.md", lambda text: text)


def test_every_write_and_delete_is_told_to_the_listeners(memory_dir: Path) -> None:
    seen: list[Path] = []
    store = MemoryDir(memory_dir, listeners=[seen.append])
    save(store, "Role")
    store.update("Role", description="x")
    store.rename("role.md", "job.md")
    store.delete("job.md")
    path, moved = memory_dir / "role.md", memory_dir / "job.md"
    assert seen == [path, path, moved, path, moved]


def test_a_delete_that_the_file_system_refuses_says_why(memory_dir: Path) -> None:
    (memory_dir / "dir.md").mkdir()
    with pytest.raises(StoreIOError) as info:
        MemoryDir(memory_dir).remove_file("dir.md")
    assert info.value.path == memory_dir / "dir.md"
    assert info.value.message.startswith("cannot delete: ")
    with pytest.raises(MemoryNotFoundError) as gone:
        MemoryDir(memory_dir).remove_file("gone.md")
    assert gone.value.message == "the memory was deleted meanwhile (by another process)"
    assert gone.value.path == memory_dir / "gone.md"


def test_two_spellings_of_a_name_share_one_lock(memory_dir: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    store = MemoryDir(memory_dir, state=state)
    text = "---\nname: A\ndescription: d\ntype: user\n---\nb\n"
    store.write_text("Note.md", text)
    store.write_text("note.md", text)
    store.write_text("other.md", text)
    locks = sorted(p.name for p in (state / "locks" / store.key).iterdir())
    assert len(locks) == 2 and all(len(name) == len("x" * 20 + ".lock") for name in locks)


# -- routing new memories between the private and the team folder ----------------------


def with_team(tmp_path: Path) -> MemoryDir:
    store = MemoryDir(tmp_path / "mem", state=tmp_path / "state")
    (store.path / "team" / ".git").mkdir(parents=True)
    return store


def test_a_name_used_in_the_other_folder_is_refused_naming_that_file(tmp_path: Path) -> None:
    store = with_team(tmp_path)
    store.save(name="Freeze", description="d", type="project", body="b", scope="private")
    with pytest.raises(MemoryExistsError) as info:
        store.save(name="Freeze", description="d", type="project", body="b")
    assert (info.value.path, info.value.field) == (store.path / "freeze.md", "name")
    assert info.value.message == (
        "a memory already uses this file in the other folder (private or team); pick another name"
    )
    # Overwriting goes where the rules say, whatever the other folder holds.
    saved = store.save(name="Freeze", description="e", type="project", body="b", overwrite=True)
    assert saved.memory.filename == "team/freeze.md"
    store.save(name="Role", description="d", type="user", body="b")
    assert (store.path / "role.md").exists()


def test_a_file_written_whole_is_routed_by_its_type(tmp_path: Path) -> None:
    store = with_team(tmp_path)
    project = "---\r\nname: F\r\ndescription: d\r\ntype: project\r\n---\r\nb\r\n"
    assert store.routed_filename("f.md", project) == "team/f.md"
    assert store.routed_filename("f.md", project.replace("project", "user")) == "f.md"
    assert store.routed_filename("f.md", project.replace("project", "idea")) == "f.md"
    assert store.routed_filename("notes/f.md", project) == "notes/f.md"  # chosen on purpose
    (store.path / "f.md").write_text(project)
    assert store.routed_filename("f.md", project) == "f.md"  # the other folder has it
    plain = MemoryDir(tmp_path / "alone", state=tmp_path / "state")
    assert plain.routed_filename("f.md", project) == "f.md"
