"""Shared by the tests of the persisted index and of the in-memory postings of a first
build: a small folder, queries over it, and ways to read an index file."""

from __future__ import annotations

import marshal
import os
import sqlite3
from pathlib import Path

import pytest

from memdir.recall.indexed import IndexedSelector
from memdir.recall.offline import OfflineSelector
from memdir.store.folder import MemoryDir

MEMORIES = {
    "billing_deploys.md": ("Billing deploys", "Billing deploys happen on Tuesdays after freezes"),
    "grafana.md": ("Grafana ledger", "Grafana dashboard that shows ledger latency"),
    "refunds.md": ("Refund rounding", "Refunds are rounded half-even in the invoice currency"),
    "oncall.md": ("On-call", "Who is on call for the payments webhooks and retries"),
    "postgres.md": ("Postgres failover", "Postgres failover runbook: promote the replica"),
    "goimports.md": ("Go tooling", "Run goimports before committing Go code"),
    "latency.md": ("Latency budget", "The latency budget for checkout is 300 ms"),
    "team/deploys.md": ("Team deploys", "Deploy calendar shared by the team"),
}
QUERIES = [
    "when do billing deploys happen",
    "which grafana dashboard shows ledger latency",
    "how are refunds rounded in the invoice currency",
    "postgres failover replica promotion",
    "fix the imports before commit",
    "late fee on an overdue invoice",
    "deploy calendar of the team",
    "write a haiku about autumn leaves",
]


def write(folder: Path, filename: str, name: str, description: str, *, body: str = "") -> Path:
    path = folder / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    head = f"---\nname: {name}\ndescription: {description}\ntype: project\n---\n"
    path.write_text(f"{head}\n{body or description}\n")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "memories"
    for i, (filename, (name, description)) in enumerate(sorted(MEMORIES.items())):
        path = write(root, filename, name, description)
        os.utime(path, (1_700_000_000 + i * 1000, 1_700_000_000 + i * 1000))
    return root


def expected(folder: Path, query: str, *, limit: int = 5, fill: bool = False) -> list[tuple]:
    memories = MemoryDir(folder, state=folder.parent / "scan-state").scan(use_cache=False)
    ranked = OfflineSelector().rank(query, memories.memories, limit=limit, fill=fill)
    return [(s.header.filename, s.score, s.matched_terms, s.confident) for s in ranked]


def picked(selector: IndexedSelector, query: str, *, limit: int = 5, fill: bool = False) -> list:
    return [(p[0], p[5], p[6], p[8]) for p in selector.rank(query, limit=limit, fill=fill)]


def selector_for(folder: Path, file: Path) -> IndexedSelector:
    selector = IndexedSelector(str(folder), index_file=str(file))
    selector.refresh()
    return selector


def all_postings(file: Path) -> dict[str, dict[str, float]]:
    """Term -> {filename: weight}: the index's content, independent of document ids."""
    with sqlite3.connect(file) as db:
        names = dict(db.execute("SELECT id, filename FROM docs"))
        return {
            term: {names[d]: w for d, w in marshal.loads(blob).items()}
            for term, blob in db.execute("SELECT term, posting FROM terms")
        }


def assert_consistent(file: Path) -> None:
    """The postings hold exactly the weights of the visible documents, and the count."""
    with sqlite3.connect(file) as db:
        wanted: dict[str, dict[int, float]] = {}
        for doc, weights in db.execute("SELECT id, weights FROM docs WHERE visible = 1"):
            for term, weight in marshal.loads(weights).items():
                wanted.setdefault(term, {})[doc] = weight
        stored = {t: marshal.loads(b) for t, b in db.execute("SELECT term, posting FROM terms")}
        count = db.execute("SELECT value FROM meta WHERE key = 'documents'").fetchone()[0]
    assert stored == wanted
    assert count == sum(1 for _ in {d for p in wanted.values() for d in p})
