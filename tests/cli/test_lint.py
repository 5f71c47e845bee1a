"""`memory lint`: exit codes, the JSON shape, --fix, and the report on the examples."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.store.folder import MemoryDir
from tests.conftest import memory_cmd, subprocess_env
from tests.lint.helpers import WHY_HOW, fake_key, make_store, memory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, folder: Path, *args: str):
    return runner.invoke(cli, ["--dir", str(folder), "lint", "--no-verify", *args])


def test_clean_folder_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    store = make_store(tmp_path / "mem", {"cutover.md": memory()})
    result = run(runner, store.path)
    assert result.exit_code == 0, result.output
    assert result.output == "No problems: 1 file checked.\n"


def test_warnings_only_exit_0(runner: CliRunner, tmp_path: Path) -> None:
    store = make_store(tmp_path / "mem", {"m.md": memory(body="Ship next week.\n" + WHY_HOW)})
    result = run(runner, store.path)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "0 errors, 1 warning, 1 file checked."


def test_errors_exit_1_grouped_by_file(runner: CliRunner, tmp_path: Path) -> None:
    store = make_store(
        tmp_path / "mem",
        {
            "a.md": memory(type_="projects", description="Cutover to Coinvault on 2026-12-15"),
            "b.md": memory(name=None, description="Postgres upgrade moved to February 2027"),
        },
    )
    result = run(runner, store.path)
    assert result.exit_code == 1
    assert result.stderr == ""
    lines = result.output.splitlines()
    assert lines[0] == "a.md"
    assert lines[1].startswith("  error    type-unknown  type 'projects' is not one of")
    assert lines[3] == "b.md"
    assert lines[4] == ("  warning  name-missing  name missing; the file name stands in for it")
    assert lines[-1] == "1 error, 1 warning, 2 files checked."


def test_json_shape(runner: CliRunner, tmp_path: Path) -> None:
    store = make_store(tmp_path / "mem", {"m.md": memory(description="no")})
    result = run(runner, store.path, "--json")
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "problems": [
            {
                "file": "m.md",
                "rule": "description-not-text",
                "severity": "error",
                "field": "description",
                "message": "description is yes/no (False), not text; quote it",
            }
        ]
    }


def test_json_clean_is_an_empty_list(runner: CliRunner, tmp_path: Path) -> None:
    store = make_store(tmp_path / "mem", {"m.md": memory()})
    result = run(runner, store.path, "--json")
    assert (result.exit_code, json.loads(result.output)) == (0, {"problems": []})


def test_secret_never_reaches_the_output(runner: CliRunner, tmp_path: Path) -> None:
    key = fake_key()
    store = make_store(tmp_path / "mem", {"m.md": memory(body=f"Token {key}\n" + WHY_HOW)})
    for args in ((), ("--json",)):
        result = run(runner, store.path, *args)
        assert result.exit_code == 1
        assert "secret" in result.output
        assert key not in result.output and key[6:] not in result.output


def test_fix_repairs_the_index_and_says_so(runner: CliRunner, tmp_path: Path) -> None:
    index = "# Memory\n- [Gone](gone.md) — was deleted\n"
    store = make_store(tmp_path / "mem", {"cutover.md": memory()}, index=index)
    before = run(runner, store.path)
    assert "index-missing-entry" in before.output and "index-dead-link" in before.output

    result = run(runner, store.path, "--fix")
    assert result.exit_code == 0
    entry = (
        "- [Coinvault cutover](cutover.md) — "
        "New charges move from Paybridge to Coinvault on 2026-12-15"
    )
    assert result.output == (
        "--fix: MEMORY.md updated (1 added, 1 removed)\n"
        f"  added:   {entry}\n"
        "  removed: - [Gone](gone.md) — was deleted\n"
        "\n"
        "No problems: 1 file checked.\n"
    )
    assert store.index_path.read_text() == f"# Memory\n{entry}\n"
    again = run(runner, store.path, "--fix")
    assert again.output.startswith("--fix: nothing to repair in MEMORY.md.\n")


def test_fix_with_json_keeps_stdout_pure(runner: CliRunner, tmp_path: Path) -> None:
    store = make_store(tmp_path / "mem", {"cutover.md": memory()}, index="")
    result = run(runner, store.path, "--fix", "--json")
    assert json.loads(result.stdout) == {"problems": []}
    assert result.stderr.startswith("--fix: MEMORY.md updated (1 added, 0 removed)")


def test_fix_does_not_drop_entries_of_broken_files(runner: CliRunner, tmp_path: Path) -> None:
    index = "- [Broken](broken.md) — hand-written line\n"
    files = {"broken.md": "---\nname: [x\n  - y\n---\n", "ok.md": memory()}
    store = make_store(tmp_path / "mem", files, index=index)
    result = run(runner, store.path, "--fix")
    assert result.exit_code == 1  # broken.md is still an error
    assert result.output.startswith("--fix: MEMORY.md updated (1 added, 0 removed)")
    text = store.index_path.read_text()
    assert text.startswith(index) and "(ok.md)" in text


def test_fix_leaves_other_errors_and_exit_code(runner: CliRunner, tmp_path: Path) -> None:
    store = make_store(tmp_path / "mem", {"m.md": memory(type_=None)}, index="")
    result = run(runner, store.path, "--fix")
    assert result.exit_code == 1
    assert "added:" in result.output and "type-missing" in result.output


def test_missing_folder_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, tmp_path / "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {tmp_path / 'nope'}: no memory folder here; `memory init` creates one\n"
    )


def test_project_and_no_verify_conflict(runner: CliRunner, tmp_path: Path) -> None:
    store = make_store(tmp_path / "mem", {"m.md": memory()})
    result = runner.invoke(
        cli, ["--dir", str(store.path), "lint", "--no-verify", "--project", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--project and --no-verify cannot be used together" in result.stderr


def test_examples_without_verification_are_clean(runner: CliRunner) -> None:
    result = run(runner, EXAMPLES / "memories")
    assert (result.exit_code, result.output) == (0, "No problems: 28 files checked.\n")


def test_real_command_on_the_examples(tmp_path: Path) -> None:
    folder = tmp_path / "memories"
    shutil.copytree(EXAMPLES / "memories", folder)
    result = subprocess.run(
        [
            *memory_cmd(),
            "--dir",
            str(folder),
            "lint",
            "--project",
            str(EXAMPLES / "demo-project"),
        ],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ("fx_rates_backfill.md", "late_fee_policy.md", "webhook_signature_incident.md"):
        assert f"\n{name}\n" in f"\n{out}"
    assert "possibly moved to src/ledgerly/payments/webhooks.py" in out
    assert out.splitlines()[-1] == "0 errors, 3 warnings, 28 files checked."
    assert MemoryDir(folder).index_problems() == []
