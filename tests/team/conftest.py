"""Fixtures for team memory: a real git server on 127.0.0.1, and teammates."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from memdir.store.folder import MemoryDir
from memdir.team.retry import RetryPolicy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class GitServer:
    """A `git daemon` serving bare repositories from `base` over git://127.0.0.1:`port`."""

    base: Path
    port: int

    def url(self, name: str = "team") -> str:
        return f"git://127.0.0.1:{self.port}/{name}.git"

    def create(self, name: str = "team") -> str:
        """An empty bare repository; returns its URL."""
        subprocess.run(
            ["git", "init", "-q", "--bare", "-b", "main", str(self.base / f"{name}.git")],
            check=True,
        )
        return self.url(name)

    def all_objects(self, name: str = "team") -> bytes:
        """The content of every object stored in the server's repository."""
        return subprocess.run(
            ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
            cwd=self.base / f"{name}.git",
            capture_output=True,
            check=True,
        ).stdout


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitServer]:
    """`git daemon` with pushes enabled, started for the test and stopped after it."""
    base = tmp_path / "server"
    base.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            f"--base-path={base}",
            "--export-all",
            "--enable=receive-pack",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("git daemon did not start")
            time.sleep(0.05)
        yield GitServer(base, port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Teammate:
    """One person's machine: a memory folder, a state folder and a git identity."""

    name: str
    store: MemoryDir

    @contextlib.contextmanager
    def acting(self) -> Iterator[MemoryDir]:
        """Run git as this teammate (author and committer)."""
        keys = ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL")
        saved = {k: os.environ.get(k) for k in keys}
        os.environ.update(
            {
                "GIT_AUTHOR_NAME": self.name,
                "GIT_COMMITTER_NAME": self.name,
                "GIT_AUTHOR_EMAIL": f"{self.name}@example.org",
                "GIT_COMMITTER_EMAIL": f"{self.name}@example.org",
            }
        )
        try:
            yield self.store
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def init(self, url: str) -> None:
        from memdir.team import init_team

        with self.acting() as store:
            init_team(store, url, policy=FAST)

    def sync(self, budget: float = 20.0):  # type: ignore[no-untyped-def]
        from memdir.team import sync_team

        with self.acting() as store:
            return sync_team(store, policy=RetryPolicy(budget_s=budget))

    def team_files(self) -> dict[str, bytes]:
        """Every file of the team folder except git's own, with its bytes."""
        root = self.store.path / "team"
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if ".git" not in p.relative_to(root).parts and p.is_file()
        }


FAST = RetryPolicy(budget_s=10.0)


@pytest.fixture
def teammates(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A factory of teammates, each with its own memory and state folders."""

    def make(name: str) -> Teammate:
        home = tmp_path / "people" / name
        return Teammate(name, MemoryDir(home / "memory", state=home / "state"))

    return make


def body(*lines: str) -> str:
    """A project memory body with the lines it needs."""
    return "\n".join([*lines, "**Why:** it matters.", "**How to apply:** always."])
