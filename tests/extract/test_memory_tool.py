"""The memory tool over a memory folder: every command confined, validated, indexed."""

from __future__ import annotations

import os
import random
import string
from datetime import date
from pathlib import Path

import pytest
from anthropic.lib.tools import BetaAbstractMemoryTool

from memdir.extract.changes import FileChange
from memdir.extract.memory_tool import MemoryFolderTool
from memdir.store.folder import MemoryDir
from memdir.store.memoryfile import set_updated
from tests.extract_helpers import FEEDBACK_TEXT, memory_text

# Random-looking, so the detector does not take it for a placeholder.
FAKE_KEY = "sk-ant-api03-" + "".join(random.Random(7).choices(string.ascii_letters, k=93)) + "AA"


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    return MemoryDir(memory_dir)


@pytest.fixture
def tool(store: MemoryDir) -> MemoryFolderTool:
    return MemoryFolderTool(store)


def create(tool: MemoryFolderTool, path: str, text: str):
    return tool.run({"command": "create", "path": path, "file_text": text})


def test_is_the_sdk_memory_tool(tool: MemoryFolderTool) -> None:
    assert isinstance(tool, BetaAbstractMemoryTool)
    assert tool.to_dict() == {"type": "memory_20250818", "name": "memory"}
    assert tool.name == "memory"


def test_create_writes_a_valid_memory_and_its_index_line(
    tool: MemoryFolderTool, store: MemoryDir
) -> None:
    outcome = create(tool, "/memories/real_database.md", FEEDBACK_TEXT)
    assert not outcome.is_error, outcome.text
    assert (store.path / "real_database.md").read_text() == set_updated(FEEDBACK_TEXT, date.today())
    assert "](real_database.md)" in store.read_index()
    assert tool.changes == [FileChange("created", "real_database.md")]
    assert store.get("real_database").type == "feedback"


@pytest.mark.parametrize(
    "path",
    [
        "../outside.md",
        "/etc/x.md",
        "/memories/../outside.md",
        "/memories/sub/../../outside.md",
        "/memoriesX/outside.md",
        "outside.md",
        "~/outside.md",
    ],
)
def test_paths_outside_the_folder_are_refused(
    tool: MemoryFolderTool, store: MemoryDir, path: str
) -> None:
    outcome = create(tool, path, memory_text("Escape"))
    assert outcome.is_error
    assert "/memories" in outcome.text or "refused" in outcome.text
    assert not (store.path.parent / "outside.md").exists()
    assert list(store.path.iterdir()) == []
    assert tool.changes == []


def test_a_symlink_out_of_the_folder_is_refused(
    tool: MemoryFolderTool, store: MemoryDir, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, store.path / "link")
    outcome = create(tool, "/memories/link/x.md", memory_text("Escape"))
    assert outcome.is_error
    assert list(elsewhere.iterdir()) == []
    view = tool.run({"command": "view", "path": "/memories/link"})
    assert view.is_error


def test_invalid_type_is_refused_naming_the_valid_ones(
    tool: MemoryFolderTool, store: MemoryDir
) -> None:
    outcome = create(tool, "/memories/x.md", memory_text("X", type_="opinion"))
    assert outcome.is_error
    assert "user, feedback, project, reference" in outcome.text
    assert "type" in outcome.text
    assert not (store.path / "x.md").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("just a body, no frontmatter\n", "frontmatter"),
        ("---\nname: X\ntype: user\n---\nbody\n", "description"),
        (memory_text("Key", body=f"token {FAKE_KEY}"), "credential"),
    ],
)
def test_invalid_or_secret_content_is_refused(
    tool: MemoryFolderTool, store: MemoryDir, text: str, expected: str
) -> None:
    outcome = create(tool, "/memories/x.md", text)
    assert outcome.is_error
    assert expected in outcome.text
    assert not (store.path / "x.md").exists()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/memories/MEMORY.md", "index"),
        ("/memories/notes.txt", ".md"),
        ("/memories/.hidden.md", "hidden"),
        ("/memories", "folder itself"),
    ],
)
def test_index_hidden_and_non_markdown_targets_are_refused(
    tool: MemoryFolderTool, store: MemoryDir, path: str, expected: str
) -> None:
    outcome = create(tool, path, memory_text("X"))
    assert outcome.is_error
    assert expected in outcome.text
    assert not (store.path / "MEMORY.md").exists()


def test_the_index_can_be_viewed_but_not_edited(tool: MemoryFolderTool, store: MemoryDir) -> None:
    create(tool, "/memories/a.md", memory_text("A"))
    before = store.read_index()
    view = tool.run({"command": "view", "path": "/memories/MEMORY.md"})
    assert not view.is_error and "a.md" in view.text
    edit = tool.run(
        {"command": "str_replace", "path": "/memories/MEMORY.md", "old_str": "A", "new_str": "B"}
    )
    assert edit.is_error
    assert tool.run({"command": "delete", "path": "/memories/MEMORY.md"}).is_error
    assert store.read_index() == before


