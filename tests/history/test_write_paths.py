"""Every write path yields exactly one operation with the right actor and files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir import MemoryDir
from memdir.extract.memory_tool import MemoryFolderTool
from memdir.history import Actor, Operation
from memdir.integrations.mcp_server import MemdirTools
from tests.extract_helpers import FEEDBACK_TEXT, correction_lines, make_extractor, write_lines
from tests.fake_anthropic import FakeAnthropic

from .helpers import files_of, memory_text


def _ops(store: MemoryDir) -> list[Operation]:
    return MemoryDir(store.path, state=store.state_path).history()


def _new_ops(store: MemoryDir, before: int) -> list[Operation]:
    ops = _ops(store)
    return ops[: len(ops) - before]


def _seeded(memory_dir: Path) -> MemoryDir:
    store = MemoryDir(memory_dir)
    store.save(name="alpha", description="About alpha in detail", type="project", body="one")
    return store


def _invoke(memory_dir: Path, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(cli, ["--dir", str(memory_dir), *args], input=input)
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def _only(store: MemoryDir, before: int) -> Operation:
    new = _new_ops(store, before)
    assert len(new) == 1, [(op.actor, op.summary) for op in new]
    return new[0]


def test_cli_add_edit_forget_and_add_force(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _seeded(memory_dir)
    base = len(_ops(store))
    args = ["add", "--type", "project", "--name", "beta", "--description", "About beta here"]
    _invoke(memory_dir, *args, "--body", "b1")
    op = _only(store, base)
    assert (op.actor, op.files) == (Actor("cli"), ("beta.md", "MEMORY.md"))

    _invoke(memory_dir, *args, "--body", "b2", "--force")
    op = _only(store, base + 1)
    assert (op.actor, op.files) == (Actor("cli"), ("beta.md",))

    editor = memory_dir.parent / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/b2/b3/' \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    _invoke(memory_dir, "edit", "beta")
    op = _only(store, base + 2)
    assert (op.actor, op.files) == (Actor("cli"), ("beta.md",))
    assert op.summary == "edit beta.md: body +1 -1"

    out = (
        _invoke(memory_dir, "forget", "beta", "--yes")
        if _has_yes()
        else _invoke(memory_dir, "forget", "beta")
    )
    op = _only(store, base + 3)
    assert (op.actor, op.files) == (Actor("cli"), ("beta.md", "MEMORY.md"))
    assert "memory restore beta" in out


def _has_yes() -> bool:
    return any(p.name == "yes" for p in cli.get_command(None, "forget").params)  # type: ignore[arg-type,union-attr]


def test_mcp_remember_and_forget(memory_dir: Path) -> None:
    store = _seeded(memory_dir)
    tools = MemdirTools(MemoryDir(memory_dir, actor="cli"))
    base = len(_ops(store))
    tools.remember(type="project", name="gamma", description="About gamma here", body="g")
    op = _only(store, base)
    assert (op.actor, op.files) == (Actor("mcp"), ("gamma.md", "MEMORY.md"))
    tools.forget("gamma")
    op = _only(store, base + 1)
    assert (op.actor, op.files) == (Actor("mcp"), ("gamma.md", "MEMORY.md"))


@pytest.mark.parametrize(
    ("command", "files"),
    [
        (
            {"command": "create", "path": "/memories/new.md", "file_text": FEEDBACK_TEXT},
            ("new.md", "MEMORY.md"),
        ),
        (
            {
                "command": "str_replace",
                "path": "/memories/alpha.md",
                "old_str": "one",
                "new_str": "two",
            },
            ("alpha.md",),
        ),
        (
            {
                "command": "insert",
                "path": "/memories/alpha.md",
                "insert_line": 5,
                "insert_text": "more",
            },
            ("alpha.md",),
        ),
        ({"command": "delete", "path": "/memories/alpha.md"}, ("alpha.md", "MEMORY.md")),
        (
            {"command": "rename", "old_path": "/memories/alpha.md", "new_path": "/memories/b.md"},
            ("alpha.md", "b.md", "MEMORY.md"),
        ),
    ],
)
def test_each_memory_tool_command(memory_dir: Path, command: dict, files: tuple) -> None:
    store = _seeded(memory_dir)
    base = len(_ops(store))
    before = files_of(memory_dir)
    if command["command"] == "insert":  # after the last line, below the frontmatter
        command = {**command, "insert_line": len(before["alpha.md"].splitlines())}
    outcome = MemoryFolderTool(MemoryDir(memory_dir)).run(command)
    assert not outcome.is_error, outcome.text
    op = _only(store, base)
    assert op.actor == Actor("memory-tool")
    assert op.files == files
    # Undoing it gives back the exact earlier bytes, index included.
    store.undo()
    assert files_of(memory_dir) == before


def test_a_view_records_nothing(memory_dir: Path) -> None:
    store = _seeded(memory_dir)
    base = len(_ops(store))
    MemoryFolderTool(MemoryDir(memory_dir)).run({"command": "view", "path": "/memories"})
    assert len(_ops(store)) == base


def test_library_save_and_delete(memory_dir: Path) -> None:
    store = _seeded(memory_dir)
    base = len(_ops(store))
    before = files_of(memory_dir)
    store.save(name="delta", description="About delta here", type="user", body="d")
    op = _only(store, base)
    assert op.actor.kind == "library"
    assert op.files == ("delta.md", "MEMORY.md")
    store.undo()
    assert files_of(memory_dir) == before
    store.delete("alpha", actor=Actor("library", "agent-x"))
    op = _new_ops(store, base + 2)[0]
    assert (op.actor, op.files) == (Actor("library", "agent-x"), ("alpha.md", "MEMORY.md"))
    store.undo()
    assert files_of(memory_dir) == before


def test_the_extractor_against_the_fake_api(
    fake_anthropic: FakeAnthropic, memory_dir: Path, tmp_path: Path
) -> None:
    store = _seeded(memory_dir)
    base = len(_ops(store))
    before = files_of(memory_dir)
    transcript = write_lines(tmp_path / "s1.jsonl", correction_lines())
    fake_anthropic.reply_tool_use(("memory", {"command": "view", "path": "/memories"}))
    fake_anthropic.reply_tool_use(
        ("memory", {"command": "create", "path": "/memories/db.md", "file_text": FEEDBACK_TEXT})
    )
    fake_anthropic.reply_text("Saved one feedback memory.")
    result = make_extractor(store, fake_anthropic.url).extract_file(transcript, session_id="s1")
    assert result.status == "written"
    op = _only(store, base)
    assert (op.actor, op.files) == (Actor("extractor", "s1"), ("db.md", "MEMORY.md"))
    assert op.summary.startswith("add db.md (feedback): Never mock the database")
    store.undo()
    assert files_of(memory_dir) == before


def test_a_hand_edit_found_by_the_next_command(memory_dir: Path) -> None:
    store = _seeded(memory_dir)
    base = len(_ops(store))
    (memory_dir / "alpha.md").write_text(memory_text("alpha", "About alpha in detail", "hand"))
    _invoke(
        memory_dir,
        "add",
        "--type",
        "user",
        "--name",
        "eps",
        "--description",
        "About eps",
        "--body",
        "e",
    )
    hand, own = reversed(_new_ops(store, base))
    assert (hand.actor, hand.files) == (Actor("hand-edit"), ("alpha.md",))
    assert (own.actor, own.files) == (Actor("cli"), ("eps.md", "MEMORY.md"))
