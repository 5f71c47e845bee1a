"""The recall result's one wire format: `to_json` then `from_json` gives the same result."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from memdir.recall import RecalledMemory, Recaller, RecallResult
from memdir.store.folder import MemoryDir
from memdir.types import MemoryHeader, MemoryType
from memdir.verify.references import Reference


def _memory(**changes: object) -> RecalledMemory:
    header = MemoryHeader(
        path=Path("/m/deploy.md"),
        filename="deploy.md",
        name="Deploy steps",
        description="How we deploy billing",
        type=MemoryType.PROJECT,
        raw_type="project",
        mtime=1_767_000_000.123456,
        size=321,
        updated=date(2026, 3, 5),
    )
    fields: dict[str, object] = {
        "header": header,
        "age_days": 47,
        "freshness": "This memory is 47 days old.",
        "content": "Run `make deploy` from `ops/deploy.sh`.",
        "truncated": True,
        "why": "score 1.20; matched: deploy",
        "references": (
            Reference("ops/deploy.sh", "path", "moved", hint="scripts/deploy.sh"),
            Reference("make deploy", "identifier", "found"),
        ),
        "low_confidence": True,
        "score": 1.2,
        "matched": ("deploy",),
    }
    fields.update(changes)
    return RecalledMemory(**fields)  # type: ignore[arg-type]


def _round_trip(result: RecallResult) -> RecallResult:
    return RecallResult.from_json(json.loads(json.dumps(result.to_json())))


def test_every_field_survives_the_round_trip() -> None:
    untyped = _memory().header.__class__(
        path=Path("/m/old note.md"),
        filename="sub/old note.md",
        name="Old",
        description="",
        type=None,
        raw_type="legacy",
        mtime=0.5,
        size=0,
    )
    result = RecallResult(
        query="how do we deploy?",
        selector="offline",
        fallback_reason="model call failed (timeout): slow",
        memories=(
            _memory(),
            _memory(header=untyped, references=(), low_confidence=False),
            _memory(header=replace(untyped, filename="team/shared.md"), author="Ana"),
        ),
        skipped=None,
    )
    again = _round_trip(result)
    assert again == result
    assert again.render() == result.render()
    assert "shared by teammate Ana" in again.render()


def test_an_empty_skipped_result_survives_the_round_trip() -> None:
    result = RecallResult("deploy", "llm", None, (), skipped="query has fewer than two words")
    assert _round_trip(result) == result


def test_a_real_recall_survives_the_round_trip(tmp_path: Path) -> None:
    store = MemoryDir(tmp_path / "m", state=tmp_path / "state")
    store.init()
    store.save(
        name="Deploy steps",
        description="How we deploy the billing service to staging",
        type="project",
        body="Run make deploy-staging, then check the dashboard.",
    )
    result = Recaller(store).recall("how do we deploy billing to staging", offline=True)
    assert result.memories and result.memories[0].why
    assert _round_trip(result) == result


def test_something_else_is_refused() -> None:
    with pytest.raises(KeyError):
        RecallResult.from_json({"selector": "offline"})
    bad = _memory().to_json()
    bad["references"] = [{"text": "x", "kind": "spell", "status": "found", "hint": None}]
    with pytest.raises(ValueError):
        RecalledMemory.from_json(bad)
