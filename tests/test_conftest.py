"""The shared guards in `tests/conftest.py` catch what they are there to catch."""

from __future__ import annotations

import threading

from tests.conftest import threads_left_running


def test_a_thread_still_running_is_reported_by_name() -> None:
    before = {t.ident for t in threading.enumerate()}
    release = threading.Event()
    worker = threading.Thread(target=release.wait, name="leaky-worker")
    worker.start()
    try:
        assert threads_left_running(before, grace=0.05) == ["leaky-worker"]
    finally:
        release.set()
        worker.join()
    assert threads_left_running(before, grace=0.05) == []


def test_a_thread_that_finishes_within_the_grace_is_not_a_leak() -> None:
    before = {t.ident for t in threading.enumerate()}
    release = threading.Event()
    worker = threading.Thread(target=release.wait, name="finishing-worker")
    worker.start()
    threading.Timer(0.1, release.set).start()
    assert threads_left_running(before, grace=5.0) == []
    worker.join()
