"""Fixtures shared by the daemon tests."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from memdir.daemon.wire import short_socket_dir


@pytest.fixture
def sock_path() -> Iterator[Path]:
    """A socket path short enough for AF_UNIX, in a private folder."""
    folder = short_socket_dir()
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"t-{os.getpid()}-{time.monotonic_ns()}.sock"
    yield path
    path.unlink(missing_ok=True)
