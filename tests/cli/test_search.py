"""`memory search` through the CLI, and the library function under it."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.recall import search
from memdir.store.folder import MemoryDir


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    s = MemoryDir(memory_dir)
    s.save(
        name="Test database",
        description="Integration tests run against a real database",
        type="feedback",
        body="Use the docker Postgres from `docker-compose.test.yml`.\n**Why:** mocks lied.",
    )
    # Written by hand, 40 days old by its `updated:` date.
    updated = (date.today() - timedelta(days=40)).isoformat()
    (s.path / "postgres_upgrade.md").write_text(
        "---\nname: Postgres upgrade\n"
        "description: The Postgres 16 upgrade is postponed to February\n"
        f"type: project\nupdated: {updated}\n---\n\nWaiting for the extension vendor.\n"
    )
    s.save(
        name="Answer style",
        description="Short answers, code before prose",
        type="user",
        body="No summaries at the end.",
    )
    return s


def run(store: MemoryDir, *args: str):
    return CliRunner().invoke(cli, ["--dir", str(store.path), "search", *args])


def test_one_word_finds_every_match_best_first(store: MemoryDir) -> None:
    hits = search(store, "postgres")
    # In the description and the name beats a mention in the body only.
    assert [h.header.filename for h in hits] == ["postgres_upgrade.md", "test_database.md"]
    result = run(store, "postgres")
    assert result.exit_code == 0, result.stderr
    lines = result.output.splitlines()
    assert lines[0].startswith("Postgres upgrade  [project]  40d ago")
    assert any(line.startswith("Test database  [feedback]  today") for line in lines)
    assert "Answer style" not in result.output


def test_filters_and_json(store: MemoryDir) -> None:
    data = json.loads(run(store, "postgres", "--type", "feedback", "--json").output)
    assert [d["filename"] for d in data] == ["test_database.md"]
    assert data[0]["matched"] == ["postgr"]
    old = json.loads(run(store, "postgres", "--older-than", "30", "--json").output)
    assert [d["filename"] for d in old] == ["postgres_upgrade.md"]
    assert run(store, "kubernetes").output == "No memory matches.\n"


def test_more_matched_words_rank_first(store: MemoryDir) -> None:
    hits = search(store, "postgres database")
    assert [h.header.filename for h in hits] == ["test_database.md", "postgres_upgrade.md"]
    assert hits[0].matched == ("postgr", "databas")


def test_stale_needs_a_project(store: MemoryDir, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(store, "postgres", "--stale")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --stale checks memories against a project: run it in a git repository\n"
    )


def test_stale_keeps_memories_naming_what_the_project_lacks(
    store: MemoryDir, tmp_path: Path, monkeypatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    monkeypatch.chdir(project)
    data = json.loads(run(store, "postgres", "--stale", "--json").output)
    assert [d["filename"] for d in data] == ["test_database.md"]
    assert data[0]["stale"][0]["text"] == "docker-compose.test.yml"
