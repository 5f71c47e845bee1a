"""`memory watch`: the handler, batches, transcripts, and a real daemon process."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
    PatternMatchingEventHandler,
)

from memdir.daemon.client import daemon_recall
from memdir.daemon.files import (
    DaemonFiles,
    daemon_status,
    stop_daemon,
)
from memdir.daemon.service import WatchDaemon
from memdir.daemon.transcript_watch import TranscriptWatch
from memdir.daemon.watcher import (
    IGNORE_PATTERNS,
    Counters,
    FolderWatch,
    MemoryEventHandler,
    changed_paths,
)
from memdir.daemon.wire import daemon_stats, ping
from memdir.errors import DaemonAlreadyRunningError, DaemonError
from memdir.extract import schedule as queue_mod
from memdir.extract.queue import ExtractionQueue
from memdir.fsio import atomic_write
from memdir.paths import claude_memory_dir, state_dir
from memdir.store.index import linked_files
from tests.conftest import memory_cmd, subprocess_env

MEMORY = "---\nname: {name}\ndescription: {description}\ntype: project\n---\n\n{body}\n"


def write_memory(
    folder: Path, stem: str, *, name: str | None = None, description: str | None = None
) -> Path:
    path = folder / f"{stem}.md"
    path.write_text(
        MEMORY.format(
            name=name or stem.replace("-", " ").title(),
            description=description or f"notes about {stem}",
            body=f"Body of {stem}.",
        ),
        encoding="utf-8",
    )
    return path


def linked(folder: Path) -> set[str]:
    try:
        return linked_files((folder / "MEMORY.md").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()


def wait_until(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())


# -- the handler: matching only, events forwarded ------------------------------------------


def _handler() -> tuple[MemoryEventHandler, list[Any]]:
    seen: list[Any] = []
    return MemoryEventHandler(seen.append), seen


def test_atomic_rename_from_a_hidden_temp_file_is_seen(tmp_path: Path) -> None:
    handler, seen = _handler()
    event = FileMovedEvent(f"{tmp_path}/.x.md.a1b2.tmp", f"{tmp_path}/x.md")
    handler.dispatch(event)
    assert seen == [event]


def test_watchdogs_default_policy_would_lose_that_rename(tmp_path: Path) -> None:
    # The trap our ignore_policy="all" avoids: with "any", the ignored source drops the move.
    seen: list[Any] = []
    default = PatternMatchingEventHandler(
        patterns=["**/*.md"], ignore_patterns=list(IGNORE_PATTERNS), ignore_directories=True
    )
    default.on_any_event = seen.append  # type: ignore[method-assign]
    default.dispatch(FileMovedEvent(f"{tmp_path}/.x.md.tmp", f"{tmp_path}/x.md"))
    assert seen == []


@pytest.mark.parametrize(
    "name", [".x.md.swp", "x.md.swp", "x.md~", "4913", ".hidden.md", "notes.txt", "x.md.tmp"]
)
def test_editor_scratch_and_hidden_files_are_ignored(tmp_path: Path, name: str) -> None:
    handler, seen = _handler()
    handler.dispatch(FileCreatedEvent(f"{tmp_path}/{name}"))
    handler.dispatch(FileModifiedEvent(f"{tmp_path}/sub/{name}"))
    assert seen == []


def test_reads_are_not_forwarded_but_writes_are(tmp_path: Path) -> None:
    handler, seen = _handler()
    path = f"{tmp_path}/sub/x.md"
    handler.dispatch(FileOpenedEvent(path))
    handler.dispatch(FileClosedNoWriteEvent(path))
    assert seen == []
    for event in (FileCreatedEvent(path), FileModifiedEvent(path), FileDeletedEvent(path)):
        handler.dispatch(event)
    assert [e.event_type for e in seen] == ["created", "modified", "deleted"]


def test_moving_a_memory_to_a_hidden_name_counts_as_removal(tmp_path: Path) -> None:
    handler, seen = _handler()
    handler.dispatch(FileMovedEvent(f"{tmp_path}/x.md", f"{tmp_path}/.x.md.bak"))
    assert len(seen) == 1
    assert changed_paths(seen, tmp_path) == {"x.md"}


def test_folder_removal_is_forwarded_and_folder_creation_is_not(tmp_path: Path) -> None:
    handler, seen = _handler()
    handler.dispatch(DirCreatedEvent(f"{tmp_path}/topic"))
    handler.dispatch(DirDeletedEvent(f"{tmp_path}/topic"))
    assert [e.event_type for e in seen] == ["deleted"]


def test_changed_paths_are_relative_and_skip_hidden_parts(tmp_path: Path) -> None:
    events = [
        FileModifiedEvent(f"{tmp_path}/a.md"),
        FileMovedEvent(f"{tmp_path}/sub/b.md", f"{tmp_path}/sub/c.md"),
        FileModifiedEvent(f"{tmp_path}/.git/x.md"),
        FileModifiedEvent("/elsewhere/d.md"),
    ]
    assert changed_paths(events, tmp_path) == {"a.md", "sub/b.md", "sub/c.md"}


# -- validation and batches ---------------------------------------------------------------


def test_the_daemon_checks_files_with_the_store_validator(
    memory_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watch = _watch(memory_dir)
    watch.reconcile()
    bad = memory_dir / "bad.md"
    bad.write_text("---\nname: Bad\ndescription: no\ntype: wrong\n---\nbody\n")
    with caplog.at_level(logging.WARNING, logger="memdir"):
        watch.process_batch([FileModifiedEvent(str(bad))])
    logged = caplog.text
    assert "field 'description': description is yes/no" in logged
    assert "field 'type': type 'wrong' is not one of" in logged
    assert watch.last_batch is not None and watch.last_batch["invalid"] == 1


def _watch(memory_dir: Path) -> FolderWatch:
    state = state_dir()
    return FolderWatch(memory_dir, state_dir=state, counters=Counters(state))


def test_batch_syncs_the_index_and_rewrites_only_generated_lines(memory_dir: Path) -> None:
    write_memory(memory_dir, "alpha", description="first wording")
    write_memory(memory_dir, "beta", description="beta wording")
    watch = _watch(memory_dir)
    watch.reconcile()
    index = memory_dir / "MEMORY.md"
    hand = "- [Beta](beta.md) — my own words, keep them"
    index.write_text(index.read_text().replace("- [Beta](beta.md) — beta wording", hand))
    write_memory(memory_dir, "alpha", description="second wording")
    write_memory(memory_dir, "beta", description="beta changed")
    (memory_dir / "gamma.md").write_text(MEMORY.format(name="G", description="g", body="b"))
    watch.process_batch(
        [FileModifiedEvent(str(memory_dir / n)) for n in ("alpha.md", "beta.md", "gamma.md")]
    )
    text = index.read_text()
    assert "- [Alpha](alpha.md) — second wording" in text
    assert "first wording" not in text
    assert hand in text  # written by a person: never rewritten
    assert "gamma.md" in linked(memory_dir)
    assert watch.last_batch is not None and watch.last_batch["added"] == 1


def test_a_file_broken_mid_edit_keeps_its_entry(memory_dir: Path) -> None:
    write_memory(memory_dir, "alpha")
    watch = _watch(memory_dir)
    watch.reconcile()
    (memory_dir / "alpha.md").write_text("---\nname: Alpha\n" + "x: y\n" * 40)
    watch.process_batch([FileModifiedEvent(str(memory_dir / "alpha.md"))])
    assert "alpha.md" in linked(memory_dir)
    (memory_dir / "alpha.md").unlink()
    watch.process_batch([FileDeletedEvent(str(memory_dir / "alpha.md"))])
    assert linked(memory_dir) == set()


def test_our_own_index_write_does_not_trigger_a_resync(memory_dir: Path) -> None:
    write_memory(memory_dir, "alpha")
    watch = _watch(memory_dir)
    watch.reconcile()
    syncs = watch.counters.snapshot()["counts"]["syncs"]
    index = str(memory_dir / "MEMORY.md")
    watch.process_batch([FileMovedEvent(str(memory_dir / ".MEMORY.md.x.tmp"), index)])
    assert watch.counters.snapshot()["counts"]["syncs"] == syncs
    # A person's edit of MEMORY.md (dropping an entry) is repaired, though.
    Path(index).write_text("# my notes\n")
    watch.process_batch([FileModifiedEvent(index)])
    assert watch.counters.snapshot()["counts"]["syncs"] == syncs + 1
    assert Path(index).read_text().startswith("# my notes\n- [Alpha](alpha.md)")


def test_a_failing_batch_is_counted_and_the_watch_carries_on(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    watch = _watch(memory_dir)
    watch.reconcile()

    def explode(*_a: Any, **_k: Any) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(watch.store, "sync_index", explode)
    with caplog.at_level(logging.ERROR, logger="memdir"):
        watch.process_batch([FileModifiedEvent(str(memory_dir / "a.md"))])
    snapshot = watch.counters.snapshot()
    assert snapshot["counts"]["errors"] == 1
    assert "disk on fire" in snapshot["recent_errors"][0]


def test_malformed_files_are_logged_with_file_and_field(
    memory_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watch = _watch(memory_dir)
    watch.reconcile()
    bad = memory_dir / "bad.md"
    bad.write_text("---\nname: Bad\ndescription: fine\ntype: opinion\n---\n")
    with caplog.at_level(logging.WARNING, logger="memdir"):
        watch.process_batch([FileCreatedEvent(str(bad))])
    assert f"{bad}: field 'type'" in caplog.text
    assert watch.counters.snapshot()["counts"]["invalid_files"] == 1


# -- transcripts ------------------------------------------------------------------------------


def _line(kind: str, uuid: str, content: Any, cwd: str = "/proj") -> str:
    message = {"role": kind, "content": content}
    event = {"type": kind, "uuid": uuid, "sessionId": "s", "cwd": cwd, "message": message}
    return json.dumps(event) + "\n"


def _append(path: Path, *lines: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.writelines(lines)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Path, Path, dict[str, Any]]] = []

    def __call__(self, memory_dir: Path, transcript: Path, **kwargs: Any) -> None:
        self.calls.append((memory_dir, transcript, kwargs))


def test_a_finished_turn_schedules_extraction_once(memory_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "projects" / "-proj"
    folder.mkdir(parents=True)
    old = folder / "old-session.jsonl"
    _append(old, _line("user", "u0", "hi"), _line("assistant", "a0", "hello"))
    recorder = Recorder()
    watch = TranscriptWatch(
        [tmp_path / "projects"],
        memory_dirs=[memory_dir],
        state_dir=state_dir(),
        counters=Counters(state_dir()),
        scheduler=recorder,
    )
    assert watch.baseline() == 1
    watch.process_batch([FileModifiedEvent(str(old))])
    assert recorder.calls == []  # unchanged since start: no extraction for old sessions
    session = folder / "abc-123.jsonl"
    tool_use = [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}]
    _append(session, _line("user", "u1", "fix the build"), _line("assistant", "a1", tool_use))
    watch.process_batch([FileModifiedEvent(str(session))])
    assert recorder.calls == []  # the agent is still working
    _append(session, _line("assistant", "a2", [{"type": "text", "text": "Fixed."}]))
    watch.process_batch([FileModifiedEvent(str(session)), FileModifiedEvent(str(session))])
    watch.process_batch([FileModifiedEvent(str(session))])  # same size: not re-read
    assert recorder.calls == [
        (memory_dir, session, {"session_id": "abc-123", "state_dir": state_dir()})
    ]
    _append(session, json.dumps({"type": "system", "cwd": "/proj"}) + "\n")
    watch.process_batch([FileModifiedEvent(str(session))])
    assert len(recorder.calls) == 1  # grew, but the same turn
    assert watch.counters.snapshot()["counts"]["extractions_scheduled"] == 1


def test_with_several_folders_the_transcripts_cwd_picks_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    project = tmp_path / "proj"
    project.mkdir()
    mine = claude_memory_dir(project)
    watch = TranscriptWatch(
        [tmp_path],
        memory_dirs=[tmp_path / "other", mine],
        state_dir=state_dir(),
        counters=Counters(state_dir()),
        scheduler=Recorder(),
    )
    ours = tmp_path / "ours.jsonl"
    _append(ours, _line("user", "u", "hi", cwd=str(project)))
    theirs = tmp_path / "theirs.jsonl"
    _append(theirs, _line("user", "u", "hi", cwd=str(tmp_path / "unwatched")))
    assert watch.memory_dir_for(ours) == mine
    assert watch.memory_dir_for(theirs) is None


def test_the_extract_queue_is_called_lazily_and_drained(
    memory_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Recorder()
    monkeypatch.setattr(queue_mod, "schedule_extraction", calls)
    watch = TranscriptWatch(
        [tmp_path], memory_dirs=[memory_dir], state_dir=state_dir(), counters=Counters(state_dir())
    )
    session = tmp_path / "s1.jsonl"
    _append(session, _line("user", "u", "hi"), _line("assistant", "a", "done"))
    watch.process_batch([FileCreatedEvent(str(session))])
    assert len(calls.calls) == 1
    assert calls.calls[0][2]["session_id"] == "s1"
    assert isinstance(calls.calls[0][2]["queue"], ExtractionQueue)
    assert watch.drain(2.0) is True


# -- the daemon in this process, with a real observer -------------------------------------


def test_in_process_daemon_watches_serves_and_cleans_up(memory_dir: Path, tmp_path: Path) -> None:
    write_memory(memory_dir, "before-start", description="written while no daemon ran")
    transcripts = tmp_path / "transcripts"
    transcripts.mkdir()
    recorder = Recorder()
    daemon = WatchDaemon(
        [memory_dir], transcripts=[transcripts], debounce_s=0.05, scheduler=recorder
    )
    files = daemon.files[0]
    daemon.start()
    try:
        assert linked(memory_dir) == {"before-start.md"}  # reconciled on start
        text = MEMORY.format(name="Deploy", description="staging deploy steps", body="make it")
        atomic_write(memory_dir / "deploy.md", text)  # hidden temp file, then a rename
        assert wait_until(lambda: "deploy.md" in linked(memory_dir), timeout=5)
        answer = daemon_recall(memory_dir, query="staging deploy steps", offline=True)
        assert answer is not None
        assert [m.header.filename for m in answer.memories] == ["deploy.md"]
        assert "make it" in answer.render()
        assert files.pid.read_text().strip() == str(os.getpid())
        assert files.socket.stat().st_mode & 0o777 == 0o600
        assert files.lock.parent.stat().st_mode & 0o777 == 0o700
        session = transcripts / "sess.jsonl"
        _append(session, _line("user", "u", "hi"), _line("assistant", "a", "done"))
        assert wait_until(lambda: recorder.calls, timeout=5)
        with pytest.raises(DaemonAlreadyRunningError, match=f"pid {os.getpid()}"):
            WatchDaemon([memory_dir]).start()
        assert files.pid.exists()  # the failed second start took nothing away
        stats = daemon_stats(memory_dir)
        assert stats is not None and stats["counts"]["recalls"] == 1
    finally:
        daemon.stop()
    assert not files.pid.exists()
    assert not files.socket.exists()
    status = json.loads(files.status.read_text())
    assert status["running"] is False
    assert status["counts"]["extractions_scheduled"] == 1


def test_daemon_recall_marks_the_session_unless_asked_not_to(memory_dir: Path) -> None:
    write_memory(memory_dir, "deploy", description="staging deploy steps")
    query = "staging deploy steps"
    with WatchDaemon([memory_dir], debounce_s=0.05):

        def names(**kwargs: Any) -> list[str]:
            answer = daemon_recall(memory_dir, query=query, offline=True, **kwargs)
            assert answer is not None
            return [m.header.filename for m in answer.memories]

        assert names(session_id="s1", mark_surfaced=False) == ["deploy.md"]
        assert names(session_id="s1") == ["deploy.md"]  # not marked by the first call
        assert names(session_id="s1") == []  # marked by the second
        assert names(session_id="s2") == ["deploy.md"]


def test_extraction_is_handed_to_a_running_daemon(
    memory_dir: Path, tmp_path: Path, fake_anthropic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json as _json

    from memdir.daemon.client import queue_extraction

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    transcript = tmp_path / "conversation.json"
    transcript.write_text(
        _json.dumps(
            [
                {"role": "user", "content": "Never use tabs in YAML files, they break CI."},
                {"role": "assistant", "content": "Understood, spaces only from now on."},
            ]
        )
    )
    fake_anthropic.reply_text("Nothing worth saving.")
    with WatchDaemon([memory_dir], debounce_s=0.05) as daemon:
        spawned: list[Any] = []
        monkeypatch.setattr(
            "memdir.extract.schedule.spawn_detached", lambda *a, **k: spawned.append(a)
        )
        assert queue_extraction(memory_dir, transcript, session_id="s1").by == "daemon"
        assert wait_until(lambda: len(fake_anthropic.requests) == 1, timeout=30)
        assert daemon._extractions is not None
    assert spawned == []  # the daemon took it: no background process was started
    body = _json.dumps(fake_anthropic.requests[0].body)
    assert "Never use tabs in YAML files" in body


# -- a real daemon process ---------------------------------------------------------------------


@contextmanager
def daemon_process(memory_dir: Path, tmp_path: Path, *args: str) -> Iterator[subprocess.Popen]:
    """`memory --dir D watch` in a subprocess, ready (answering ping) when yielded."""
    err = open(tmp_path / f"stderr-{time.monotonic_ns()}.txt", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [*memory_cmd(), "--dir", str(memory_dir), "watch", *args],
        stdout=subprocess.DEVNULL,
        stderr=err,
        env=subprocess_env(),
    )
    try:
        ready = wait_until(
            lambda: proc.poll() is not None or (ping(memory_dir) or {}).get("pid") == proc.pid,
            timeout=30,
        )
        assert ready and proc.poll() is None, Path(err.name).read_text()
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()  # a clean stop, so no socket is left in the shared /tmp folder
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        err.close()


def test_a_burst_of_1000_files_is_all_indexed(memory_dir: Path, tmp_path: Path) -> None:
    # How soon after the last write is a benchmark's question (benchmarks/bench_daemon.py,
    # target 2 s): a timed assertion here would fail only on a busy machine.
    with daemon_process(memory_dir, tmp_path):
        for i in range(1000):
            write_memory(memory_dir, f"note-{i:04d}")
        complete = wait_until(lambda: len(linked(memory_dir)) == 1000, timeout=60, interval=0.05)
    assert complete
    assert linked(memory_dir) == {f"note-{i:04d}.md" for i in range(1000)}


def test_hand_edits_deletes_and_renames_reach_the_index(memory_dir: Path, tmp_path: Path) -> None:
    for stem in ("keep", "doomed", "moving"):
        write_memory(memory_dir, stem)
    with daemon_process(memory_dir, tmp_path):
        assert linked(memory_dir) == {"keep.md", "doomed.md", "moving.md"}
        (memory_dir / "doomed.md").unlink()
        os.rename(memory_dir / "moving.md", memory_dir / "moved.md")
        # An editor's save: scratch file, then a rename over the original.
        scratch = memory_dir / ".keep.md.swp"
        scratch.write_text(MEMORY.format(name="Keep", description="rotated keys", body="new"))
        os.replace(scratch, memory_dir / "keep.md")
        assert wait_until(lambda: linked(memory_dir) == {"keep.md", "moved.md"}, timeout=5)
        index = memory_dir / "MEMORY.md"
        assert wait_until(lambda: "— rotated keys" in index.read_text(), timeout=5)
        answer = daemon_recall(memory_dir, query="rotated keys", offline=True)
        assert answer is not None
        assert answer.memories[0].content == "new"


def test_a_malformed_file_is_logged_and_the_daemon_carries_on(
    memory_dir: Path, tmp_path: Path
) -> None:
    log = DaemonFiles.for_folder(memory_dir).log
    with daemon_process(memory_dir, tmp_path) as proc:
        bad = memory_dir / "bad.md"
        bad.write_text("---\nname: Bad\ndescription: no\ntype: wrong\n---\nbody\n")
        assert wait_until(lambda: f"{bad}: field 'type'" in log.read_text(), timeout=5)
        assert f"{bad}: field 'description'" in log.read_text()
        write_memory(memory_dir, "after")
        assert wait_until(lambda: "after.md" in linked(memory_dir), timeout=5)
        assert proc.poll() is None
        assert ping(memory_dir) is not None


def test_kill_9_mid_burst_then_restart_leaves_a_correct_index(
    memory_dir: Path, tmp_path: Path
) -> None:
    files = DaemonFiles.for_folder(memory_dir)
    with daemon_process(memory_dir, tmp_path) as proc:
        for i in range(1000):
            write_memory(memory_dir, f"note-{i:04d}")
            if i == 300:
                proc.send_signal(signal.SIGKILL)
    assert files.pid.exists() and files.socket.exists()  # what a crash leaves
    (memory_dir / "note-0000.md").unlink()  # and a change while no daemon runs
    with daemon_process(memory_dir, tmp_path) as again:
        assert files.pid.read_text().strip() == str(again.pid)
        check = subprocess.run(
            [*memory_cmd(), "--dir", str(memory_dir), "index", "--check"],
            capture_output=True,
            text=True,
            env=subprocess_env(),
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert len(linked(memory_dir)) == 999


def test_a_second_daemon_on_the_same_folder_exits_2_naming_the_first(
    memory_dir: Path, tmp_path: Path
) -> None:
    with daemon_process(memory_dir, tmp_path) as first:
        second = subprocess.run(
            [*memory_cmd(), "--dir", str(memory_dir), "watch"],
            capture_output=True,
            text=True,
            env=subprocess_env(),
            timeout=30,
        )
        assert second.returncode == 2
        assert f"already running for this folder (pid {first.pid})" in second.stderr
        assert second.stderr.startswith(f"Error: {memory_dir}: memory watch")
        assert ping(memory_dir)["pid"] == first.pid  # type: ignore[index]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_stops_it_cleanly(memory_dir: Path, tmp_path: Path, sig: signal.Signals) -> None:
    files = DaemonFiles.for_folder(memory_dir)
    with daemon_process(memory_dir, tmp_path) as proc:
        assert files.pid.exists() and files.socket.exists()
        proc.send_signal(sig)
        assert proc.wait(15) == 0
    assert not files.pid.exists()
    assert not files.socket.exists()
    assert json.loads(files.status.read_text())["running"] is False


def test_stop_gives_up_on_a_daemon_that_ignores_sigterm(memory_dir: Path) -> None:
    files = DaemonFiles.for_folder(memory_dir)
    files.lock.parent.mkdir(parents=True, mode=0o700)
    # A stand-in daemon: holds the folder's lock, wrote its pid, and ignores SIGTERM.
    code = (
        "import fcntl, os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "open(sys.argv[2], 'w').write(str(os.getpid()))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(files.lock), str(files.pid)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        status = daemon_status(memory_dir)
        assert (status.state, status.pid) == ("running", holder.pid)
        with pytest.raises(DaemonError, match=f"pid {holder.pid}. did not stop"):
            stop_daemon(memory_dir, timeout=0.3)
        assert holder.poll() is None
    finally:
        holder.kill()
        holder.wait(10)
        assert holder.stdout is not None
        holder.stdout.close()
    assert daemon_status(memory_dir).state == "stale"  # the kernel dropped the lock


def test_transcript_folders_given_on_the_command_line_are_watched(
    memory_dir: Path, tmp_path: Path
) -> None:
    transcripts = tmp_path / "projects"
    (transcripts / "-proj").mkdir(parents=True)
    log = DaemonFiles.for_folder(memory_dir).log
    with daemon_process(memory_dir, tmp_path, "--transcripts", str(transcripts)):
        session = transcripts / "-proj" / "sess-42.jsonl"
        _append(session, _line("user", "u", "hi"), _line("assistant", "a", "done"))
        assert wait_until(lambda: "extraction scheduled" in log.read_text(), timeout=10)
        assert f"{session}: turn finished" in log.read_text()
        stats = daemon_stats(memory_dir)
        assert stats is not None and stats["counts"]["extractions_scheduled"] == 1


def test_shared_store_reuses_its_scan_until_an_event_or_the_rescan_interval(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import memdir.store.folderbase as store_module
    from memdir.daemon.watcher import SharedStore

    write_memory(memory_dir, "a", description="first")
    walks: list[Path] = []
    real = store_module.scan
    monkeypatch.setattr(
        store_module, "scan", lambda root, **kw: walks.append(root) or real(root, **kw)
    )
    store = SharedStore(memory_dir)
    first = store.scan()
    assert store.scan() is first and len(walks) == 1  # nothing changed: no walk
    write_memory(memory_dir, "b", description="second")
    store.invalidate()  # what the observer does on the event
    assert {h.filename for h in store.scan().memories} == {"a.md", "b.md"}
    assert len(walks) == 2
    monkeypatch.setattr(SharedStore, "RESCAN_S", 0.0)
    store.scan()
    assert len(walks) == 3  # past the rescan interval a walk happens even without events


def test_daemon_recall_sees_a_new_file_at_once(memory_dir: Path) -> None:
    write_memory(memory_dir, "deploy", description="staging deploy steps")
    with WatchDaemon([memory_dir], debounce_s=5.0):  # long debounce: only invalidation helps
        assert daemon_recall(memory_dir, query="quarterly budget review", offline=True) is not None
        write_memory(memory_dir, "budget", description="quarterly budget review owners")

        def found() -> bool:
            answer = daemon_recall(memory_dir, query="quarterly budget review", offline=True)
            return answer is not None and any(
                m.header.filename == "budget.md" for m in answer.memories
            )

        assert wait_until(found, timeout=2.0)
