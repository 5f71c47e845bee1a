"""The checks behind `memdir.lint.check`: one memory file's fields and body, and near-duplicates.

Each check returns findings as ``(rule, field, message)``; `memdir.lint.check` adds the file
and the severity from `RULES`. Messages say what is wrong and what to write instead.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import yaml

from ..store.content import derivable_content
from ..store.freshness import parse_updated
from ..store.memoryfile import MAX_DESCRIPTION, ParsedHead, field_problem
from ..store.secrets import find_secrets
from ..types import MemoryType
from .dates import find_relative_dates

Severity = Literal["error", "warning"]
#: One finding in one file: (rule id, frontmatter field or "body" or None, message).
Finding = tuple[str, str | None, str]

#: Descriptions longer than this are reported; the selector reads one short line.
DESCRIPTION_WARN_CHARS = 150
#: Dice similarity of two descriptions' word sets from which they count as duplicates.
DUPLICATE_SIMILARITY = 0.6
#: Fewer shared words than this is never a duplicate (short descriptions match by chance).
DUPLICATE_MIN_SHARED = 3


@dataclass(frozen=True, slots=True)
class Rule:
    """A lint rule: its severity and what it checks, for `memory lint` and the docs."""

    severity: Severity
    summary: str


RULES: Mapping[str, Rule] = {
    "file-unreadable": Rule("error", "file cannot be read as UTF-8 text, or is too big"),
    "frontmatter-missing": Rule("error", "no frontmatter block at the top"),
    "frontmatter-invalid": Rule("error", "frontmatter does not parse or does not close"),
    "frontmatter-lenient": Rule("warning", "frontmatter parses only leniently"),
    "type-missing": Rule("error", "no type"),
    "type-unknown": Rule("error", "type outside user, feedback, project, reference"),
    "description-missing": Rule("error", "no description, or an empty one"),
    "description-not-text": Rule("error", "YAML read the description as a non-string"),
    "description-multiline": Rule("warning", "description spans several lines"),
    "description-too-long": Rule("warning", f"description over {DESCRIPTION_WARN_CHARS} chars"),
    "name-missing": Rule("warning", "no name (the file name is used)"),
    "name-not-text": Rule("warning", "YAML read the name as a non-string"),
    "updated-invalid": Rule("warning", "updated: is not a date, or is in the future"),
    "why-missing": Rule("warning", "feedback/project memory without a **Why:** line"),
    "how-to-apply-missing": Rule("warning", "feedback/project without **How to apply:**"),
    "relative-date": Rule("warning", "project memory with a relative date"),
    "derivable-code-block": Rule("warning", "holds a code block"),
    "derivable-tree": Rule("warning", "holds a directory tree"),
    "derivable-commit": Rule("warning", "names a commit hash"),
    "derivable-stack-trace": Rule("warning", "holds a stack trace"),
    "secret": Rule("error", "holds something that looks like a credential"),
    "index-missing-entry": Rule("warning", "MEMORY.md has no entry for a memory"),
    "index-dead-link": Rule("warning", "MEMORY.md links to a file that is gone"),
    "index-long-line": Rule("warning", "MEMORY.md line over 150 characters"),
    "index-too-long": Rule("warning", "MEMORY.md over the 200-line cap"),
    "index-too-big": Rule("warning", "MEMORY.md over the 25,000-byte cap"),
    "near-duplicate": Rule("warning", "two descriptions say the same thing"),
    "stale-reference": Rule("warning", "names a file or symbol the project no longer has"),
    "team-conflict-copy": Rule("warning", "the other side of a team memory edited twice"),
}

# "**Why:**", "**Why**:", "__why:__" ... anywhere on a line.
_WHY = re.compile(r"(\*\*|__)\s*why\s*(?::\s*\1|\1\s*:)", re.IGNORECASE)
_HOW = re.compile(r"(\*\*|__)\s*how\s+to\s+apply\s*(?::\s*\1|\1\s*:)", re.IGNORECASE)
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):")


def frontmatter_lines(text: str) -> list[str]:
    """The raw lines between the opening and closing ``---`` (empty when there is none)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return []
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return lines[1:i]
    return []


def _lenient_key(block: Sequence[str]) -> str | None:
    """The first key whose line is not valid YAML on its own (the one to quote)."""
    for line in block:
        match = _KEY_LINE.match(line)
        if match is None:
            continue
        try:
            yaml.safe_load(line)
        except yaml.YAMLError:
            return match.group(1)
    return None


