"""`memory dream`: dry run, apply, held plans and --allow-loss, --status, --show, --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.store.folder import MemoryDir
from tests.dream_helpers import folder_bytes, make_folder, memory_text

OLD = "updated: 2025-01-01\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    store = MemoryDir(memory_dir)
    make_folder(store, 10)
    store.write_text("dup.md", (memory_dir / "billing.md").read_text())
    return store


def dream(runner: CliRunner, store: MemoryDir, *args: str):
    return runner.invoke(cli, ["--dir", str(store.path), "dream", *args])


def test_the_default_is_a_dry_run(runner: CliRunner, store: MemoryDir) -> None:
    before = folder_bytes(store.path)
    result = dream(runner, store, "--offline")
    assert result.exit_code == 0, result.output
    assert ": planned" in result.output.splitlines()[0]
    assert "merged   " in result.output and "Changes (from the diff):" in result.output
    assert "`memory dream --apply` applies it" in result.output
    assert folder_bytes(store.path) == before


def test_apply_then_status_and_show(runner: CliRunner, store: MemoryDir) -> None:
    applied = dream(runner, store, "--apply", "--offline", "--json")
    assert applied.exit_code == 0, applied.output
    data = json.loads(applied.output)
    assert data["status"] == "applied" and data["plan"]["counts"]["merged"] == 1
    assert len(list(store.path.glob("*.md"))) == 11

    status = dream(runner, store, "--status")
    assert status.exit_code == 0
    assert f"Last run: {data['run']} (manual, apply): applied" in status.output
    assert "Lock: free" in status.output
    assert "0 of 5 sessions" in status.output

    shown = dream(runner, store, "--show", data["run"][:12], "--json")
    assert json.loads(shown.output)["run"] == data["run"]
    assert "applied" in dream(runner, store, "--show").output.splitlines()[0]


def test_a_held_plan_exits_1_and_allow_loss_applies_that_plan(
    runner: CliRunner, store: MemoryDir, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for n in range(5):  # 5 of 16 memories name only files that are gone: over 10 %
        body = f"The importer lives in `src/importer_{n}.py`."
        store.write_text(f"old_{n}.md", memory_text(f"old {n}", body=body, extra=OLD), stamp=False)
    before = folder_bytes(store.path)

    held = dream(runner, store, "--apply", "--offline", "--project", str(project))

    assert held.exit_code == 1, held.output
    assert ": held" in held.output.splitlines()[0]
    assert "retires 5 of 16 memories" in held.output
    assert "to apply it anyway: memory dream --apply --allow-loss" in held.output
    assert folder_bytes(store.path) == before

    forced = dream(runner, store, "--apply", "--allow-loss", "--json")
    assert forced.exit_code == 0, forced.output
    data = json.loads(forced.output)
    assert data["status"] == "applied" and "anyway" in data["message"]
    assert not list(store.path.glob("old_*.md"))
    assert not (store.path / "dup.md").exists() or not (store.path / "billing.md").exists()


def test_usage_errors(runner: CliRunner, store: MemoryDir) -> None:
    assert dream(runner, store, "--allow-loss").exit_code == 2
    assert dream(runner, store, "RUN").exit_code == 2
    assert dream(runner, store, "--status", "--show").exit_code == 2
    missing = dream(runner, store, "--show", "nope")
    assert missing.exit_code == 2
    assert "no consolidation run 'nope'" in missing.stderr
