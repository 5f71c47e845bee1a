"""``python -m memdir.extract FOLDER TICKET``: run one queued extraction, then exit.

Started by `memdir.extract.schedule.spawn_detached` with stdout and stderr going to
``<state>/logs/extract.log``; what it prints is that log's text. The work itself is
`memdir.extract.queue.run_ticket`, so tests run it in-process; this is only the process.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from .queue import run_ticket


def main(argv: list[str]) -> int:
    """Run the ticket's request; 0 when every run succeeded, 1 otherwise, 2 for bad usage."""
    if len(argv) != 2:
        sys.stderr.write("usage: python -m memdir.extract FOLDER TICKET\n")
        return 2
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s"
    )

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    return run_ticket(Path(argv[0]), Path(argv[1]), write)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
