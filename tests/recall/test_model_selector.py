from datetime import date
from pathlib import Path

import pytest

from memdir.errors import ModelError
from memdir.recall.model_selector import (
    MAX_CANDIDATES,
    MAX_TOKENS,
    SCHEMA,
    build_request,
    manifest_line,
    parse_selection,
)
from memdir.types import MemoryHeader, MemoryType


def header(filename: str, *, updated: date | None = None) -> MemoryHeader:
    return MemoryHeader(
        path=Path("/m") / filename,
        filename=filename,
        name=filename[:-3],
        description=f"about {filename[:-3]}",
        type=MemoryType.FEEDBACK,
        raw_type="feedback",
        mtime=1_800_000_000.0,  # 2027-01-15T08:00:00Z
        size=10,
        updated=updated,
    )


def test_manifest_line_form_and_updated_date() -> None:
    assert manifest_line(header("a.md")) == "- [feedback] a.md (2027-01-15T08:00:00Z): about a"
    dated = manifest_line(header("b.md", updated=date(2026, 3, 5)))
    assert dated.startswith("- [feedback] b.md (2026-03-0")  # local midnight, shown in UTC


def test_request_caches_the_manifest_and_not_the_query() -> None:
    request = build_request("why?", [header("a.md")], tools=["Bash"])
    assert request["max_tokens"] == MAX_TOKENS == 256
    assert request["output_config"]["format"]["schema"] == SCHEMA
    manifest, query = request["messages"][0]["content"]
    assert manifest["cache_control"] == {"type": "ephemeral"} and "cache_control" not in query
    assert query["text"] == "Request: why?\nTools the agent used recently: Bash"
    assert MAX_CANDIDATES == 200


def test_parse_keeps_order_drops_unknown_and_repeats_and_cuts_to_five() -> None:
    candidates = [header(f"{c}.md") for c in "abcdefg"]
    text = '{"selected_memories": ["g.md", "x.md", "a.md", "a.md", "b.md", "c.md", "d.md", "e.md"]}'
    chosen = parse_selection(text, candidates)
    assert [h.filename for h in chosen] == ["g.md", "a.md", "b.md", "c.md", "d.md"]


@pytest.mark.parametrize(
    "text", ["not json", '{"other": []}', '{"selected_memories": "a.md"}', "[]"]
)
def test_malformed_answers_are_model_errors(text: str) -> None:
    with pytest.raises(ModelError) as info:
        parse_selection(text, [header("a.md")])
    assert info.value.kind == "malformed"
