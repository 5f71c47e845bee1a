"""One run at a time per folder, pending stash and trailing runs, detached runs, drain."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from memdir.extract.queue import (
    ExtractionQueue,
    ExtractionRequest,
    QueueFiles,
    drain,
    run_request,
    wait_for_transcript,
)
from memdir.extract.schedule import schedule_extraction
from memdir.store.folder import MemoryDir
from tests.conftest import memory_cmd, subprocess_env
from tests.extract_helpers import (
    FEEDBACK_TEXT,
    cc_line,
    chat_lines,
    correction_lines,
    make_extractor,
    prompt_of,
    write_lines,
)
from tests.fake_anthropic import FakeAnthropic


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    return MemoryDir(memory_dir)


@pytest.fixture
def model_env(fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> FakeAnthropic:
    """A configured model pointing at the fake (inherited by child processes too)."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    return fake_anthropic


def request(path: Path, session: str = "s", at: float | None = None) -> ExtractionRequest:
    return ExtractionRequest(path, session, time.time() if at is None else at)


def wait_until(condition, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_the_stash_keeps_only_the_newest_request(store: MemoryDir, tmp_path: Path) -> None:
    files = QueueFiles.for_store(store)
    files.stash(request(tmp_path / "b.jsonl", at=200.0))
    files.stash(request(tmp_path / "a.jsonl", at=100.0))  # older: ignored
    assert files.take() == request(tmp_path / "b.jsonl", at=200.0)
    files.stash(request(tmp_path / "c.jsonl", at=300.0))
    files.stash(request(tmp_path / "d.jsonl", at=400.0))
    assert files.take() == request(tmp_path / "d.jsonl", at=400.0)
    assert files.take() is None


def test_a_request_during_a_run_is_stashed_then_runs_trailing(
    fake_anthropic: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    files = QueueFiles.for_store(store)
    old = write_lines(tmp_path / "old.jsonl", chat_lines("old", 1))
    new = write_lines(tmp_path / "new.jsonl", chat_lines("new", 1))
    mine = write_lines(tmp_path / "mine.jsonl", chat_lines("mine", 1))
    extractor = make_extractor(store, fake_anthropic.url)
    held = files.try_lock()
    assert held is not None
    try:
        assert run_request(store, request(old, "a"), extractor=extractor).queued
        assert run_request(store, request(new, "b"), extractor=extractor).queued
    finally:
        held.release()
    assert fake_anthropic.requests == []
    fake_anthropic.reply_text("nothing to save")
    fake_anthropic.reply_text("nothing to save")

    report = run_request(store, request(mine, "c"), extractor=extractor)

    assert not report.queued
    assert [(r.session_id, r.trailing) for r in report.results] == [("c", False), ("b", True)]
    assert "mine question 0" in prompt_of(fake_anthropic.requests[0].body)
    assert "new question 0" in prompt_of(fake_anthropic.requests[1].body)
    assert len(fake_anthropic.requests) == 2  # the older stash was replaced, never run
    assert not files.pending_path.exists()


def test_trailing_runs_are_not_throttled(
    fake_anthropic: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    files = QueueFiles.for_store(store)
    transcript = write_lines(tmp_path / "t.jsonl", chat_lines("t", 1))
    files.stash(request(transcript, "late"))
    fake_anthropic.reply_text("nothing to save")
    extractor = make_extractor(store, fake_anthropic.url, every=5)

    report = run_request(store, request(transcript, "own"), extractor=extractor)

    assert [r.status for r in report.results] == ["throttled", "nothing"]
    assert len(fake_anthropic.requests) == 1


def test_wait_for_transcript_polls_until_the_turn_is_written(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", correction_lines()[:3])
    final = "Understood, real database."
    assert wait_for_transcript(path, final, timeout=0.2) is None
    writer = threading.Timer(0.3, lambda: write_lines(path, correction_lines()))
    writer.start()
    try:
        started = time.monotonic()
        assert wait_for_transcript(path, final, timeout=10.0) is not None
        assert time.monotonic() - started < 5.0
    finally:
        writer.join()


def test_the_in_process_queue_runs_and_drains(
    fake_anthropic: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    transcript = write_lines(tmp_path / "t.jsonl", correction_lines())
    fake_anthropic.reply_tool_use(
        ("memory", {"command": "create", "path": "/memories/db.md", "file_text": FEEDBACK_TEXT}),
        delay=0.3,
    )
    fake_anthropic.reply_text("saved")
    queue = ExtractionQueue()

    queue.submit(store, request(transcript), extractor=make_extractor(store, fake_anthropic.url))

    assert drain(10.0, queue=queue, memory_dir=store.path)
    assert [m.filename for m in store.list()] == ["db.md"]


def test_drain_waits_for_the_lock_and_the_pending_marker(store: MemoryDir, tmp_path: Path) -> None:
    files = QueueFiles.for_store(store)
    assert drain(1.0, memory_dir=store.path)
    held = files.try_lock()
    assert held is not None
    try:
        started = time.monotonic()
        assert not drain(0.3, memory_dir=store.path)
        assert not drain(0.3)  # every folder in the state folder
        assert time.monotonic() - started < 3.0
    finally:
        held.release()
    files.stash(request(tmp_path / "t.jsonl"))
    assert not drain(0.2, memory_dir=store.path)
    files.take()
    assert drain(1.0, memory_dir=store.path)


def test_schedule_without_a_model_queues_nothing(store: MemoryDir, tmp_path: Path) -> None:
    transcript = write_lines(tmp_path / "t.jsonl", correction_lines())
    scheduled = schedule_extraction(store.path, transcript, session_id="s")
    assert scheduled.by is None and scheduled.reason is not None
    assert "ANTHROPIC_API_KEY" in scheduled.reason
    tickets = QueueFiles.for_store(store).tickets
    assert not tickets.exists() or list(tickets.iterdir()) == []
    assert not (store.state_path / "logs").exists()


def test_schedule_runs_detached_after_the_transcript_catches_up(
    model_env: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    lines = correction_lines()
    transcript = write_lines(tmp_path / "t.jsonl", lines[:3])  # the reply is not written yet
    model_env.reply_tool_use(
        ("memory", {"command": "create", "path": "/memories/db.md", "file_text": FEEDBACK_TEXT})
    )
    model_env.reply_text("saved")

    started = time.monotonic()
    schedule_extraction(
        store.path, transcript, session_id="s", wait_for_text="Understood, real database."
    )
    assert time.monotonic() - started < 2.0  # returns at once
    time.sleep(0.5)
    write_lines(transcript, lines)

    assert drain(30.0, memory_dir=store.path)
    assert [m.filename for m in store.list()] == ["db.md"]
    assert "Understood, real database." in prompt_of(model_env.requests[0].body)
    assert list(QueueFiles.for_store(store).tickets.iterdir()) == []
    log_text = (store.state_path / "logs" / "extract.log").read_text()
    assert "created: db.md" in log_text


def test_five_processes_give_one_run_and_one_trailing_run(
    model_env: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    # The first run's reply is slow, so the other four requests arrive while it runs.
    model_env.reply_text("nothing to save", delay=4.0)
    model_env.reply_text("nothing to save")
    transcripts = [
        write_lines(tmp_path / f"t{i}.jsonl", chat_lines("turn", i + 1)) for i in range(5)
    ]

    def start(path: Path) -> subprocess.Popen[str]:
        command = [*memory_cmd(), "--dir", str(store.path), "extract", "--wait", "--json"]
        return subprocess.Popen(
            [*command, "--transcript", str(path), "--session", "s"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )

    first = start(transcripts[0])
    wait_until(lambda: len(model_env.requests) == 1)
    others = [start(path) for path in transcripts[1:]]
    outputs = [json.loads(p.communicate(timeout=60)[0]) for p in others]
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    runs = json.loads(out)["runs"]

    assert all(o["queued"] and o["runs"] == [] for o in outputs)
    assert [(r["status"], r["trailing"]) for r in runs] == [
        ("nothing", False),
        ("nothing", True),
    ]
    assert len(model_env.requests) == 2 and model_env.unexpected == 0
    newest = max(range(4), key=lambda i: outputs[i]["requested_at"]) + 1
    trailing_prompt = prompt_of(model_env.requests[1].body)
    assert f"turn question {newest}" in trailing_prompt
    assert f"turn question {newest + 1}" not in trailing_prompt
    assert "turn question 0" not in trailing_prompt  # the first run moved the cursor
    assert not QueueFiles.for_store(store).pending_path.exists()


def test_a_damaged_transcript_does_not_block_the_trailing_run(
    fake_anthropic: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    folder = tmp_path / "a-folder.jsonl"
    folder.mkdir()  # reading it fails
    good = write_lines(tmp_path / "good.jsonl", [cc_line("user", "u", "hello")])
    QueueFiles.for_store(store).stash(request(good, "g"))
    fake_anthropic.reply_text("nothing to save")

    report = run_request(
        store, request(folder, "bad"), extractor=make_extractor(store, fake_anthropic.url)
    )

    assert [r.status for r in report.results] == ["failed", "nothing"]
