"""`memdir.extract.schedule`: where a requested extraction goes, checked in this process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from memdir.errors import ConfigurationError, InvalidInputError
from memdir.extract.queue import ExtractionQueue, ExtractionRequest, QueueFiles, drain, read_ticket
from memdir.extract.schedule import (
    NO_MODEL,
    Scheduled,
    extract_now,
    schedule_extraction,
    spawn_detached,
)
from memdir.store.folder import MemoryDir
from tests.extract_helpers import correction_lines, write_lines
from tests.fake_anthropic import FakeAnthropic


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    return MemoryDir(memory_dir)


@pytest.fixture
def model_env(fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> FakeAnthropic:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    return fake_anthropic


class FakePopen:
    """Records how the detached process would be started; starts nothing."""

    started: list[FakePopen] = []

    def __init__(self, command: list[str], **kwargs: Any) -> None:
        self.command = command
        self.kwargs = kwargs
        self.waited = False
        self.log_name = kwargs["stdout"].name
        self.log_open = not kwargs["stdout"].closed
        FakePopen.started.append(self)

    def wait(self) -> int:
        self.waited = True
        return 0


@pytest.fixture
def popen(monkeypatch: pytest.MonkeyPatch) -> list[FakePopen]:
    FakePopen.started = []
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    return FakePopen.started


def test_scheduled_as_json() -> None:
    assert Scheduled("s", None, reason="why").to_json() == {
        "queued": False,
        "session_id": "s",
        "by": None,
        "log": None,
        "reason": "why",
    }
    assert Scheduled("s", "process", log=Path("/x/extract.log")).to_json() == {
        "queued": True,
        "session_id": "s",
        "by": "process",
        "log": "/x/extract.log",
        "reason": None,
    }


def test_the_detached_process_is_started_through_a_shell_that_backgrounds_it(
    store: MemoryDir, tmp_path: Path, popen: list[FakePopen]
) -> None:
    request = ExtractionRequest(tmp_path / "t.jsonl", "s", 100.0, "last reply")
    ticket = spawn_detached(store, request)
    assert read_ticket(ticket) == request
    assert ticket.parent == QueueFiles.for_store(store).tickets
    [started] = popen
    worker = [sys.executable, "-m", "memdir.extract", str(store.path), str(ticket)]
    assert started.command == ["/bin/sh", "-c", '"$@" &', "memdir-extract", *worker]
    log_path = store.state_path / "logs" / "extract.log"
    assert started.log_name == str(log_path) and started.log_open
    assert log_path.exists()
    kwargs = started.kwargs
    assert kwargs["stdin"] == subprocess.DEVNULL
    assert kwargs["stderr"] == subprocess.STDOUT
    assert kwargs["start_new_session"] is True and kwargs["close_fds"] is True
    assert kwargs["env"]["MEMDIR_STATE_DIR"] == str(store.state_path)
    assert kwargs["env"]["PATH"] == os.environ["PATH"]
    assert started.waited  # the shell is reaped here; the worker lives on


def test_the_log_is_appended_to(store: MemoryDir, tmp_path: Path, popen: list[FakePopen]) -> None:
    log_path = store.state_path / "logs" / "extract.log"
    log_path.parent.mkdir(parents=True)
    log_path.write_text("earlier run\n")
    spawn_detached(store, ExtractionRequest(tmp_path / "t.jsonl", "s", 1.0))
    assert log_path.read_text() == "earlier run\n"


def test_schedule_with_a_model_hands_the_request_to_a_detached_process(
    model_env: FakeAnthropic, store: MemoryDir, tmp_path: Path, popen: list[FakePopen]
) -> None:
    transcript = write_lines(tmp_path / "t.jsonl", correction_lines())
    before = time.time()
    scheduled = schedule_extraction(
        store.path, transcript, session_id="s-1", wait_for_text="the end"
    )
    assert scheduled == Scheduled("s-1", "process", log=store.state_path / "logs" / "extract.log")
    [ticket] = QueueFiles.for_store(store).tickets.iterdir()
    request = read_ticket(ticket)
    assert request is not None
    assert (request.transcript, request.session_id, request.wait_for_text) == (
        transcript,
        "s-1",
        "the end",
    )
    assert before <= request.requested_at <= time.time()
    assert len(popen) == 1


def test_a_relative_transcript_is_made_absolute(
    model_env: FakeAnthropic,
    store: MemoryDir,
    tmp_path: Path,
    popen: list[FakePopen],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_lines(tmp_path / "t.jsonl", correction_lines())
    monkeypatch.chdir(tmp_path)
    schedule_extraction(store.path, Path("t.jsonl"), session_id="s")
    [ticket] = QueueFiles.for_store(store).tickets.iterdir()
    request = read_ticket(ticket)
    assert request is not None and request.transcript == tmp_path / "t.jsonl"


def test_schedule_on_a_thread_queue_in_the_given_state_folder(
    model_env: FakeAnthropic, memory_dir: Path, tmp_path: Path, popen: list[FakePopen]
) -> None:
    transcript = write_lines(tmp_path / "t.jsonl", correction_lines())
    model_env.reply_text("nothing to save")
    queue = ExtractionQueue()
    state = tmp_path / "own-state"
    scheduled = schedule_extraction(
        memory_dir, transcript, session_id="s", state_dir=state, queue=queue
    )
    assert scheduled == Scheduled("s", "thread")
    assert drain(30.0, queue=queue)
    assert popen == []
    own = MemoryDir(memory_dir, state=state)
    assert own.state_path == state
    from memdir.extract.extractor import ExtractState

    assert ExtractState(state, memory_dir).read_cursor("s").last_id == "a2"


def test_without_a_model_nothing_is_started(
    store: MemoryDir, tmp_path: Path, popen: list[FakePopen], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="memdir.extract.schedule"):
        scheduled = schedule_extraction(store.path, tmp_path / "t.jsonl", session_id="s")
    assert scheduled == Scheduled("s", None, reason=NO_MODEL)
    assert popen == []
    assert caplog.records[0].getMessage() == (
        f"no model configured; extraction for {store.path} not queued"
    )


def test_extract_now_checks_the_file_then_the_model(
    store: MemoryDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidInputError):
        extract_now(store, tmp_path / "missing.jsonl")
    transcript = write_lines(tmp_path / "t.jsonl", correction_lines())
    with pytest.raises(ConfigurationError) as caught:
        extract_now(store, transcript)
    assert str(caught.value) == NO_MODEL


def test_extract_now_runs_here_named_after_the_file(
    model_env: FakeAnthropic, store: MemoryDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transcript = write_lines(tmp_path / "t.jsonl", correction_lines())
    model_env.reply_text("nothing to save")
    monkeypatch.chdir(tmp_path)
    request, report = extract_now(store, Path("t.jsonl"))
    assert (request.session_id, request.transcript) == ("t", tmp_path / "t.jsonl")
    assert request.wait_for_text is None
    assert [r.status for r in report.results] == ["nothing"]
    model_env.reply_text("nothing to save")
    write_lines(transcript, correction_lines() + correction_lines())
    named, _ = extract_now(store, transcript, session_id="given")
    assert named.session_id == "given"


def test_the_detached_process_gets_the_stores_own_state_folder_and_is_logged(
    memory_dir: Path, tmp_path: Path, popen: list[FakePopen], caplog: pytest.LogCaptureFixture
) -> None:
    own = MemoryDir(memory_dir, state=tmp_path / "own-state")
    request = ExtractionRequest(tmp_path / "t.jsonl", "s", 1.0)
    with caplog.at_level("INFO", logger="memdir.extract.schedule"):
        ticket = spawn_detached(own, request)
    [started] = popen
    assert started.kwargs["env"]["MEMDIR_STATE_DIR"] == str(tmp_path / "own-state")
    assert [r.getMessage() for r in caplog.records] == [
        f"queued extraction of {tmp_path / 't.jsonl'} (ticket {ticket.name})"
    ]


def test_extract_now_hands_the_messages_it_checked_to_the_run(
    model_env: FakeAnthropic, store: MemoryDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memdir.extract import queue as queue_mod

    transcript = write_lines(tmp_path / "t.jsonl", correction_lines())
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(
        queue_mod, "run_request", lambda store, request, **kwargs: seen.append(kwargs) or "report"
    )
    before = time.time()
    request, report = extract_now(store, transcript)
    assert report == "report"
    assert before <= request.requested_at <= time.time()
    [kwargs] = seen
    assert [m.id for m in kwargs["messages"]] == ["u1", "a1", "u2", "a2"]
