"""Scope rules: which folder a new memory goes to, and the committed team config."""

from __future__ import annotations

from pathlib import Path

import pytest

from memdir.errors import ConfigurationError, InvalidMemoryError, MemoryExistsError
from memdir.store.folder import MemoryDir
from memdir.team.config import DEFAULT_TEXT, parse_config
from memdir.team.scope import route
from memdir.types import MemoryType


def _with_team(tmp_path: Path, config: str | None = None) -> MemoryDir:
    store = MemoryDir(tmp_path / "mem", state=tmp_path / "state")
    (store.path / "team" / ".git").mkdir(parents=True)
    if config is not None:
        (store.path / "team" / ".memdir-team.toml").write_text(config)
    return store


def test_without_a_team_everything_is_private(tmp_path: Path) -> None:
    store = MemoryDir(tmp_path / "mem", state=tmp_path / "state")
    for kind in MemoryType:
        assert route(store.path, store.state_path, kind) == "private"
    with pytest.raises(ConfigurationError, match="team init"):
        route(store.path, store.state_path, MemoryType.PROJECT, scope="team")


def test_defaults_with_a_team(tmp_path: Path) -> None:
    store = _with_team(tmp_path)
    got = {k.value: route(store.path, store.state_path, k) for k in MemoryType}
    assert got == {"user": "private", "feedback": "private", "project": "team", "reference": "team"}
    assert route(store.path, store.state_path, MemoryType.FEEDBACK, scope="team") == "team"
    assert route(store.path, store.state_path, MemoryType.PROJECT, scope="private") == "private"
    with pytest.raises(InvalidMemoryError, match="never shared"):
        route(store.path, store.state_path, MemoryType.USER, scope="team")


def test_the_team_config_changes_the_defaults(tmp_path: Path) -> None:
    store = _with_team(tmp_path, '[scope]\nfeedback = "team"\nreference = "private"\n')
    assert route(store.path, store.state_path, MemoryType.FEEDBACK) == "team"
    assert route(store.path, store.state_path, MemoryType.REFERENCE) == "private"
    assert route(store.path, store.state_path, MemoryType.PROJECT) == "team"


@pytest.mark.parametrize(
    "text",
    ['[scope]\nuser = "team"\n', '[scope]\nproject = "everyone"\n', "[scope\n", "scope = 3\n"],
)
def test_an_invalid_config_falls_back_to_defaults_and_says_why(text: str) -> None:
    config = parse_config(text)
    assert config.problem
    assert config.scope_for(MemoryType.PROJECT) == "team"
    assert config.scope_for(MemoryType.USER) == "private"


def test_default_config_text_is_the_defaults() -> None:
    config = parse_config(DEFAULT_TEXT)
    assert config.problem is None
    assert config.scope_for(MemoryType.FEEDBACK) == "private"


def test_save_refuses_a_name_used_in_the_other_folder(tmp_path: Path) -> None:
    store = _with_team(tmp_path)
    store.save(
        name="Freeze", description="Deploy freeze", type="project", body="b", scope="private"
    )
    with pytest.raises(MemoryExistsError, match="other folder"):
        store.save(name="Freeze", description="Deploy freeze", type="project", body="b")


def test_the_extractors_memory_tool_routes_new_files(tmp_path: Path) -> None:
    from memdir.extract.memory_tool import MemoryFolderTool

    store = _with_team(tmp_path)
    store.init()
    tool = MemoryFolderTool(store)
    project = "---\nname: Freeze\ndescription: Deploy freeze dates\ntype: project\n---\nb\n"
    feedback = "---\nname: Terse\ndescription: Short answers please\ntype: feedback\n---\nb\n"
    shared = tool.run({"command": "create", "path": "/memories/freeze.md", "file_text": project})
    kept = tool.run({"command": "create", "path": "/memories/terse.md", "file_text": feedback})
    assert not shared.is_error and "/memories/team/freeze.md" in shared.text
    assert not kept.is_error and "/memories/terse.md" in kept.text
    assert (store.path / "team" / "freeze.md").exists() and (store.path / "terse.md").exists()
    # Rewriting an existing file keeps it where it is.
    again = tool.run({"command": "create", "path": "/memories/terse.md", "file_text": feedback})
    assert not again.is_error and not (store.path / "team" / "terse.md").exists()


def test_mcp_remember_routes_by_type(tmp_path: Path) -> None:
    from memdir.integrations.mcp_server import MemdirTools

    store = _with_team(tmp_path)
    tools = MemdirTools(store)
    tools.remember(
        type="reference", name="Tracker", description="Bugs live in INFRA", body="Linear."
    )
    tools.remember(type="user", name="Role", description="Senior Go engineer", body="Go.")
    assert (store.path / "team" / "tracker.md").exists()
    assert (store.path / "role.md").exists()
