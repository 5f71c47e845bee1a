"""One logged recall, as `query_log.read_queries` gives it to consolidation.

A module of its own so that writing the log (on every recall) never defines a record.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LoggedQuery:
    """One recall: when, what was asked, which files it chose."""

    at: float
    query: str
    files: tuple[str, ...]
