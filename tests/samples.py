"""Captures from the real Claude Code CLI (releases 2.1.112 and 2.1.332), as test fixtures.

Each capture file holds scenarios A–I: the JSON every hook received on stdin
(`hook_stdin`), what the transcript held when each hook ran (`hook_saw_transcript`), and,
for A and C, the transcript's user/attachment/assistant lines (`transcript`) next to the
type of every line the real file had (`transcript_types`). The files are copied into
tests/data/ so the suite needs nothing outside the repository; the originals live in the
workspace's shared/ folder, a sibling of the repository clone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data" / "claude-code-samples"
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared" / "claude-code-samples"
VERSIONS = ("2.1.112", "2.1.332")
# Line types whose captured content the parser reads; the capture keeps only these.
CAPTURED_TYPES = frozenset({"user", "attachment", "assistant"})


def capture_path(version: str) -> Path:
    """The capture file for a release: the repository's copy, else the shared original."""
    name = f"claude-code-{version}.json"
    local = DATA_DIR / name
    return local if local.exists() else SHARED_DIR / name


@cache
def _load(version: str) -> str:
    return capture_path(version).read_text(encoding="utf-8")


def load_capture(version: str) -> dict[str, Any]:
    """A fresh copy of one capture file's JSON (tests may change it freely)."""
    data: dict[str, Any] = json.loads(_load(version))
    return data


def scenarios() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (version, scenario name, scenario) in both captures."""
    for version in VERSIONS:
        for name, scenario in load_capture(version)["scenarios"].items():
            yield version, name, scenario


def scenarios_with_transcript() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The scenarios whose transcript lines were captured."""
    for version, name, scenario in scenarios():
        if scenario.get("transcript"):
            yield version, name, scenario


def rebuild_transcript_lines(scenario: dict[str, Any]) -> list[str]:
    """The transcript file as JSONL lines, one per entry of `transcript_types`.

    Captured lines fill their slots in order; every other slot (queue-operation,
    last-prompt, api-request, extra attachments ...) gets a stub line of that type, so the
    rebuilt file has the real file's length and mix of line types.
    """
    captured = {
        kind: [e for e in scenario["transcript"] if e["type"] == kind] for kind in CAPTURED_TYPES
    }
    lines = []
    for index, kind in enumerate(scenario["transcript_types"]):
        pool = captured.get(kind)
        if pool:
            entry = pool.pop(0)
        else:
            entry = {"type": kind, "uuid": f"stub-{index}", "sessionId": scenario["session_id"]}
        lines.append(json.dumps(entry))
    leftover = [e for pool in captured.values() for e in pool]
    assert not leftover, f"captured lines with no slot in transcript_types: {leftover}"
    return lines


def write_jsonl(path: Path, lines: list[str], *, trailing_newline: bool = True) -> Path:
    """Write JSONL lines to `path` and return it."""
    path.write_text("\n".join(lines) + ("\n" if trailing_newline else ""), encoding="utf-8")
    return path
