"""Recall: for a query, the few memories worth reading now, with their freshness.

scan headers → drop what this session already saw → select at most five (model, else
offline) → read each within its caps → freshness and verification notes → result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ModelError
from ..model.config import ModelConfig
from ..stats import Stats
from ..store.folder import MemoryDir
from ..store.freshness import age_days, freshness_note
from ..types import MemoryHeader
from .bodies import read_capped
from .offline import OfflineSelector
from .query_log import append_query
from .result import RecalledMemory, RecallResult
from .session import SessionStore
from .tokenize import is_selectable_query

if TYPE_CHECKING:
    from ..model.boundary import MessageCreator
    from ..verify import Reference

MAX_SELECTED = 5
#: End-to-end time budget for a recall that asks the model.
DEFAULT_BUDGET_S = 3.0

#: verify_many(bodies) -> one tuple of references per body (see memdir.verify.project).
Verifier = Callable[[Sequence[str]], "list[tuple[Reference, ...]]"]


class Recaller:
    """Runs recall for one memory folder; keep one around to reuse its warm caches."""

    def __init__(
        self,
        store: MemoryDir,
        *,
        model: MessageCreator | None = None,
        config: ModelConfig | None = None,
        project_root: Path | None = None,
        verifier: Verifier | None = None,
    ) -> None:
        self.store = store
        self.config = config if config is not None else ModelConfig.from_env()
        self._model = model
        self.project_root = project_root
        self._verifier = verifier
        self.selector = OfflineSelector(
            cache_file=store.state_path / "cache" / f"{store.key}.tokens.cache"
        )
        self.sessions = SessionStore(store.state_path)
        self.stats = Stats(store.state_path)

    @property
    def model(self) -> MessageCreator | None:
        """The model client, or None when no model is configured."""
        if self._model is None and self.config.configured:
            from ..model.boundary import ModelBoundary

            self._model = ModelBoundary(self.config, state_dir=self.store.state_path)
        return self._model

    def _verify(self, bodies: Sequence[str]) -> list[tuple[Reference, ...]]:
        if self._verifier is None:
            if self.project_root is None:
                return [() for _ in bodies]
            from ..verify import ProjectVerifier

            # The memory folder may sit inside the project: its own files must not count
            # as evidence that what they name still exists.
            self._verifier = ProjectVerifier(
                self.project_root, state_dir=self.store.state_path, exclude=(self.store.path,)
            ).verify_many
        return self._verifier(bodies)

    def recall(
        self,
        query: str,
        *,
        session_id: str | None = None,
        tools: Sequence[str] = (),
        offline: bool = False,
        budget_s: float = DEFAULT_BUDGET_S,
        mark_surfaced: bool = True,
        limit: int | None = None,
    ) -> RecallResult:
        """The at most five memories that will clearly help with `query`.

        With `limit`, up to that many: the memories that clear the cut-off first, then
        the best of the rest, marked `low_confidence` (for callers that want exactly k).

        Raises:
            ValueError: `limit` is below 1.
        """
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        started = time.monotonic()
        use_model = not offline and self.model is not None
        selector = "llm" if use_model else "offline"
        reason: str | None = None
        if not use_model:
            reason = (
                "offline requested" if offline else "no model configured (set ANTHROPIC_API_KEY)"
            )
        if not is_selectable_query(query):
            return RecallResult(
                query, selector, reason, (), skipped="query has fewer than two words"
            )
        report = self.store.scan()
        session = self.sessions.get(session_id)
        seen = session.surfaced
        candidates = [h for h in report.memories if str(h.path) not in seen]
        if session_id and session.bytes_left <= 0:
            return RecallResult(query, selector, reason, (), skipped="session byte budget used up")
        why: dict[str, str] = {}
        # Filename -> (score, query words that matched), for offline picks only.
        matched: dict[str, tuple[float, tuple[str, ...]]] = {}
        chosen: list[MemoryHeader] = []
        weak: set[str] = set()
        if use_model and candidates:
            assert self.model is not None
            from .model_selector import MAX_CANDIDATES, select_with_model

            shown = self.selector.prefilter(query, candidates, limit=MAX_CANDIDATES)
            remaining = budget_s - (time.monotonic() - started)
            try:
                chosen = select_with_model(
                    self.model, query, shown, tools=tools, budget_s=remaining
                )
                why = {h.filename: "chosen by the model" for h in chosen}
            except ModelError as exc:
                selector = "offline"
                reason = f"model call failed ({exc.kind}): {exc.message}"
                self.stats.bump(recall_fallbacks=1)
        wanted = limit if limit is not None else MAX_SELECTED
        if selector == "offline" or len(chosen) < wanted and limit is not None:
            # Every memory is scored, the session's ones too, so the bar stays put for a
            # query however much the session has seen; those are then left out.
            taken = seen | {str(h.path) for h in chosen}
            ranked = self.selector.rank(
                query,
                report.memories,
                limit=wanted - len(chosen),
                exclude=taken,
                fill=limit is not None,
            )
            for scored in ranked:
                chosen.append(scored.header)
                matched[scored.header.filename] = (scored.score, scored.matched_words)
                terms = ", ".join(scored.matched_words)
                if scored.confident and selector == "offline":
                    why[scored.header.filename] = f"score {scored.score:.2f}; matched: {terms}"
                else:
                    weak.add(scored.header.filename)
                    why[scored.header.filename] = (
                        f"a weaker match, to fill up to {wanted} (score {scored.score:.2f}; "
                        f"matched: {terms})"
                    )
        self.selector.save_cache()
        memories = self._read(
            chosen, why, weak, matched, session.bytes_left if session_id else None
        )
        if mark_surfaced and session_id:
            self.mark_surfaced(session_id, memories)
        # One appended line, so consolidation can replay what recall used to find.
        append_query(
            self.store.state_path, self.store.path, query, [m.header.filename for m in memories]
        )
        self.stats.tally(recalls=1, recalled_memories=len(memories))
        return RecallResult(query, selector, reason, tuple(memories))

    def _read(
        self,
        chosen: Sequence[MemoryHeader],
        why: dict[str, str],
        weak: set[str],
        matched: dict[str, tuple[float, tuple[str, ...]]],
        bytes_left: int | None,
    ) -> list[RecalledMemory]:
        read: list[tuple[MemoryHeader, str, bool]] = []
        used = 0
        for header in chosen:
            try:
                content, truncated = read_capped(header.path)
            except OSError:
                continue  # deleted since the scan: nothing to show
            size = len(content.encode("utf-8"))
            if bytes_left is not None and used + size > bytes_left:
                break
            used += size
            read.append((header, content, truncated))
        refs = self._verify([content for _, content, _ in read])
        authors = self._team_authors([header for header, _, _ in read])
        out = []
        for (header, content, truncated), references in zip(read, refs, strict=True):
            age = age_days(header.mtime, header.updated)
            score, words = matched.get(header.filename, (None, ()))
            out.append(
                RecalledMemory(
                    # The scan's snippet served selection; `content` is the body now.
                    header=replace(header, snippet="") if header.snippet else header,
                    age_days=age,
                    freshness=freshness_note(age),
                    content=content,
                    truncated=truncated,
                    why=why.get(header.filename, ""),
                    score=score,
                    matched=words,
                    low_confidence=header.filename in weak,
                    references=tuple(references),
                    author=authors.get(header.filename.removeprefix("team/"))
                    if header.source == "team"
                    else None,
                )
            )
        return out

    def _team_authors(self, headers: Sequence[MemoryHeader]) -> dict[str, str]:
        """Who last changed each team memory, read only when one is being shown."""
        if not any(h.source == "team" for h in headers):
            return {}
        from ..team.authors import read_authors

        return read_authors(self.store.path, self.store.state_path)

    def mark_surfaced(self, session_id: str, memories: Sequence[RecalledMemory]) -> None:
        """Record memories as seen by the session so later recalls skip them."""
        self.sessions.mark(
            session_id, [(str(m.header.path), len(m.content.encode("utf-8"))) for m in memories]
        )
