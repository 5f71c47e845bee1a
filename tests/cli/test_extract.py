"""`memory extract`: foreground and background runs, and the errors a user can hit."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.extract.extractor import ExtractState
from memdir.extract.queue import QueueFiles, drain
from memdir.store.folder import MemoryDir
from tests.extract_helpers import FEEDBACK_TEXT, correction_lines, write_lines
from tests.fake_anthropic import FakeAnthropic


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def model_env(fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> FakeAnthropic:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    return fake_anthropic


def run(runner: CliRunner, folder: Path, *args: str):
    return runner.invoke(cli, ["--dir", str(folder), "extract", *args])


def test_without_a_model_it_exits_2_saying_how_to_configure_one(
    runner: CliRunner, memory_dir: Path, tmp_path: Path
) -> None:
    transcript = write_lines(tmp_path / "s.jsonl", correction_lines())
    for extra in ((), ("--wait",)):
        result = run(runner, memory_dir, "--transcript", str(transcript), *extra)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.startswith("Error: extraction needs a model: set ANTHROPIC_API_KEY")
    assert list(memory_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "the file is empty: there is no conversation in it"),
        (
            "not json\nstill not json\n",
            "not a transcript: line 1 is not JSON (expected Claude Code's JSONL, "
            "one JSON object a line, or a JSON list of messages)",
        ),
    ],
)
@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize("extra", [(), ("--wait",), ("--json",)])
def test_a_bad_transcript_is_reported_first_naming_the_file(
    runner: CliRunner,
    memory_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: str | None,
    message: str,
    with_key: bool,
    extra: tuple[str, ...],
) -> None:
    if with_key:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    transcript = tmp_path / "nope.json"
    if content is not None:
        transcript.write_text(content)
    result = run(runner, memory_dir, "--transcript", str(transcript), *extra)
    assert result.exit_code == 2
    if "--json" in extra:  # a failure is data too: the same message as JSON on stdout
        assert json.loads(result.stdout)["error"] == f"{transcript}: {message}"
    else:
        assert result.stdout == ""
    assert result.stderr == f"Error: {transcript}: {message}\n"
    assert not (memory_dir / "MEMORY.md").exists()


def test_a_transcript_with_one_good_line_is_accepted(
    runner: CliRunner, model_env: FakeAnthropic, memory_dir: Path, tmp_path: Path
) -> None:
    lines = correction_lines()
    transcript = tmp_path / "s.jsonl"
    transcript.write_text("\n".join([*lines, '{"half-written']) + "\n")
    model_env.reply_text("nothing worth saving")
    result = run(runner, memory_dir, "--transcript", str(transcript), "--wait")
    assert result.exit_code == 0, result.stderr


def test_offline_mode_counts_as_no_model(
    runner: CliRunner, memory_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("MEMDIR_OFFLINE", "1")
    transcript = write_lines(tmp_path / "s.jsonl", correction_lines())
    result = run(runner, memory_dir, "--transcript", str(transcript), "--wait")
    assert result.exit_code == 2
    assert "MEMDIR_OFFLINE" in result.stderr


def test_wait_runs_in_the_foreground_and_prints_what_was_written(
    runner: CliRunner, model_env: FakeAnthropic, memory_dir: Path, tmp_path: Path
) -> None:
    transcript = write_lines(tmp_path / "sess-42.jsonl", correction_lines())
    model_env.reply_tool_use(
        ("memory", {"command": "create", "path": "/memories/db.md", "file_text": FEEDBACK_TEXT})
    )
    model_env.reply_text("saved")

    result = run(runner, memory_dir, "--transcript", str(transcript), "--wait")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "run for session sess-42: written (4 new message(s); 2 model turn(s))",
        "  created: db.md",
    ]
    store = MemoryDir(memory_dir)
    assert ExtractState(store.state_path, store.path).read_cursor("sess-42").last_id == "a2"


def test_wait_json_lists_runs(
    runner: CliRunner, model_env: FakeAnthropic, memory_dir: Path, tmp_path: Path
) -> None:
    transcript = tmp_path / "messages.json"
    transcript.write_text(
        json.dumps(
            [
                {"role": "user", "content": "Our on-call runbook is in Notion under Ops/Runbooks."},
                {"role": "assistant", "content": "Thanks, noted."},
            ]
        )
    )
    model_env.reply_text("nothing to save")

    result = run(
        runner, memory_dir, "--transcript", str(transcript), "--session", "py-1", "--wait", "--json"
    )

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["queued"] is False
    assert [(r["session_id"], r["status"], r["written"]) for r in data["runs"]] == [
        ("py-1", "nothing", [])
    ]
    assert "Notion under Ops/Runbooks" in model_env.requests[0].raw.decode()


def test_a_failed_run_exits_1(
    runner: CliRunner, model_env: FakeAnthropic, memory_dir: Path, tmp_path: Path
) -> None:
    transcript = write_lines(tmp_path / "s.jsonl", correction_lines())
    model_env.reply_error(400, message="bad tool")
    result = run(runner, memory_dir, "--transcript", str(transcript), "--wait")
    assert result.exit_code == 1
    assert "failed" in result.stdout and "bad tool" in result.stdout


def test_a_missing_transcript_is_a_usage_error(
    runner: CliRunner, model_env: FakeAnthropic, memory_dir: Path, tmp_path: Path
) -> None:
    result = run(runner, memory_dir, "--transcript", str(tmp_path / "nope.jsonl"), "--wait")
    assert result.exit_code == 2
    assert result.stderr.endswith("nope.jsonl: no such file\n")
    assert model_env.requests == []


def test_without_wait_it_queues_a_background_process(
    runner: CliRunner, model_env: FakeAnthropic, memory_dir: Path, tmp_path: Path
) -> None:
    transcript = write_lines(tmp_path / "bg.jsonl", correction_lines())
    model_env.reply_tool_use(
        ("memory", {"command": "create", "path": "/memories/db.md", "file_text": FEEDBACK_TEXT})
    )
    model_env.reply_text("saved")

    started = time.monotonic()
    result = run(runner, memory_dir, "--transcript", str(transcript))
    elapsed = time.monotonic() - started

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Queued extraction for session bg; log: ")
    assert elapsed < 2.0
    assert drain(30.0, memory_dir=memory_dir)
    assert (memory_dir / "db.md").exists()
    store = MemoryDir(memory_dir)
    assert list(QueueFiles.for_store(store).tickets.iterdir()) == []
    assert "created: db.md" in (store.state_path / "logs" / "extract.log").read_text()


def test_extract_has_help_with_an_example(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["extract", "--help"])
    assert result.exit_code == 0
    assert "--transcript" in result.stdout and "Example:" in result.stdout
    assert "--request-file" not in result.stdout


def test_without_wait_a_running_daemon_takes_the_work(
    runner: CliRunner,
    model_env: FakeAnthropic,
    memory_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from memdir.daemon.service import WatchDaemon

    spawned: list[object] = []
    monkeypatch.setattr("memdir.extract.schedule.spawn_detached", lambda *a, **k: spawned.append(a))
    model_env.reply_text("nothing to save")
    transcript = write_lines(tmp_path / "s.jsonl", correction_lines())
    with WatchDaemon([memory_dir], debounce_s=0.05):
        result = run(runner, memory_dir, "--transcript", str(transcript))
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "Queued extraction for session s in the daemon.\n"
        deadline = time.monotonic() + 30
        while not model_env.requests and time.monotonic() < deadline:
            time.sleep(0.05)
    assert spawned == []
    assert len(model_env.requests) == 1


@pytest.mark.parametrize("extra", [(), ("--wait",)])
def test_a_relative_transcript_is_named_the_same_with_or_without_wait(
    runner: CliRunner,
    memory_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    (tmp_path / "empty.jsonl").write_text("")
    result = run(runner, memory_dir, "--transcript", "empty.jsonl", *extra, "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["path"] == str(tmp_path / "empty.jsonl")
    assert result.stderr.startswith(f"Error: {tmp_path / 'empty.jsonl'}: the file is empty")
