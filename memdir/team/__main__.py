"""``python -m memdir.team MEMORY_DIR``: the detached sync the Stop hook starts.

Syncs only when something waits to be shared or the last fetch is old, and only if no
other sync holds the folder; failures are kept in the team record (`memory team status`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import MemdirError
from ..fsio import try_lock
from ..store.folder import MemoryDir
from .background import FETCH_EVERY_S, needs_sync, seconds_from_env
from .sync import lock_path, sync_team


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m memdir.team MEMORY_DIR\n")
        return 2
    store = MemoryDir(Path(argv[0]))
    held = try_lock(lock_path(store.path, store.state_path))
    if held is None:
        return 0  # a sync is running: it covers whatever changed
    held.release()
    try:
        if needs_sync(store, fetch_every_s=seconds_from_env("MEMDIR_TEAM_FETCH_S", FETCH_EVERY_S)):
            sync_team(store)
    except MemdirError:
        return 1  # recorded by sync_team in the team record
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
