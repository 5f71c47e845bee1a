"""``python -m memdir.extract FOLDER TICKET``: run one queued extraction, then exit.

Started by `memdir.extract.schedule.spawn_detached` with stdout and stderr going to
``<state>/logs/extract.log``; what it prints is that log's text. The ticket (a request
file under the state folder) tells `drain` the run is on its way; it is removed at exit.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from ..store.folder import MemoryDir
from .queue import read_ticket, run_request


def main(argv: list[str]) -> int:
    """Run the ticket's request; 0 when every run succeeded, 1 otherwise, 2 for bad usage."""
    if len(argv) != 2:
        sys.stderr.write("usage: python -m memdir.extract FOLDER TICKET\n")
        return 2
    folder, ticket = Path(argv[0]), Path(argv[1])
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s"
    )
    # The ticket goes last: `drain` waits for it, so the log is complete when it returns.
    try:
        request = read_ticket(ticket)
        if request is None:
            sys.stderr.write(f"{ticket}: not a readable extraction request\n")
            return 2
        report = run_request(MemoryDir(folder), request)
        if report.queued:
            sys.stdout.write("Another extraction was running; this request runs right after it.\n")
        for result in report.results:
            reason = f" ({result.reason})" if result.reason else ""
            sys.stdout.write(f"session {result.session_id}: {result.status}{reason}\n")
            for change in result.changes:
                moved = f" (from {change.old_path})" if change.old_path else ""
                sys.stdout.write(f"  {change.action}: {change.path}{moved}\n")
        sys.stdout.flush()
    finally:
        ticket.unlink(missing_ok=True)
    return 1 if any(r.status == "failed" for r in report.results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