def check_frontmatter(text: str, parsed: ParsedHead) -> tuple[list[Finding], bool]:
    """Findings about the block itself, and whether its fields are worth checking."""
    if parsed.error is not None:
        return [
            ("frontmatter-invalid", "frontmatter", f"{parsed.error}; the file is skipped")
        ], False
    if text.split("\n", 1)[0].strip() != "---":
        return [
            (
                "frontmatter-missing",
                "frontmatter",
                "no frontmatter; start the file with a --- block holding name, description "
                "and type",
            )
        ], False
    if parsed.lenient is None:
        return [], True
    key = _lenient_key(frontmatter_lines(text))
    where = f"the {key} value" if key else "a value"
    return [
        (
            "frontmatter-lenient",
            key,
            f"{parsed.lenient}; memdir reads it leniently but other tools will not: put {where} "
            "in quotes",
        )
    ], True


def check_fields(meta: Mapping[str, Any], *, today: date) -> list[Finding]:
    """type, description, name and updated."""
    found: list[Finding] = []
    raw_type = meta.get("type")
    if raw_type is None or (isinstance(raw_type, str) and not raw_type.strip()):
        found.append(("type-missing", "type", f"no type; use one of: {_choices()}"))
    elif MemoryType.parse(raw_type) is None:
        close = difflib.get_close_matches(str(raw_type).lower(), MemoryType.choices(), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        found.append(
            ("type-unknown", "type", f"type {raw_type!r} is not one of: {_choices()}{hint}")
        )

    problem = field_problem(meta, "description")
    if problem in ("missing", "is empty"):
        found.append(
            (
                "description-missing",
                "description",
                f"description {problem}; recall selects memories by this line alone",
            )
        )
    elif problem is not None:
        found.append(("description-not-text", "description", f"description {problem}"))
    else:
        found += _description_shape(meta["description"].strip())

    problem = field_problem(meta, "name")
    if problem in ("missing", "is empty"):
        found.append(("name-missing", "name", f"name {problem}; the file name stands in for it"))
    elif problem is not None:
        found.append(("name-not-text", "name", f"name {problem}"))

    if meta.get("updated") is not None:
        updated = parse_updated(meta["updated"])
        if updated is None:
            found.append(
                (
                    "updated-invalid",
                    "updated",
                    f"updated: {meta['updated']!r} is not a date; write it as YYYY-MM-DD "
                    "(the file's mtime is used meanwhile)",
                )
            )
        elif updated > today:
            found.append(
                (
                    "updated-invalid",
                    "updated",
                    f"updated: {updated} is in the future (today is {today})",
                )
            )
    return found


def _choices() -> str:
    return ", ".join(MemoryType.choices())


def _description_shape(description: str) -> list[Finding]:
    found: list[Finding] = []
    if "\n" in description:
        found.append(
            (
                "description-multiline",
                "description",
                f"description spans {description.count(chr(10)) + 1} lines; the selector reads "
                "one line per memory, so write one",
            )
        )
    if len(description) > DESCRIPTION_WARN_CHARS:
        refuse = (
            f"; edits through memdir refuse over {MAX_DESCRIPTION}"
            if (len(description) > MAX_DESCRIPTION)
            else ""
        )
        found.append(
            (
                "description-too-long",
                "description",
                f"description is {len(description)} characters (over {DESCRIPTION_WARN_CHARS}); "
                f"keep the specific part and move detail into the body{refuse}",
            )
        )
    return found


def check_body(
    *, kind: MemoryType | None, description: str, body: str, written: date
) -> list[Finding]:
    """Structure, relative dates and derivable content of a memory's body."""
    found: list[Finding] = []
    if kind in (MemoryType.FEEDBACK, MemoryType.PROJECT):
        if not _WHY.search(body):
            found.append(
                ("why-missing", "body", f"{kind} memory without a **Why:** line giving the reason")
            )
        if not _HOW.search(body):
            found.append(
                (
                    "how-to-apply-missing",
                    "body",
                    f"{kind} memory without a **How to apply:** line saying when it matters",
                )
            )
    if kind is MemoryType.PROJECT:
        for field, text in (("description", description), ("body", body)):
            for rel in find_relative_dates(text, written=written):
                found.append(
                    (
                        "relative-date",
                        field,
                        f"says '{rel.text}'; written {written.isoformat()}, that is most likely "
                        f"{rel.meant} — write the date",
                    )
                )
    for rule, message in derivable_content(body):
        found.append((rule, "body", message))
    return found


def check_secrets(text: str, frontmatter: Sequence[str]) -> list[Finding]:
    """Credential-shaped strings anywhere in the file; the message never holds the secret."""
    found: list[Finding] = []
    for match in find_secrets(text):
        field = "body"
        if 1 < match.line <= len(frontmatter) + 1:
            key = _KEY_LINE.match(frontmatter[match.line - 2])
            field = key.group(1) if key else "frontmatter"
        found.append(
            (
                "secret",
                field,
                f"line {match.line} looks like a {match.kind} ({match.preview}); remove it from "
                "the file and its git history, and rotate the credential",
            )
        )
    return found


# -- near-duplicates ------------------------------------------------------------------

_TOKEN = re.compile(r"\d{4}-\d\d-\d\d|\d+(?:[.,]\d+)*%?|[^\W_]+(?:['’][^\W_]+)*")
# Words people swap when they restate the same fact. Kept to phrasing, not topics:
# folding "deploy" into "release" would make distinct memories about one topic collide.
_SAME_WORDS = (
    "answer reply response",
    "short terse brief concise",
    "start begin lead",
    "prefer want like",
    "engineer developer programmer dev",
    "database db",
    "mock fake stub",
)
# Words too generic to tell two rules apart ("never", "use"), on top of the selector's
# stop words: two memories about one area share them without saying the same thing.
_GENERIC = frozenset("always never avoid use uses used using need needs instead every each".split())


class _Words:
    """Turns a description into its set of stemmed content words."""

    def __init__(self) -> None:
        import snowballstemmer

        from ..recall._vocab import STOP_WORDS

        self._stop = STOP_WORDS
        self._stemmer = snowballstemmer.stemmer("english")
        self._canon: dict[str, str] = {}
        for group in _SAME_WORDS:
            stems = [self._stemmer.stemWord(w) for w in group.split()]
            for stem in stems:
                self._canon[stem] = stems[0]

    def __call__(self, text: str) -> frozenset[str]:
        out: set[str] = set()
        for raw in _TOKEN.findall(text.lower()):
            word = raw.replace("'", "").replace("’", "")
            if word in self._stop or word in _GENERIC or (len(word) < 2 and not word.isdigit()):
                continue
            if not word[0].isdigit():
                word = self._stemmer.stemWord(word)
            out.add(self._canon.get(word, word))
        return frozenset(out)


def near_duplicates(descriptions: Mapping[str, str]) -> list[tuple[str, str, float]]:
    """Pairs of files whose descriptions say nearly the same thing, with their similarity.

    Similarity is the Dice coefficient of stemmed content-word sets. Candidates come from
    a prefix filter (two sets can only reach the threshold if they share one of their
    rarer words), so large folders are not compared pair by pair.
    """
    words = _Words()
    sets = {name: words(text) for name, text in descriptions.items()}
    sets = {name: s for name, s in sets.items() if len(s) >= DUPLICATE_MIN_SHARED}
    df: dict[str, int] = defaultdict(int)
    for s in sets.values():
        for w in s:
            df[w] += 1
    t = DUPLICATE_SIMILARITY
    postings: dict[str, list[str]] = defaultdict(list)
    candidates: set[tuple[str, str]] = set()
    for name in sorted(sets):
        ordered = sorted(sets[name], key=lambda w: (df[w], w))
        # Overlap needed against any partner: Dice >= t implies |A & B| >= t|A| / (2 - t).
        need = max(DUPLICATE_MIN_SHARED, math.ceil(t * len(ordered) / (2 - t) - 1e-9))
        for w in ordered[: len(ordered) - need + 1]:
            for other in postings[w]:
                candidates.add((other, name))
            postings[w].append(name)
    found = []
    for a, b in sorted(candidates):
        shared = len(sets[a] & sets[b])
        score = 2 * shared / (len(sets[a]) + len(sets[b]))
        if shared >= DUPLICATE_MIN_SHARED and score >= t:
            found.append((a, b, round(score, 2)))
    return found
