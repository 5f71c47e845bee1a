"""The daemon as this process: `run_daemon` runs a `WatchDaemon` in the foreground until
a signal stops it, with memdir's log sent to rotating files by `configure_logging`."""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from .files import DEFAULT_DEBOUNCE_S
from .service import WatchDaemon

__all__ = ["configure_logging", "run_daemon"]

logger = logging.getLogger("memdir.daemon.service")


def configure_logging(log_files: Sequence[Path], *, stderr: bool) -> Callable[[], None]:
    """Send memdir's log to rotating files (and stderr); returns a function undoing it."""
    target = logging.getLogger("memdir")
    handlers: list[logging.Handler] = []
    for log in log_files:
        log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
            )
        )
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    formatter = logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(message)s")
    previous_level = target.level
    for handler in handlers:
        handler.setFormatter(formatter)
        target.addHandler(handler)
    target.setLevel(logging.INFO)

    def undo() -> None:
        for handler in handlers:
            target.removeHandler(handler)
            handler.close()
        target.setLevel(previous_level)

    return undo


def run_daemon(
    memory_dirs: Sequence[Path],
    *,
    transcripts: Sequence[Path] = (),
    state_dir: Path | None = None,
    log_to_stderr: bool = True,
    debounce_s: float = DEFAULT_DEBOUNCE_S,
) -> None:
    """Run in the foreground until SIGTERM, SIGINT or SIGHUP, then shut down cleanly.

    Must be called from the main thread (it installs signal handlers).

    Raises:
        DaemonAlreadyRunningError: a folder already has a daemon.
        ConfigurationError: a transcript folder is missing or a socket cannot be made.
    """
    daemon = WatchDaemon(
        memory_dirs, transcripts=transcripts, state_dir=state_dir, debounce_s=debounce_s
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    # SIGHUP too: closing the terminal of a foreground daemon should stop it cleanly.
    stops = [signal.SIGTERM, signal.SIGINT, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {sig: signal.signal(sig, on_signal) for sig in stops}
    undo_logging = configure_logging([f.log for f in daemon.files], stderr=log_to_stderr)
    try:
        daemon.start()
        stop.wait()
    finally:
        daemon.stop()
        undo_logging()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
