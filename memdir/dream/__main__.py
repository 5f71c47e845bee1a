"""``python -m memdir.dream --dir FOLDER --auto``: the detached automatic run.

Started by `memdir.dream.triggers.spawn_detached`; it re-checks the gates under the lock,
applies what passes the guard, and writes one line to its log (stdout, redirected there).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import MemdirError
from ..store.folder import MemoryDir
from .run import consolidate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m memdir.dream")
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--auto", action="store_true", help="check the gates first")
    parser.add_argument("--offline", action="store_true")
    args = parser.parse_args(argv)
    try:
        run = consolidate(
            MemoryDir(args.dir),
            apply=True,
            offline=args.offline,
            trigger="auto" if args.auto else "manual",
        )
    except MemdirError as exc:
        sys.stdout.write(json.dumps({"folder": str(args.dir), "error": str(exc)}) + "\n")
        return exc.exit_code
    line = {
        "folder": str(args.dir),
        "run": run.run_id,
        "status": run.status,
        "message": run.message,
    }
    sys.stdout.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
