"""Shared fixtures: every test runs with a private HOME, state folder and no API keys."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_API_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "MEMDIR_MODEL",
    "MEMDIR_DIR",
    "CLAUDE_CONFIG_DIR",
    "EDITOR",
    "VISUAL",
)

# A thread that is being joined may need a moment to finish after the test returns.
_THREAD_GRACE = 5.0


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary HOME and state folder; no API keys, so a stray real call fails loudly."""
    home = tmp_path / "home"
    home.mkdir()
    state = tmp_path / "state"
    for name in _API_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MEMDIR_STATE_DIR", str(state))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("NO_COLOR", "1")
    yield home


@pytest.fixture
def memory_dir(tmp_path: Path) -> Path:
    """An empty memory folder."""
    path = tmp_path / "memories"
    path.mkdir()
    return path


def threads_left_running(before: set[int | None], grace: float) -> list[str]:
    """Names of threads started since `before` still alive after up to `grace` seconds."""
    end = time.monotonic() + grace
    while True:
        extra = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not extra or time.monotonic() >= end:
            return sorted(t.name for t in extra)
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def no_thread_leaks() -> Iterator[None]:
    """Fail any test that leaves threads running (daemon, extractor, prefetch, fake server)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    leaked = threads_left_running(before, _THREAD_GRACE)
    if leaked:
        pytest.fail(f"threads left running: {leaked}")


def memory_cmd() -> list[str]:
    """The installed `memory` executable next to this interpreter."""
    exe = Path(sys.executable).with_name("memory")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "memdir_cli"]


def subprocess_env(**extra: str) -> dict[str, str]:
    """The current (isolated) environment plus `extra`, for real subprocesses."""
    env = dict(os.environ)
    env.update(extra)
    return env


from tests.fake_anthropic import FakeAnthropic, fake_anthropic  # noqa: E402, F401
