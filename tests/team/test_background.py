"""Team sync in the background: the daemon's thread, `memory watch`, the Stop hook."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from memdir.daemon.service import WatchDaemon
from memdir.daemon.watcher import Counters, FolderWatch
from memdir.team.background import BackgroundSync, needs_sync, spawn_sync
from tests.integrations.claude_code.test_hooks import Workspace, run_hook
from tests.integrations.claude_code.test_hooks import ws as ws  # noqa: F401 - fixture

from .conftest import GitServer, body


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def on_server(server: GitServer, name: str) -> bool:
    found = subprocess.run(
        ["git", "ls-tree", "--name-only", "main"], cwd=server.base / "team.git",
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return name in found.stdout.split()


def test_background_sync_pushes_after_quiet_and_fetches_on_a_timer(
    git_server: GitServer, teammates, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = git_server.create()
    alice, bob = teammates("alice"), teammates("bob")
    alice.init(url)
    bob.init(url)
    for key, value in (("GIT_AUTHOR_NAME", "alice"), ("GIT_COMMITTER_NAME", "alice")):
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "a@x")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "a@x")
    worker = BackgroundSync(alice.store, quiet_s=0.2, fetch_every_s=0.5, budget_s=10)
    worker.start()
    try:
        alice.store.save(name="Freeze", description="Deploy freeze", type="project", body="b")
        worker.poke()
        assert wait_for(lambda: on_server(git_server, "freeze.md"))
        with bob.acting() as store:
            store.save(name="Oncall", description="Who is on call", type="project", body="b")
        bob.sync()
        assert wait_for(lambda: (alice.store.path / "team" / "oncall.md").exists())
        # The file lands before the sync that brought it finishes counting itself.
        assert wait_for(lambda: worker.state()["syncs"] >= 2)
        assert worker.state()["last_error"] is None
    finally:
        worker.stop()
    assert not needs_sync(alice.store, fetch_every_s=3600)


def test_memory_watch_syncs_the_team_and_reports_it(
    git_server: GitServer, teammates, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = git_server.create()
    alice = teammates("alice")
    alice.init(url)
    monkeypatch.setenv("MEMDIR_TEAM_QUIET_S", "0.2")
    daemon = WatchDaemon([alice.store.path], state_dir=alice.store.state_path, debounce_s=0.1)
    with daemon:
        (alice.store.path / "team" / "release.md").write_text(
            f"---\nname: Release\ndescription: How releases are cut\ntype: project\n---\n"
            f"{body('x')}\n"
        )
        assert wait_for(lambda: on_server(git_server, "release.md"))
        [team] = daemon.status()["team"].values()
        assert team["remote"] == url and team["last_error"] is None


def test_the_daemon_does_not_follow_a_link_in_the_team_folder(
    git_server: GitServer, teammates, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from watchdog.events import FileCreatedEvent

    alice = teammates("alice")
    alice.init(git_server.create())
    outside = tmp_path / "outside.md"
    outside.write_text("no frontmatter here: reading it would count as an invalid memory\n")
    link = alice.store.path / "team" / "link.md"
    os.symlink(outside, link)
    watch = FolderWatch(
        alice.store.path, state_dir=alice.store.state_path, counters=Counters(tmp_path / "c")
    )
    with caplog.at_level(logging.WARNING, logger="memdir"):
        watch.process_batch([FileCreatedEvent(str(link))])
    # reported as a link, not read: the target's missing frontmatter is never seen
    assert "symbolic link" in caplog.text and "frontmatter" not in caplog.text
    caplog.clear()
    # whereas a plain file with the same text is read and reported
    plain = alice.store.path / "team" / "plain.md"
    plain.write_text(outside.read_text())
    with caplog.at_level(logging.WARNING, logger="memdir"):
        watch.process_batch([FileCreatedEvent(str(plain))])
    assert "frontmatter" in caplog.text


def test_spawned_sync_runs_detached(git_server: GitServer, teammates) -> None:
    alice = teammates("alice")
    alice.init(git_server.create())
    alice.store.save(name="Freeze", description="Deploy freeze", type="project", body="b")
    assert spawn_sync(alice.store.path, alice.store.state_path)
    assert wait_for(lambda: on_server(git_server, "freeze.md"))


def test_stop_hook_starts_team_sync(git_server: GitServer, ws: Workspace) -> None:  # noqa: F811
    from memdir.team import init_team

    store = ws.memory
    init_team(store, git_server.create())
    store.save(name="Freeze", description="Deploy freeze", type="project", body="b")
    started = time.monotonic()
    proc = run_hook(ws, "stop", ws.payload("Stop"), MEMDIR_STATE_DIR=str(ws.state))
    assert proc.returncode == 0
    assert time.monotonic() - started < 30  # returned without waiting for the sync
    assert wait_for(lambda: on_server(git_server, "freeze.md"))
