"""Walking a memory folder for recall: every Markdown file in it, stat-ed, nothing parsed.

Standard library only: recall's fast path walks the folder on every prompt, and
`memdir.store.scan` (whose `iter_markdown` holds the same rules, checked equal by
tests/store/test_walk.py) loads the store's records.
"""

from __future__ import annotations

import os
from stat import S_ISDIR, S_ISLNK

__all__ = ["INDEX_NAME", "SKIP_DIRS", "Stat", "stat_markdown"]

#: The index file at the folder's root: never a memory.
INDEX_NAME = "MEMORY.md"

#: Folders never walked (a repository's or a tool's own files).
SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv"})


#: A file as `stat_markdown` saw it: (name relative to the root with forward slashes,
#: path, mtime_ns, size, mtime, is a symbolic link, ctime_ns, inode number). The last
#: two tell a rewrite that kept size and mtime (``touch -r``, a copy with ``cp -p``, an
#: atomic save within one clock tick): ctime cannot be set back, and a save by
#: rename is a new inode.
Stat = tuple[str, str, int, int, float, bool, int, int]

#: Inode numbers are kept to 63 bits, what an SQLite integer holds.
_INODE_BITS = (1 << 63) - 1


def stat_markdown(root: str) -> list[Stat]:
    """What `scan.iter_markdown` yields (same rules), each stat-ed without following links.

    Trigger: recall checks every file's mtime and size on every prompt. Why: going
    through `iter_markdown` and a `DirEntry` method per question costs a third more than
    one loop with one `lstat` per Markdown file. Outcome: this loop; files that vanish
    or cannot be stat-ed meanwhile are left out.
    """
    out: list[Stat] = []
    append = out.append
    stack = [root]
    skip = len(root) + 1
    sep = os.sep
    while stack:
        folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                name = entry.name
                if name[:1] == ".":
                    continue
                if name[-3:] != ".md":
                    try:
                        if entry.is_dir(follow_symlinks=False) and name not in SKIP_DIRS:
                            stack.append(entry.path)
                    except OSError:
                        pass
                    continue
                if folder is root and name == INDEX_NAME:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                mode = st.st_mode
                if S_ISDIR(mode):
                    if name not in SKIP_DIRS:
                        stack.append(entry.path)
                    continue
                path = entry.path
                relative = path[skip:] if sep == "/" else path[skip:].replace(sep, "/")
                append(
                    (
                        relative,
                        path,
                        st.st_mtime_ns,
                        st.st_size,
                        st.st_mtime,
                        S_ISLNK(mode),
                        st.st_ctime_ns,
                        st.st_ino & _INODE_BITS,
                    )
                )
    return out
