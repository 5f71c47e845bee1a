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


# -- the records, the files on disk --------------------------------------------------------


def test_a_request_round_trips_through_json_with_its_exact_keys(tmp_path: Path) -> None:
    full = ExtractionRequest(tmp_path / "t.jsonl", "s-1", 12.5, "the last reply")
    assert full.to_json() == {
        "transcript": str(tmp_path / "t.jsonl"),
        "session_id": "s-1",
        "requested_at": 12.5,
        "wait_for_text": "the last reply",
    }
    assert ExtractionRequest.from_json(full.to_json()) == full
    bare = ExtractionRequest(tmp_path / "t.jsonl", "s-2", 3.0)
    assert ExtractionRequest.from_json(bare.to_json()) == bare
    # An integer time (hand-written or from another writer) is accepted as a float.
    data = {**bare.to_json(), "requested_at": 7}
    parsed = ExtractionRequest.from_json(data)
    assert parsed is not None and parsed.requested_at == 7.0
    assert isinstance(parsed.requested_at, float)
    assert parsed.wait_for_text is None


@pytest.mark.parametrize(
    "data",
    [
        None,
        ["t.jsonl", "s", 1.0],
        {"session_id": "s", "requested_at": 1.0},
        {"transcript": 5, "session_id": "s", "requested_at": 1.0},
        {"transcript": "t.jsonl", "requested_at": 1.0},
        {"transcript": "t.jsonl", "session_id": 5, "requested_at": 1.0},
        {"transcript": "t.jsonl", "session_id": "s"},
        {"transcript": "t.jsonl", "session_id": "s", "requested_at": "1.0"},
        {"transcript": "t.jsonl", "session_id": "s", "requested_at": 1.0, "wait_for_text": 3},
    ],
)
def test_a_malformed_request_is_refused(data: object) -> None:
    assert ExtractionRequest.from_json(data) is None


def test_a_run_report_as_json() -> None:
    from memdir.extract.extractor import ExtractionResult
    from memdir.extract.queue import RunReport

    assert RunReport(queued=True).to_json() == {"queued": True, "runs": []}
    result = ExtractionResult("s", "nothing", messages=2)
    assert RunReport((result,)).to_json() == {"queued": False, "runs": [result.to_json()]}


def test_the_queue_files_sit_where_the_module_docstring_says(store: MemoryDir) -> None:
    from memdir.extract.extractor import ExtractState

    files = QueueFiles.for_store(store)
    folder = ExtractState(store.state_path, store.path).folder
    assert folder.parent == store.state_path / "extract"
    assert files.folder == folder
    assert files.lock_path == folder / "run.lock"
    assert files.pending_path == folder / "pending.json"
    assert files.tickets == folder / "requests"


def test_the_pending_request_is_private_and_an_equal_time_replaces_it(
    store: MemoryDir, tmp_path: Path
) -> None:
    files = QueueFiles.for_store(store)
    files.stash(request(tmp_path / "a.jsonl", at=100.0))
    assert files.pending_path.stat().st_mode & 0o777 == 0o600
    files.stash(request(tmp_path / "b.jsonl", at=100.0))  # as new as the stashed one
    assert files.take() == request(tmp_path / "b.jsonl", at=100.0)
    assert not files.pending_path.exists()


def test_a_damaged_pending_marker_counts_as_none(store: MemoryDir, tmp_path: Path) -> None:
    files = QueueFiles.for_store(store)
    files.folder.mkdir(parents=True)
    files.pending_path.write_text("{not json", encoding="utf-8")
    files.stash(request(tmp_path / "a.jsonl", at=5.0))  # not held back by the damage
    assert files.take() == request(tmp_path / "a.jsonl", at=5.0)
    files.pending_path.write_text('{"transcript": 1}', encoding="utf-8")
    assert files.take() is None
    assert not files.pending_path.exists()


def test_a_ticket_is_named_by_time_private_and_read_back(store: MemoryDir, tmp_path: Path) -> None:
    from memdir.extract.queue import read_ticket

    files = QueueFiles.for_store(store)
    wanted = ExtractionRequest(tmp_path / "t.jsonl", "s", 1234.5678, "reply")
    ticket = files.write_ticket(wanted)
    assert ticket.parent == files.tickets
    stamp, _, rest = ticket.name.partition("-")
    assert stamp == "1234567"
    assert len(rest) == len("0123abcd.json") and rest.endswith(".json")
    assert ticket.stat().st_mode & 0o777 == 0o600
    assert read_ticket(ticket) == wanted
    assert files.write_ticket(wanted) != ticket  # two tickets at one time do not clash
    assert read_ticket(tmp_path / "missing.json") is None
    (tmp_path / "bad.json").write_text("[", encoding="utf-8")
    assert read_ticket(tmp_path / "bad.json") is None
    (tmp_path / "odd.json").write_text('{"session_id": "s"}', encoding="utf-8")
    assert read_ticket(tmp_path / "odd.json") is None