def test_str_replace_is_validated_before_writing(tool: MemoryFolderTool, store: MemoryDir) -> None:
    create(tool, "/memories/a.md", memory_text("A", body="Old fact."))
    bad = tool.run(
        {
            "command": "str_replace",
            "path": "/memories/a.md",
            "old_str": "type: project",
            "new_str": "type: rumour",
        }
    )
    assert bad.is_error and "feedback" in bad.text
    assert "type: project" in (store.path / "a.md").read_text()
    good = tool.run(
        {"command": "str_replace", "path": "/memories/a.md", "old_str": "Old", "new_str": "New"}
    )
    assert not good.is_error
    assert "New fact." in (store.path / "a.md").read_text()
    assert tool.changes[-1] == FileChange("updated", "a.md")
    missing = tool.run(
        {"command": "str_replace", "path": "/memories/a.md", "old_str": "zzz", "new_str": "y"}
    )
    assert missing.is_error and "does not appear" in missing.text


def test_insert_adds_a_line(tool: MemoryFolderTool, store: MemoryDir) -> None:
    create(tool, "/memories/a.md", memory_text("A", body="First."))
    lines = (store.path / "a.md").read_text().splitlines()
    outcome = tool.run(
        {
            "command": "insert",
            "path": "/memories/a.md",
            "insert_line": len(lines),
            "insert_text": "Second.",
        }
    )
    assert not outcome.is_error, outcome.text
    assert (store.path / "a.md").read_text().endswith("First.\nSecond.\n")
    beyond = tool.run(
        {"command": "insert", "path": "/memories/a.md", "insert_line": 99, "insert_text": "x"}
    )
    assert beyond.is_error


def test_delete_removes_the_file_and_its_index_line(
    tool: MemoryFolderTool, store: MemoryDir
) -> None:
    create(tool, "/memories/a.md", memory_text("A"))
    create(tool, "/memories/b.md", memory_text("B"))
    outcome = tool.run({"command": "delete", "path": "/memories/a.md"})
    assert not outcome.is_error
    assert not (store.path / "a.md").exists()
    assert "a.md" not in store.read_index() and "b.md" in store.read_index()
    assert tool.changes[-1] == FileChange("deleted", "a.md")
    assert tool.run({"command": "delete", "path": "/memories/a.md"}).is_error


def test_rename_moves_the_file_and_the_index_follows(
    tool: MemoryFolderTool, store: MemoryDir
) -> None:
    create(tool, "/memories/a.md", memory_text("A"))
    outcome = tool.run(
        {"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/alpha.md"}
    )
    assert not outcome.is_error, outcome.text
    assert not (store.path / "a.md").exists()
    assert (store.path / "alpha.md").exists()
    index = store.read_index()
    assert "(alpha.md)" in index and "(a.md)" not in index
    assert tool.changes[-1] == FileChange("renamed", "alpha.md", old_path="a.md")
    escape = tool.run(
        {"command": "rename", "old_path": "/memories/alpha.md", "new_path": "/tmp/alpha.md"}
    )
    assert escape.is_error and (store.path / "alpha.md").exists()


def test_view_lists_the_folder_and_numbers_file_lines(
    tool: MemoryFolderTool, store: MemoryDir
) -> None:
    create(tool, "/memories/a.md", memory_text("A"))
    (store.path / ".hidden.tmp").write_text("x")
    listing = tool.run({"command": "view", "path": "/memories"})
    assert not listing.is_error
    assert "/memories/a.md" in listing.text and "/memories/MEMORY.md" in listing.text
    assert ".hidden" not in listing.text
    file_view = tool.run({"command": "view", "path": "/memories/a.md", "view_range": [2, 2]})
    assert file_view.text.splitlines()[1:] == ["     2\tname: A"]
    assert tool.run({"command": "view", "path": "/memories/none.md"}).is_error


@pytest.mark.parametrize(
    "tool_input",
    [
        {"command": "create", "path": "/memories/a.md"},
        {"command": "explode", "path": "/memories/a.md"},
        {"command": "insert", "path": "/memories/a.md", "insert_line": "1", "insert_text": "x"},
        "create /memories/a.md",
        {},
    ],
)
def test_malformed_calls_become_tool_errors(tool: MemoryFolderTool, tool_input: object) -> None:
    outcome = tool.run(tool_input)
    assert outcome.is_error
    assert outcome.text.startswith("Error:")
