"""Search: every memory whose name, description or body has a word of the text.

For people looking for a memory (`memory search`), not for an agent that needs the five
that help: one word is enough, nothing is cut off, and the whole body is searched. Words
match through the same tokenizer as recall (stemmed in each memory's own language, so a
German word finds a German memory), weighted by where they occur and how rare they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store.filetext import read_memory_text
from ..store.folder import MemoryDir
from ..store.freshness import age_days
from ..store.memoryfile import split_frontmatter
from ..types import MemoryHeader, MemoryType
from .tokenize import Tokenizer, detect_language

if TYPE_CHECKING:
    from ..verify import Reference

#: Weight of a word found in the description, the name, the file name and the body.
_FIELD_WEIGHTS = (3.0, 2.0, 1.5, 1.0)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One memory that matched: how well, on which words, and how old it is.

    `stale` holds what the memory names that the project no longer has (only filled
    when the search was asked for stale memories).
    """

    header: MemoryHeader
    score: float
    matched: tuple[str, ...]
    age_days: int
    stale: tuple[Reference, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``--json``."""
        h = self.header
        return {
            "filename": h.filename,
            "path": str(h.path),
            "type": h.type.value if h.type else None,
            "name": h.name,
            "description": h.description,
            "age_days": self.age_days,
            "score": self.score,
            "matched": list(self.matched),
            "stale": [r.to_json() for r in self.stale],
        }


def search(
    store: MemoryDir,
    text: str,
    *,
    type: MemoryType | str | None = None,
    older_than: int | None = None,
    stale_in: Path | None = None,
) -> list[SearchHit]:
    """Every memory matching a word of `text`, best first (most words matched, then score,
    then newest).

    `type` keeps one type, `older_than` memories at least that many days old, and
    `stale_in` (a project root) only memories naming files or symbols that project no
    longer has.
    """
    wanted = MemoryType.parse(type) if type is not None else None
    headers = [
        h
        for h in store.scan().memories
        if (wanted is None or h.type == wanted)
        and (older_than is None or age_days(h.mtime, h.updated) >= older_than)
    ]
    tokenizer = Tokenizer()
    docs: list[tuple[MemoryHeader, list[set[str]], str, str]] = []
    for header in headers:
        body = _body(header)
        language = detect_language(f"{header.description}\n{header.name}\n{body}")
        texts = (header.description, header.name, header.stem, body)
        docs.append((header, [set(tokenizer.terms(t, language)) for t in texts], body, language))
    # The query in each memory's language: a German word must meet German stems.
    query_terms: dict[str, list[str]] = {}
    df: dict[str, int] = {}
    matches: list[tuple[MemoryHeader, dict[str, float], str]] = []
    for header, fields, body, language in docs:
        terms = query_terms.get(language)
        if terms is None:
            terms = query_terms[language] = list(dict.fromkeys(tokenizer.terms(text, language)))
        found: dict[str, float] = {}
        for term in terms:
            weight = sum(w for w, f in zip(_FIELD_WEIGHTS, fields, strict=True) if term in f)
            if weight:
                found[term] = weight
                df[term] = df.get(term, 0) + 1
        if found:
            matches.append((header, found, body))
    n = len(docs)
    hits = []
    for header, found, _ in matches:
        score = sum(w * math.log(1.0 + n / df[t]) for t, w in found.items())
        hits.append(
            SearchHit(header, round(score, 6), tuple(found), age_days(header.mtime, header.updated))
        )
    if stale_in is not None:
        hits = _stale_only(store, hits, {m[0].filename: m[2] for m in matches}, stale_in)
    hits.sort(key=lambda h: (-len(h.matched), -h.score, -h.header.changed_at, h.header.filename))
    return hits


def _body(header: MemoryHeader) -> str:
    text, _ = read_memory_text(header.path, size=header.size)
    return split_frontmatter(text).body if text is not None else header.snippet


def _stale_only(
    store: MemoryDir, hits: Sequence[SearchHit], bodies: dict[str, str], root: Path
) -> list[SearchHit]:
    from ..verify import ProjectVerifier

    verifier = ProjectVerifier(root, state_dir=store.state_path, exclude=(store.path,))
    checked = verifier.verify_many([bodies[h.header.filename] for h in hits])
    out = []
    for hit, refs in zip(hits, checked, strict=True):
        stale = tuple(r for r in refs if r.status != "found")
        if stale:
            out.append(SearchHit(hit.header, hit.score, hit.matched, hit.age_days, stale))
    return out
