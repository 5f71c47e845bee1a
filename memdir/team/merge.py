"""Integrating a teammate's history: a file-by-file three-way merge that never leaves markers.

git's own merge writes conflict markers into files; a memory with markers in it is a
broken memory on every machine of the team. So the merge is done here, per path, on
git's objects (no working tree involved), and the result is committed with both parents:

- a path changed on one side only takes that side (a deletion included: deletions
  propagate, and history keeps what was deleted);
- changed on both sides: a clean three-way text merge (``git merge-file``) is taken when it
  still parses as a memory; otherwise ours stays and theirs is saved beside it as
  ``name.conflict-<commit>.md``, a valid memory that lint reports. Nothing is lost;
- deleted on one side and edited on the other: the edit survives.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..store.memoryfile import split_frontmatter
from .gitcli import Git
from .screen import CONTROL_FILES

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

#: (mode, object id) of a path in a tree.
Entry = tuple[str, str]


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """The merge commit and what happened to the paths both sides changed."""

    commit: str
    merged: tuple[str, ...] = ()
    conflicts: tuple[tuple[str, str], ...] = ()
    kept_edits: tuple[str, ...] = ()


@dataclass(slots=True)
class _Plan:
    result: dict[str, Entry]
    merged: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)


def tree_entries(git: Git, rev: str | None) -> dict[str, Entry]:
    """Every file of `rev`'s tree: path -> (mode, blob id). {} for None."""
    if rev is None:
        return {}
    raw = git.run(["ls-tree", "-r", "-z", "--full-tree", rev]).stdout
    entries: dict[str, Entry] = {}
    for record in raw.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, _kind, oid = meta.decode().split()
        entries[path.decode("utf-8", "surrogateescape")] = (mode, oid)
    return entries


def read_blobs(git: Git, oids: set[str]) -> dict[str, bytes]:
    """Many blobs in one ``git cat-file --batch`` call (one process, not one per file)."""
    if not oids:
        return {}
    wanted = sorted(oids)
    raw = git.run(["cat-file", "--batch"], input="\n".join(wanted).encode() + b"\n").stdout
    found: dict[str, bytes] = {}
    at = 0
    for oid in wanted:
        end = raw.index(b"\n", at)
        header = raw[at:end].split()
        at = end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        found[oid] = raw[at : at + size]
        at += size + 1
    return found


def blob_id(data: bytes) -> str:
    """git's object id of `data` as a blob, computed here instead of by a git process."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def write_blob(git: Git, data: bytes) -> str:
    return git.run(["hash-object", "-w", "--stdin"], input=data).text.strip()


def _text_merge(git: Git, base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    """The clean three-way merge of three texts, or None when they conflict."""
    with tempfile.TemporaryDirectory(prefix="memdir-merge-") as tmp:
        folder = Path(tmp)
        names = []
        for label, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = folder / label
            path.write_bytes(data)
            names.append(str(path))
        result = git.run(["merge-file", "-p", "--quiet", *names], check=False)
    if result.code != 0:
        return None
    return result.stdout


def _still_a_memory(data: bytes) -> bool:
    """A merged text is only taken when its frontmatter still parses (no broken YAML)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if any(line.startswith(("<<<<<<<", ">>>>>>>")) for line in text.splitlines()):
        return False
    parsed = split_frontmatter(text.removeprefix("\ufeff").replace("\r\n", "\n"))
    return parsed.error is None and bool(parsed.meta)


def conflict_name(path: str, commit: str, taken: set[str]) -> str:
    """``stem.conflict-<commit>.md`` beside `path`, numbered if that is taken too."""
    stem = path[:-3] if path.endswith(".md") else path
    candidate = f"{stem}.conflict-{commit[:8]}.md"
    number = 2
    while candidate in taken:
        candidate = f"{stem}.conflict-{commit[:8]}-{number}.md"
        number += 1
    return candidate


def _both_changed(
    git: Git,
    plan: _Plan,
    path: str,
    b: Entry | None,
    o: Entry | None,
    t: Entry | None,
    theirs: str,
) -> None:
    if o is None:
        # Deleted here, edited there: the edit survives.
        assert t is not None
        plan.result[path] = t
        plan.kept_edits.append(path)
        return
    if t is None:
        plan.kept_edits.append(path)  # edited here, deleted there: ours stays
        return
    if path in CONTROL_FILES:
        return  # the team's settings: ours stays; the next push shares it
    blobs = read_blobs(git, {e[1] for e in (b, o, t) if e is not None})
    merged = _text_merge(git, blobs[b[1]] if b else b"", blobs[o[1]], blobs[t[1]])
    if merged is not None and _still_a_memory(merged):
        plan.result[path] = (o[0], write_blob(git, merged))
        plan.merged.append(path)
        return
    copy = conflict_name(path, theirs, set(plan.result))
    plan.result[copy] = t
    plan.conflicts.append((path, copy))


def write_tree(git: Git, entries: dict[str, Entry], scratch: Path) -> str:
    """A tree object holding exactly `entries`, built in a private index file."""
    scratch.mkdir(parents=True, exist_ok=True)
    index = scratch / "merge.index"
    index.unlink(missing_ok=True)
    env = {"GIT_INDEX_FILE": str(index)}
    lines = b"".join(
        f"{mode} {oid}\t".encode() + path.encode("utf-8", "surrogateescape") + b"\0"
        for path, (mode, oid) in sorted(entries.items())
    )
    git.run(["update-index", "-z", "--index-info"], input=lines, env=env)
    tree = git.run(["write-tree"], env=env).text.strip()
    index.unlink(missing_ok=True)
    return tree


def merge(git: Git, ours: str, theirs: str, *, scratch: Path, message: str) -> MergeOutcome:
    """Merge commit `theirs` into `ours` (neither an ancestor of the other)."""
    found = git.run(["merge-base", ours, theirs], check=False)
    base = found.text.strip() if found.code == 0 else None
    base_tree = tree_entries(git, base)
    our_tree = tree_entries(git, ours)
    their_tree = tree_entries(git, theirs)
    plan = _Plan(dict(our_tree))
    for path in sorted(base_tree.keys() | our_tree.keys() | their_tree.keys()):
        b, o, t = base_tree.get(path), our_tree.get(path), their_tree.get(path)
        if o == t or t == b:
            continue  # same on both sides, or only we changed it
        if o == b:
            if t is None:
                plan.result.pop(path, None)
            else:
                plan.result[path] = t
            continue
        _both_changed(git, plan, path, b, o, t, theirs)
    tree = write_tree(git, plan.result, scratch)
    commit = git.run(["commit-tree", tree, "-p", ours, "-p", theirs, "-m", message]).text.strip()
    return MergeOutcome(commit, tuple(plan.merged), tuple(plan.conflicts), tuple(plan.kept_edits))
