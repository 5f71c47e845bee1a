"""Issue 12's details: confirmation, undo hints, editor, stats, messages, doctor, completion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.store import MemoryDir


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    folder = MemoryDir(memory_dir)
    for name in ("Alpha note", "Beta note", "Gamma note"):
        folder.save(name=name, description=f"{name} about the deploy", type="project", body="b")
    return folder


def run(store: MemoryDir, *args: str, input: str | None = None, **env: str | None):  # noqa: A002
    return CliRunner().invoke(cli, ["--dir", str(store.path), *args], input=input, env=env)


def test_forget_of_several_needs_yes_without_a_terminal(store: MemoryDir) -> None:
    result = run(store, "forget", "alpha_note", "beta_note")
    assert result.exit_code == 2
    assert "deleting 2 memories needs --yes" in result.stderr
    assert (store.path / "alpha_note.md").exists()


def test_forget_asks_on_a_terminal(store: MemoryDir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("memdir_cli.commands_store._interactive", lambda: True)
    refused = run(store, "forget", "alpha_note", "beta_note", input="n\n")
    assert refused.exit_code == 1 and "Delete these 2 memories?" in refused.stderr
    assert (store.path / "alpha_note.md").exists()
    agreed = run(store, "forget", "alpha_note", "beta_note", input="y\n")
    assert agreed.exit_code == 0, agreed.stderr
    assert not (store.path / "alpha_note.md").exists()
    assert not (store.path / "beta_note.md").exists()


def test_forget_says_what_it_did_and_how_to_undo(store: MemoryDir) -> None:
    result = run(store, "forget", "Gamma note")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"Deleted {store.path / 'gamma_note.md'}"
    assert "undo" in lines[1] or "restore" in lines[1]
    both = run(store, "forget", "alpha_note", "beta_note", "--yes", "--json")
    data = json.loads(both.stdout)
    assert [m["filename"] for m in data["deleted"]] == ["alpha_note.md", "beta_note.md"]


def test_edit_without_an_editor_or_terminal_says_so(store: MemoryDir) -> None:
    result = run(store, "edit", "alpha_note", EDITOR=None, VISUAL=None)
    assert result.exit_code == 2
    assert "no editor: set $EDITOR" in result.stderr
    assert (store.path / "alpha_note.md").read_text().count("Alpha note") >= 1


def test_a_refused_edit_names_the_file_and_field_once(store: MemoryDir, tmp_path: Path) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/^description: .*/description: \\"\\"/" "$1"\n')
    editor.chmod(0o755)
    result = run(store, "edit", "alpha_note", EDITOR=str(editor))
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert message.count("memories/alpha_note.md") == 1, message
    assert message.count("field 'description'") == 1, message
    assert "your edit is saved in" in message


def test_stats_does_not_print_one_folders_name_over_global_counters(store: MemoryDir) -> None:
    result = run(store, "stats")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"memory folder {store.path}:"
    assert any(line.startswith("all memory folders (state folder") for line in lines)
    breaker = next(i for i, line in enumerate(lines) if "circuit breaker" in line)
    head = next(i for i, line in enumerate(lines) if line.startswith("all memory folders"))
    assert breaker > head


def test_recall_messages_have_no_nested_brackets(store: MemoryDir) -> None:
    result = run(store, "recall", "how do we deploy the alpha note", "--no-daemon")
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.count("(") <= 1 and "((" not in first and "))" not in first
    assert first.startswith("Selected by the offline selector: no model configured")


def test_lint_counts_memory_files_only(store: MemoryDir) -> None:
    result = run(store, "lint", "--no-verify")
    assert result.stdout.rstrip().endswith("3 files checked.")


def test_near_duplicates_are_one_line_per_group(memory_dir: Path) -> None:
    folder = MemoryDir(memory_dir)
    for n in range(12):
        folder.save(
            name=f"Invoice rule {n}",
            description="Overdue invoices get a late fee computed daily from the due date",
            type="project",
            body="b",
        )
    result = CliRunner().invoke(cli, ["--dir", str(memory_dir), "lint", "--no-verify", "--json"])
    found = [p for p in json.loads(result.stdout)["problems"] if p["rule"] == "near-duplicate"]
    assert len(found) == 1  # one cluster, not 66 pairs
    assert found[0]["message"].startswith("12 descriptions say nearly the same thing")
    for n in range(12):
        assert f"invoice_rule_{n}.md" in found[0]["message"]


def test_extract_json_reports_a_failure_as_json(store: MemoryDir, tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    result = run(store, "extract", "--transcript", str(missing), "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data == {
        "error": f"{missing}: no such file",
        "path": str(missing),
        "field": None,
        "exit_code": 2,
    }


def test_where_json_says_which_folder_and_why(store: MemoryDir) -> None:
    data = json.loads(run(store, "where", "--json").stdout)
    assert data == {"path": str(store.path), "reason": "--dir"}
    env = CliRunner().invoke(cli, ["where", "--json"], env={"MEMDIR_DIR": str(store.path)})
    assert json.loads(env.stdout)["reason"] == "MEMDIR_DIR"


def test_doctor_reports_each_check_with_a_fix(
    store: MemoryDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "claude"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    config.mkdir()
    (config / "settings.json").write_text(
        json.dumps(
            {
                "hooks": {
                    "Stop": [
                        {
                            "hooks": [
                                {"type": "command", "command": "/gone/memory hook claude-code stop"}
                            ]
                        }
                    ]
                }
            }
        )
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    monkeypatch.setenv("MEMDIR_MODEL", "no-such-model")
    result = run(store, "doctor", "--json")
    assert result.exit_code == 1  # the hooks point at a program that is gone
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["memory folder"]["status"] == "ok"
    assert "--dir" in checks["memory folder"]["detail"]
    hooks = checks["Claude Code hooks (user)"]
    assert hooks["status"] == "fail" and "/gone/memory" in hooks["detail"]
    assert hooks["fix"] == "memory install claude-code --user"
    assert checks["model"]["status"] == "warn" and "no-such-model" in checks["model"]["detail"]
    assert checks["circuit breaker"]["status"] == "ok"
    assert checks["daemon"]["status"] == "ok"
    text = run(store, "doctor")
    assert text.stdout.splitlines()[0].startswith("ok  ")
    assert "FAIL" in text.stdout


def test_doctor_does_not_need_the_sdk_elsewhere() -> None:
    import subprocess
    import sys

    code = (
        "import memdir_cli.app, memdir.integrations\nimport sys\nprint('anthropic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(store: MemoryDir, shell: str) -> None:
    result = run(store, "completion", shell)
    assert result.exit_code == 0
    assert "_MEMORY_COMPLETE" in result.stdout


def test_completion_offers_memory_names(store: MemoryDir) -> None:
    env = {
        "_MEMORY_COMPLETE": "bash_complete",
        "COMP_WORDS": f"memory --dir {store.path} show al",
        "COMP_CWORD": "4",
    }
    result = CliRunner().invoke(cli, [], prog_name="memory", env=env)
    assert "plain,alpha_note" in result.stdout
    assert "beta_note" not in result.stdout
