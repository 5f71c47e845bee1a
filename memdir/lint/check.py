"""`lint`: one pass over a memory folder that reports every problem, per file and field.

Severity. An **error** is something that breaks loading or is dangerous: a file that
cannot be read, frontmatter that is missing or does not parse, a missing or unknown
``type``, a missing description or one YAML did not read as text (``description: no``
becomes ``False``), and anything that looks like a credential. `memory lint` exits 1
when it finds one. Everything else is a **warning**: the memory still loads and recalls,
but it is weaker than it should be (no ``**Why:**`` line, a relative date, a
description too long for the selector), holds what should not be stored (code,
trees, hashes, traces), or the index drifted or outgrew its caps. A missing ``name`` is
a warning too: the file name stands in for it and nothing breaks.

Index drift (missing entries, dead links) is the only thing ``memory lint --fix``
repairs, through `MemoryDir.sync_index`; the messages say when a problem is fixable.

Rules and severities: `memdir.lint.rules.RULES`.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import MemoryNotFoundError, StoreIOError
from ..fsio import stale_temp_files
from ..progress import Progress
from ..store import index as index_mod
from ..store.filetext import read_memory_text
from ..store.folder import MemoryDir
from ..store.freshness import parse_updated
from ..store.headfields import HEADER_LINES, text_field
from ..store.indexsync import SyncResult, stale_lines
from ..store.scan import iter_markdown, link_problem, parse_header
from ..store.validate import check_secrets, check_text
from ..store.walk import INDEX_NAME
from ..team.screen import CONFLICT_COPY, is_conflict_copy
from ..types import MemoryHeader, MemoryType
from .rules import (
    RULES,
    Finding,
    Severity,
    check_body,
    near_duplicates,
)

__all__ = ["FIXABLE_RULES", "RULES", "LintReport", "Problem", "Verifier", "fix_index", "lint"]

#: The problems ``memory lint --fix`` repairs, through `MemoryDir.sync_index`.
FIXABLE_RULES = frozenset({"index-missing-entry", "index-dead-link", "index-stale-entry"})

#: Checks memory bodies against a project: one tuple of references per body, in order.
Verifier = Callable[[Sequence[str]], list[tuple[Any, ...]]]

_KIND_WORDS = {
    "path": "a file",
    "identifier": "a code name",
    "flag": "a flag",
    "env": "an environment variable",
}
_LINE_NUMBER = re.compile(r"^line (\d+) ")


@dataclass(frozen=True, slots=True)
class Problem:
    """One lint finding: the file (relative to the folder), rule, severity, field, message."""

    file: str
    rule: str
    severity: Severity
    field: str | None
    message: str

    def to_json(self) -> dict[str, str | None]:
        return {
            "file": self.file,
            "rule": self.rule,
            "severity": self.severity,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class LintReport:
    """Every problem found, grouped by file (index last), errors first within a file."""

    problems: tuple[Problem, ...]
    files_checked: int = 0

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")

    def by_file(self) -> dict[str, list[Problem]]:
        """Problems per file, in report order."""
        grouped: dict[str, list[Problem]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.file, []).append(problem)
        return grouped

    def to_json(self) -> dict[str, list[dict[str, str | None]]]:
        """``{"problems": [{"file", "rule", "severity", "field", "message"}, ...]}``."""
        return {"problems": [p.to_json() for p in self.problems]}


@dataclass(slots=True)
class _Pass:
    """What one pass gathers before the cross-file rules run."""

    found: dict[str, list[Finding]]
    headers: list[MemoryHeader]
    descriptions: dict[str, str]
    bodies: dict[str, str]
    root: Path
    files: int = 0


def _check_file(state: _Pass, entry: os.DirEntry[str], filename: str, today: date) -> None:
    found = state.found[filename]
    if is_conflict_copy(filename):
        original = CONFLICT_COPY.sub(".md", filename)
        found.append(
            (
                "team-conflict-copy",
                None,
                f"a teammate's version of {original} that could not be merged line by line; "
                "merge what it adds into that memory, then delete this copy",
            )
        )
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError as exc:
        found.append(("file-unreadable", None, f"cannot stat: {exc.strerror or exc}"))
        return
    if entry.is_symlink():
        found.append(("file-unreadable", None, link_problem(entry.path, state.root)))
        return
    text, reason = read_memory_text(entry.path, size=st.st_size)
    if text is None:
        found.append(("file-unreadable", None, reason or "unreadable"))
        return
    checked = check_text(text, today=today)
    found += checked.findings
    parsed = checked.parsed
    if parsed.error is not None:
        return
    head = "\n".join(text.split("\n", HEADER_LINES)[:HEADER_LINES])
    header, _ = parse_header(Path(entry.path), filename, head, mtime=st.st_mtime, size=st.st_size)
    if header is not None:
        state.headers.append(header)
    meta = parsed.meta
    description = text_field(meta, "description") or ""
    if description:
        state.descriptions[filename] = description
    state.bodies[filename] = parsed.body
    written = parse_updated(meta.get("updated")) or datetime.fromtimestamp(st.st_mtime).date()
    found += check_body(
        kind=MemoryType.parse(meta.get("type")),
        description=description,
        body=parsed.body,
        written=written,
    )


def _index_findings(store: MemoryDir, headers: Sequence[MemoryHeader]) -> list[Finding]:
    if not store.index_path.exists():
        if not headers:
            return []
        return [
            (
                "index-missing-entry",
                None,
                f"MEMORY.md does not exist, so none of the {len(headers)} memories is indexed; "
                "`memory lint --fix` writes it",
            )
        ]
    try:
        text = store.read_index()
    except StoreIOError as exc:
        return [("file-unreadable", None, exc.message)]
    found: list[Finding] = [(rule, None, msg) for rule, _, msg in check_secrets(text, [])]
    present = {h.filename for h in headers}
    _, changes = index_mod.plan_sync(text, headers, fold=store.fold)
    removable = set(changes.removed)
    lines = text.splitlines()
    for rule, message in index_mod.index_problems(
        text, present, store.index_path, style=True, fold=store.fold
    ):
        if rule == "index-missing-entry":
            message += "; `memory lint --fix` adds it"
        elif rule == "index-dead-link":
            number = _LINE_NUMBER.match(message)
            if number and lines[int(number.group(1)) - 1] in removable:
                message += "; `memory lint --fix` drops the line"
        found.append((rule, None, message))
    for line_number, filename in stale_lines(text, headers, store.generated_lines()):
        found.append(
            (
                "index-stale-entry",
                None,
                f"line {line_number} is the entry memdir wrote for {filename}, whose name or "
                "description changed since; `memory lint --fix` rewrites it",
            )
        )
    return found


def _reference_message(ref: Any) -> str:
    what = _KIND_WORDS.get(ref.kind, ref.kind)
    if ref.status == "moved" and ref.hint:
        return (
            f"names `{ref.text}` ({what}), which is not there any more; possibly moved to "
            f"{ref.hint}: update the memory"
        )
    return f"names `{ref.text}` ({what}), which is not found in the project: update or remove it"


def lint(
    store: MemoryDir,
    *,
    project_root: Path | None = None,
    today: date | None = None,
    verifier: Verifier | None = None,
    progress: Progress | None = None,
) -> LintReport:
    """Check every memory file and the index; see the module docstring for severities.

    With `project_root` (or a `verifier`), file paths, code names, flags and environment
    variables named in bodies are checked against the project (rule ``stale-reference``).
    `today` anchors the "updated: in the future" check (default: the local date).
    `progress` hears ``("checking memories", done, total)`` after each memory file.
    `files_checked` counts memory files only: the index is checked too, but it is not a
    memory.

    Raises:
        MemoryNotFoundError: the folder does not exist.
    """
    if not store.exists():
        raise MemoryNotFoundError(
            "no memory folder here; `memory init` creates one", path=store.path
        )
    today = today or date.today()
    state = _Pass(defaultdict(list), [], {}, {}, store.path)
    prefix = len(str(store.path)) + 1
    entries = list(iter_markdown(store.path))
    if progress is not None:
        progress("checking memories", 0, len(entries))
    for entry in entries:
        state.files += 1
        _check_file(state, entry, entry.path[prefix:].replace(os.sep, "/"), today)
        if progress is not None:
            progress("checking memories", state.files, len(entries))

    for group in duplicate_groups(near_duplicates(state.descriptions)):
        first, others = group.members[0], group.members[1:]
        state.found[first].append(
            (
                "near-duplicate",
                "description",
                f"{len(group.members)} descriptions say nearly the same thing "
                f"(up to {group.score:.0%} of words shared): {first}, {', '.join(others)}; "
                "merge them, or make each description specific",
            )
        )
    if verifier is None and project_root is not None:
        from ..verify import ProjectVerifier

        # The memory folder may sit inside the project: its own files prove nothing.
        verifier = ProjectVerifier(
            project_root, state_dir=store.state_path, exclude=(store.path,)
        ).verify_many
    if verifier is not None and state.bodies:
        names = sorted(state.bodies)
        for name, refs in zip(names, verifier([state.bodies[n] for n in names]), strict=True):
            for ref in refs:
                if ref.status != "found":
                    state.found[name].append(("stale-reference", "body", _reference_message(ref)))

    for leftover in stale_temp_files(store.path):
        state.found[leftover.name].append(
            (
                "temp-leftover",
                None,
                "a temporary file of a writer that died mid-save; `memory index` removes it",
            )
        )
    index_found = _index_findings(store, state.headers)
    files = state.files
    problems: list[Problem] = []
    ordered = [(name, state.found[name]) for name in sorted(state.found)]
    for file, findings in [*ordered, (INDEX_NAME, index_found)]:
        batch = [
            Problem(file, rule, RULES[rule].severity, field, msg) for rule, field, msg in findings
        ]
        problems += sorted(batch, key=lambda p: p.severity != "error")
    return LintReport(tuple(problems), files)


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Memories whose descriptions say nearly the same thing, linked pair by pair."""

    members: tuple[str, ...]
    score: float


def duplicate_groups(pairs: Sequence[tuple[str, str, float]]) -> list[DuplicateGroup]:
    """Near-duplicate pairs joined into groups (one per cluster), sorted by first member.

    Why: 230 similar notes make 26,000 pairs; a person acts on clusters, not pairs.
    """
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    best: dict[str, float] = {}
    for a, b, _ in pairs:
        parent[root(a)] = root(b)
    for a, _, score in pairs:
        top = root(a)
        best[top] = max(best.get(top, 0.0), score)
    clusters: dict[str, list[str]] = defaultdict(list)
    for name in list(parent):
        clusters[root(name)].append(name)
    groups = [
        DuplicateGroup(tuple(sorted(members)), best[top]) for top, members in clusters.items()
    ]
    return sorted(groups, key=lambda g: g.members)


def fix_index(store: MemoryDir, report: LintReport) -> SyncResult | None:
    """Repair the index when `report` found something fixable; None when nothing was.

    Missing entries are added, entries of files that are gone dropped, and memdir's own
    lines whose memory changed rewritten; lines of files that exist but do not parse,
    and lines people wrote, are kept.
    """
    if not any(p.rule in FIXABLE_RULES for p in report.problems):
        return None
    return store.sync_index()