def test_busy_while_a_fresh_ticket_waits_not_once_it_is_stale(
    store: MemoryDir, tmp_path: Path
) -> None:
    import os

    from memdir.extract.queue import STALE_TICKET_S

    files = QueueFiles.for_store(store)
    assert not files.busy(time.time())  # no folder at all yet
    ticket = files.write_ticket(request(tmp_path / "t.jsonl"))
    written = ticket.stat().st_mtime
    assert files.busy(written)
    assert files.busy(written + STALE_TICKET_S - 1)
    assert not files.busy(written + STALE_TICKET_S)
    os.utime(ticket, (written - STALE_TICKET_S, written - STALE_TICKET_S))
    assert not files.busy(written)
    (files.tickets / "notes.txt").write_text("not a ticket", encoding="utf-8")
    assert not files.busy(written)  # only *.json files are tickets


# -- waiting for the transcript ------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += 0.25  # exact in binary: the deadline is met, not missed by rounding


def test_waiting_polls_every_tenth_of_a_second_up_to_the_deadline(tmp_path: Path) -> None:
    from memdir.extract.queue import POLL_S

    path = write_lines(tmp_path / "t.jsonl", correction_lines()[:3])
    clock = _Clock()
    found = wait_for_transcript(
        path, "Understood, real database.", timeout=1.0, clock=clock, sleep=clock.sleep
    )
    assert found is None
    assert POLL_S == 0.1
    assert clock.sleeps and set(clock.sleeps) == {POLL_S}
    assert len(clock.sleeps) == 4  # 100.0 .. 101.0: it stops once the deadline is reached
    assert clock.now == 101.0


def test_waiting_returns_the_messages_as_soon_as_the_turn_is_there(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", correction_lines())
    clock = _Clock()
    found = wait_for_transcript(
        path, "Understood, real database.", timeout=0.0, clock=clock, sleep=clock.sleep
    )
    assert found is not None and [m.id for m in found] == ["u1", "a1", "u2", "a2"]
    assert clock.sleeps == []
    # A missing or broken transcript is waited for, not an error.
    clock = _Clock()
    missing = tmp_path / "none.jsonl"
    assert wait_for_transcript(missing, "x", timeout=0.5, clock=clock, sleep=clock.sleep) is None
    assert len(clock.sleeps) == 2


def test_a_request_that_waits_uses_the_messages_it_waited_for(
    fake_anthropic: FakeAnthropic,
    store: MemoryDir,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_lines(tmp_path / "t.jsonl", correction_lines()[:3])
    fake_anthropic.reply_text("nothing to save")
    extractor = make_extractor(store, fake_anthropic.url)
    waiting = ExtractionRequest(path, "s", time.time(), "Understood, real database.")
    with caplog.at_level("INFO", logger="memdir.extract.queue"):
        report = run_request(store, waiting, extractor=extractor, wait_s=0.0)
    # The turn never came: the run goes on with the transcript as it is.
    assert [r.status for r in report.results] == ["nothing"]
    assert "never showed the last turn" in caplog.text and str(path) in caplog.text
    assert "I'll mock the database layer." in prompt_of(fake_anthropic.requests[0].body)
    assert "Understood, real database." not in prompt_of(fake_anthropic.requests[0].body)


def test_messages_given_by_the_caller_are_used_instead_of_the_file(
    fake_anthropic: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    from memdir.extract.transcript import load_transcript

    given = load_transcript(write_lines(tmp_path / "given.jsonl", chat_lines("given", 1)))
    path = write_lines(tmp_path / "t.jsonl", chat_lines("file", 1))
    fake_anthropic.reply_text("nothing to save")
    report = run_request(
        store, request(path), extractor=make_extractor(store, fake_anthropic.url), messages=given
    )
    assert [r.status for r in report.results] == ["nothing"]
    assert "given question 0" in prompt_of(fake_anthropic.requests[0].body)


# -- failures and the background thread ----------------------------------------------------


def test_a_failed_run_is_logged_and_reported_with_its_reason(
    fake_anthropic: FakeAnthropic,
    store: MemoryDir,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "a-folder.jsonl"
    folder.mkdir()
    with caplog.at_level("WARNING", logger="memdir.extract.queue"):
        report = run_request(
            store, request(folder, "bad"), extractor=make_extractor(store, fake_anthropic.url)
        )
    [result] = report.results
    assert (result.session_id, result.status, result.trailing) == ("bad", "failed", False)
    assert result.reason and str(folder) in result.reason
    [record] = caplog.records
    assert record.levelname == "WARNING"
    assert record.getMessage() == f"extraction of {folder} failed: {result.reason}"


def test_a_stashed_request_that_fails_is_marked_trailing(
    fake_anthropic: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    folder = tmp_path / "a-folder.jsonl"
    folder.mkdir()
    good = write_lines(tmp_path / "good.jsonl", [cc_line("user", "u", "hello")])
    QueueFiles.for_store(store).stash(request(folder, "bad"))
    fake_anthropic.reply_text("nothing to save")
    report = run_request(
        store, request(good, "g"), extractor=make_extractor(store, fake_anthropic.url)
    )
    assert [(r.session_id, r.status, r.trailing) for r in report.results] == [
        ("g", "nothing", False),
        ("bad", "failed", True),
    ]


def test_a_request_stashed_after_the_last_look_is_run_by_the_holder(
    fake_anthropic: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    # The race the module docstring names: a request stashed after the holder's last
    # `take`, before it released the lock. The holder looks once more and runs it.
    files = QueueFiles.for_store(store)
    late = write_lines(tmp_path / "late.jsonl", chat_lines("late", 1))
    mine = write_lines(tmp_path / "mine.jsonl", chat_lines("mine", 1))
    fake_anthropic.reply_text("nothing to save")
    fake_anthropic.reply_text("nothing to save")
    takes = 0
    real_take = QueueFiles.take

    def take(self: QueueFiles) -> ExtractionRequest | None:
        nonlocal takes
        found = real_take(self)
        takes += 1
        if takes == 1:
            files.stash(request(late, "late"))  # lands just after this look
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QueueFiles, "take", take)
        report = run_request(
            store, request(mine, "mine"), extractor=make_extractor(store, fake_anthropic.url)
        )
    assert [(r.session_id, r.trailing) for r in report.results] == [
        ("mine", False),
        ("late", True),
    ]
    assert not files.pending_path.exists()
    assert files.try_lock() is not None


def test_a_request_stashed_while_the_holder_ends_is_run_by_the_stasher(
    fake_anthropic: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    # The other race: the lock was busy, then freed before the stasher's second try.
    files = QueueFiles.for_store(store)
    mine = write_lines(tmp_path / "mine.jsonl", chat_lines("mine", 1))
    fake_anthropic.reply_text("nothing to save")
    held = files.try_lock()
    assert held is not None
    real_stash = QueueFiles.stash

    def stash(self: QueueFiles, req: ExtractionRequest) -> None:
        real_stash(self, req)
        held.release()  # the holder ends right after our stash

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QueueFiles, "stash", stash)
        report = run_request(
            store, request(mine, "mine"), extractor=make_extractor(store, fake_anthropic.url)
        )
    assert not report.queued
    assert [(r.session_id, r.trailing) for r in report.results] == [("mine", True)]
    assert not files.pending_path.exists()


def test_a_thread_that_fails_logs_its_traceback(
    store: MemoryDir, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def extract_file(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("a bug in a run")

    queue = ExtractionQueue()
    with caplog.at_level("ERROR", logger="memdir.extract.queue"):
        queue.submit(store, request(tmp_path / "t.jsonl"), extractor=Broken())  # type: ignore[arg-type]
        assert queue.drain(10.0)
    [record] = caplog.records
    assert record.getMessage() == f"extraction thread failed for {store.path}"
    assert record.exc_info is not None and "a bug in a run" in str(record.exc_info[1])


def test_queue_threads_are_named_daemons_and_drain_reports_one_still_running(
    store: MemoryDir, tmp_path: Path
) -> None:
    release = threading.Event()
    seen: list[threading.Thread] = []

    class Slow:
        def extract_file(self, *args: object, **kwargs: object) -> None:
            seen.append(threading.current_thread())
            release.wait(10.0)

    queue = ExtractionQueue()
    queue.submit(store, request(tmp_path / "t.jsonl"), extractor=Slow())  # type: ignore[arg-type]
    try:
        wait_until(lambda: bool(seen))
        assert seen[0].name == "memdir-extract" and seen[0].daemon
        assert not queue.drain(0.1)
        assert not drain(0.1, queue=queue)
    finally:
        release.set()
    assert queue.drain(10.0)
    assert queue._threads == [seen[0]]
    queue.submit(store, request(tmp_path / "t.jsonl"), extractor=Slow())  # type: ignore[arg-type]
    assert queue.drain(10.0)
    assert seen[0] not in queue._threads  # finished threads are dropped on the next submit


def test_drain_over_every_folder_sees_only_folders(store: MemoryDir, tmp_path: Path) -> None:
    root = store.state_path / "extract"
    root.mkdir(parents=True)
    (root / "stray.txt").write_text("not a folder", encoding="utf-8")
    assert drain(1.0, state=store.state_path)
    files = QueueFiles.for_store(store)
    files.write_ticket(request(tmp_path / "t.jsonl"))
    assert not drain(0.2, state=store.state_path)
    assert drain(0.2, state=store.state_path / "elsewhere")  # no extract folder at all


# -- the detached worker, in this process --------------------------------------------------


def test_the_worker_runs_its_ticket_writes_the_log_and_removes_the_ticket(
    model_env: FakeAnthropic, store: MemoryDir, tmp_path: Path
) -> None:
    from memdir.extract.queue import run_ticket

    transcript = write_lines(tmp_path / "t.jsonl", correction_lines())
    model_env.reply_tool_use(
        ("memory", {"command": "create", "path": "/memories/db.md", "file_text": FEEDBACK_TEXT})
    )
    model_env.reply_text("saved")
    ticket = QueueFiles.for_store(store).write_ticket(request(transcript, "s-1"))
    written: list[str] = []

    def write(text: str) -> None:
        assert ticket.exists()  # the log is complete before drain can see the end
        written.append(text)

    assert run_ticket(store.path, ticket, write) == 0
    assert "".join(written) == "session s-1: written\n  created: db.md\n"
    assert not ticket.exists()
    assert [m.filename for m in store.list()] == ["db.md"]


def test_the_worker_reports_a_failed_run_with_exit_code_1(store: MemoryDir, tmp_path: Path) -> None:
    from memdir.extract.queue import run_ticket

    folder = tmp_path / "a-folder.jsonl"
    folder.mkdir()
    ticket = QueueFiles.for_store(store).write_ticket(request(folder, "bad"))
    written: list[str] = []
    assert run_ticket(store.path, ticket, written.append) == 1
    [text] = written
    assert text.startswith("session bad: failed (") and text.endswith(")\n")
    assert str(folder) in text
    assert not ticket.exists()


def test_the_worker_refuses_an_unreadable_ticket_and_removes_it(tmp_path: Path) -> None:
    from memdir.extract.queue import run_ticket

    ticket = tmp_path / "ticket.json"
    ticket.write_text("{", encoding="utf-8")
    written: list[str] = []
    assert run_ticket(tmp_path / "memory", ticket, written.append) == 2
    assert written == [f"{ticket}: not a readable extraction request\n"]
    assert not ticket.exists()


def test_the_worker_says_when_its_request_waits_for_another_run(
    store: MemoryDir, tmp_path: Path
) -> None:
    from memdir.extract.queue import run_ticket

    files = QueueFiles.for_store(store)
    ticket = files.write_ticket(request(tmp_path / "t.jsonl"))
    held = files.try_lock()
    assert held is not None
    written: list[str] = []
    try:
        assert run_ticket(store.path, ticket, written.append) == 0
    finally:
        held.release()
    assert written == ["Another extraction was running; this request runs right after it.\n"]
    assert files.pending_path.exists() and not ticket.exists()


def test_report_lines_name_renames_and_reasons() -> None:
    from memdir.extract.changes import FileChange
    from memdir.extract.extractor import ExtractionResult
    from memdir.extract.queue import RunReport, report_lines

    changes = (FileChange("renamed", "new.md", "old.md"), FileChange("updated", "a.md"))
    report = RunReport(
        (
            ExtractionResult("s", "written", changes=changes),
            ExtractionResult("t", "skipped", reason="no new messages", trailing=True),
        )
    )
    assert report_lines(report) == [
        "session s: written",
        "  renamed: new.md (from old.md)",
        "  updated: a.md",
        "session t: skipped (no new messages)",
    ]


def test_the_worker_process_main_checks_its_arguments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from memdir.extract.__main__ import main

    assert main([]) == 2
    assert capsys.readouterr().err == "usage: python -m memdir.extract FOLDER TICKET\n"
    ticket = tmp_path / "ticket.json"
    ticket.write_text("[]", encoding="utf-8")
    assert main([str(tmp_path / "memory"), str(ticket)]) == 2
    assert capsys.readouterr().out == f"{ticket}: not a readable extraction request\n"


def test_drain_waits_for_a_run_that_ends_in_time(store: MemoryDir) -> None:
    files = QueueFiles.for_store(store)
    held = files.try_lock()
    assert held is not None
    releaser = threading.Timer(0.3, held.release)
    releaser.start()
    try:
        assert drain(30.0, memory_dir=store.path)
    finally:
        releaser.join()


def test_drain_of_one_folder_looks_in_the_given_state_folder(
    memory_dir: Path, tmp_path: Path
) -> None:
    own = MemoryDir(memory_dir, state=tmp_path / "own-state")
    held = QueueFiles.for_store(own).try_lock()
    assert held is not None
    try:
        assert not drain(0.1, memory_dir=memory_dir, state=tmp_path / "own-state")
        assert drain(0.1, memory_dir=memory_dir)  # the default state folder is idle
    finally:
        held.release()


def test_a_vanished_ticket_is_not_busy(store: MemoryDir, tmp_path: Path) -> None:
    files = QueueFiles.for_store(store)
    files.tickets.mkdir(parents=True)
    (files.tickets / "123-gone.json").symlink_to(tmp_path / "missing.json")
    assert not files.busy(time.time())


def test_a_ticket_already_removed_is_refused_without_an_error(tmp_path: Path) -> None:
    from memdir.extract.queue import run_ticket

    written: list[str] = []
    assert run_ticket(tmp_path / "memory", tmp_path / "gone.json", written.append) == 2
    assert written == [f"{tmp_path / 'gone.json'}: not a readable extraction request\n"]


def test_an_unreadable_transcript_is_waited_for_not_raised(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.jsonl"
    folder.mkdir()
    clock = _Clock()
    assert wait_for_transcript(folder, "x", timeout=0.5, clock=clock, sleep=clock.sleep) is None
    assert len(clock.sleeps) == 2


def test_a_request_that_waits_hands_the_messages_it_read_to_the_run(
    store: MemoryDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memdir.extract import queue as queue_mod
    from memdir.extract.extractor import ExtractionResult

    path = write_lines(tmp_path / "t.jsonl", correction_lines())
    waits: list[tuple[str, float]] = []
    real_wait = queue_mod.wait_for_transcript

    def wait(transcript: Path, text: str, *, timeout: float) -> object:
        waits.append((text, timeout))
        return real_wait(transcript, text, timeout=timeout)

    calls: list[tuple[str, object]] = []

    class Recording:
        def extract(self, messages: object, **kwargs: object) -> ExtractionResult:
            calls.append(("extract", [m.id for m in messages]))  # type: ignore[attr-defined]
            return ExtractionResult("s", "nothing")

        def extract_file(self, path: object, **kwargs: object) -> ExtractionResult:
            calls.append(("extract_file", path))
            return ExtractionResult("s", "nothing")

    monkeypatch.setattr(queue_mod, "wait_for_transcript", wait)
    waiting = ExtractionRequest(path, "s", time.time(), "Understood, real database.")
    run_request(store, waiting, extractor=Recording(), wait_s=3.5)  # type: ignore[arg-type]
    assert waits == [("Understood, real database.", 3.5)]
    assert calls == [("extract", ["u1", "a1", "u2", "a2"])]


def test_the_log_says_when_the_turn_never_came(
    store: MemoryDir, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from memdir.extract.extractor import ExtractionResult

    class Nothing:
        def extract_file(self, path: object, **kwargs: object) -> ExtractionResult:
            return ExtractionResult("s", "nothing")

    path = write_lines(tmp_path / "t.jsonl", correction_lines()[:3])
    waiting = ExtractionRequest(path, "s", time.time(), "Understood, real database.")
    with caplog.at_level("INFO", logger="memdir.extract.queue"):
        run_request(store, waiting, extractor=Nothing(), wait_s=0.0)  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [
        f"transcript {path} never showed the last turn; using it as is"
    ]
