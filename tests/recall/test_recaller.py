"""Recall end to end: offline, against the fake Anthropic server, and every failure mode."""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import anthropic  # noqa: F401 - pay the SDK import here, not inside a timed budget
import pytest

from memdir.model import ModelBoundary, ModelConfig
from memdir.recall.bodies import MAX_BYTES, read_capped
from memdir.recall.model_selector import MAX_TOKENS, SCHEMA
from memdir.recall.recaller import Recaller
from memdir.stats import Stats
from memdir.store.folder import MemoryDir
from memdir.store.memoryfile import set_updated
from tests.fake_anthropic import FakeAnthropic

TOPICS = {
    "deploy_freeze": ("project", "No production deploys from 2026-12-20 to 2027-01-05"),
    "webhook_retries": ("feedback", "Webhook handlers must be idempotent because providers retry"),
    "grafana_board": ("reference", "Grafana board for payment latency and error rates"),
    "user_role": ("user", "Backend lead who knows Postgres deeply and is new to React"),
    "test_database": ("feedback", "Integration tests run against a real Postgres database"),
    "oncall_channel": ("reference", "Slack channel where on-call incidents are coordinated"),
    "invoice_rounding": ("project", "Invoices round half-even to minor currency units"),
}


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    s = MemoryDir(memory_dir)
    for i, (stem, (type_, description)) in enumerate(TOPICS.items()):
        s.save(
            name=stem.replace("_", " "),
            description=description,
            type=type_,
            body=f"Body of {stem}.\n**Why:** reasons\n**How to apply:** always",
        )
        mtime = time.time() - (i * 3 + 2) * 86400
        path = memory_dir / f"{stem}.md"
        # Saving stamps `updated:` with today; make each memory as old as its mtime.
        day = date.fromtimestamp(mtime)
        path.write_text(set_updated(path.read_text(), day))
        os.utime(path, (mtime, mtime))
    return s


def configured(fake: FakeAnthropic) -> ModelConfig:
    return ModelConfig(model="claude-test", api_key="test-key", base_url=fake.url)


def recaller(store: MemoryDir, fake: FakeAnthropic | None = None, **kw) -> Recaller:
    config = configured(fake) if fake else ModelConfig()
    return Recaller(store, config=config, **kw)


# -- offline ---------------------------------------------------------------------------


def test_offline_recall_finds_relevant_memory(store: MemoryDir) -> None:
    result = recaller(store).recall("are we allowed to deploy to production in late December?")
    assert result.selector == "offline"
    assert "no model configured" in (result.fallback_reason or "")
    assert result.memories[0].header.filename == "deploy_freeze.md"
    assert len(result.memories) <= 5


def test_one_word_query_selects_nothing(store: MemoryDir) -> None:
    result = recaller(store).recall("deploy")
    assert result.memories == () and result.skipped


def test_freshness_note_and_age(store: MemoryDir) -> None:
    result = recaller(store).recall("production deploy freeze dates")
    top = result.memories[0]
    assert top.age_days == 2
    assert "2 days old" in top.freshness
    assert "2 days old" in result.render()


def test_fresh_memory_has_no_note(store: MemoryDir, memory_dir: Path) -> None:
    path = memory_dir / "deploy_freeze.md"
    path.write_text(set_updated(path.read_text(), date.today()))
    top = recaller(store).recall("production deploy freeze dates").memories[0]
    assert top.age_days == 0 and top.freshness == ""


def test_session_does_not_repeat_memories(store: MemoryDir) -> None:
    r = recaller(store)
    first = r.recall("production deploy freeze dates", session_id="s1")
    assert first.memories
    again = recaller(store).recall("production deploy freeze dates", session_id="s1")
    surfaced = {m.header.filename for m in first.memories}
    assert not surfaced & {m.header.filename for m in again.memories}
    other = recaller(store).recall("production deploy freeze dates", session_id="s2")
    assert other.memories[0].header.filename == first.memories[0].header.filename


def test_session_byte_budget(store: MemoryDir, memory_dir: Path) -> None:
    big = "word " * 800
    for i in range(20):
        store.save(
            name=f"freeze note {i}",
            description=f"deploy freeze detail {i}",
            type="project",
            body=big,
        )
    r = recaller(store)
    total = 0
    for _ in range(12):
        result = r.recall("deploy freeze detail", session_id="big")
        total += sum(len(m.content.encode()) for m in result.memories)
    assert 40_000 < total <= 60 * 1024


def test_read_capped_cuts_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "long.md"
    path.write_text(
        "---\nname: x\ndescription: d\ntype: user\n---\n"
        + "".join(f"line {i} " + "x" * 40 + "\n" for i in range(300))
    )
    content, truncated = read_capped(path)
    assert truncated and len(content.encode()) <= MAX_BYTES
    assert content.splitlines()[-1].startswith("line ")
    short = tmp_path / "short.md"
    short.write_text("---\nname: x\n---\n" + "".join(f"{i}\n" for i in range(250)))
    content, truncated = read_capped(short)
    assert truncated and len(content.splitlines()) == 200


def test_render_mentions_cut_file_location(store: MemoryDir, memory_dir: Path) -> None:
    store.update("deploy freeze", body="freeze\n" * 900)
    result = recaller(store).recall("production deploy freeze dates")
    assert f"the whole memory is in {memory_dir / 'deploy_freeze.md'}" in result.render()


# -- the model selector over real HTTP -------------------------------------------------


def test_llm_request_shape(store: MemoryDir, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text(json.dumps({"selected_memories": ["webhook_retries.md"]}))
    result = recaller(store, fake_anthropic).recall(
        "why do payment callbacks arrive twice?", tools=["Bash", "Read"]
    )
    assert result.selector == "llm" and result.fallback_reason is None
    assert [m.header.filename for m in result.memories] == ["webhook_retries.md"]
    (request,) = fake_anthropic.requests
    body = request.body
    assert request.path == "/v1/messages"
    assert body["model"] == "claude-test"
    assert body["max_tokens"] == MAX_TOKENS == 256
    assert "at most five" in body["system"]
    assert body["output_config"]["format"] == {"type": "json_schema", "schema": SCHEMA}
    manifest, query = body["messages"][0]["content"]
    assert manifest["cache_control"] == {"type": "ephemeral"}
    assert "- [feedback] webhook_retries.md (" in manifest["text"]
    assert "): Webhook handlers must be idempotent" in manifest["text"]
    assert "why do payment callbacks arrive twice?" in query["text"]
    assert "Tools the agent used recently: Bash, Read" in query["text"]
    assert "cache_control" not in query


def test_llm_answer_unknown_names_dropped_and_cut_to_five(
    store: MemoryDir, fake_anthropic: FakeAnthropic
) -> None:
    names = ["nope.md", *[f"{k}.md" for k in TOPICS]]
    fake_anthropic.reply_text(json.dumps({"selected_memories": names}))
    result = recaller(store, fake_anthropic).recall("tell me everything you know")
    got = [m.header.filename for m in result.memories]
    assert got == [f"{k}.md" for k in list(TOPICS)[:5]]


def test_llm_empty_list_respected(store: MemoryDir, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text(json.dumps({"selected_memories": []}))
    result = recaller(store, fake_anthropic).recall("production deploy freeze dates")
    assert result.selector == "llm" and result.memories == ()


def test_more_than_200_candidates_are_prefiltered(
    memory_dir: Path, fake_anthropic: FakeAnthropic
) -> None:
    store = MemoryDir(memory_dir)
    for i in range(230):
        store.save(name=f"note {i}", description=f"ordinary note number {i}", type="user", body="b")
    fake_anthropic.reply_text(json.dumps({"selected_memories": []}))
    recaller(store, fake_anthropic).recall("which note mentions number 7?")
    manifest = fake_anthropic.requests[0].body["messages"][0]["content"][0]["text"]
    assert manifest.count("\n- [") == 200


FAILURES = {
    "500": lambda f: [f.reply_error(500) for _ in range(10)],
    "529": lambda f: [f.reply_error(529) for _ in range(10)],
    "429-retry-after": lambda f: [f.reply_error(429, headers={"retry-after": "30"})],
    "429-no-header": lambda f: [f.reply_error(429) for _ in range(10)],
    "400": lambda f: f.reply_error(400),
    "timeout": lambda f: [f.reply_text("{}", delay=5) for _ in range(3)],
    "malformed": lambda f: f.reply_text("this is not json"),
    # A proxy answering 200 with its own page, declared as JSON or not.
    "proxy-page-as-json": lambda f: f.reply_raw(b"<html>", content_type="application/json"),
    "proxy-page": lambda f: f.reply_raw(b"<html>", content_type="text/html"),
}


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_failures_fall_back_inside_budget(
    store: MemoryDir, fake_anthropic: FakeAnthropic, kind: str
) -> None:
    FAILURES[kind](fake_anthropic)
    started = time.monotonic()
    result = recaller(store, fake_anthropic).recall("production deploy freeze dates")
    elapsed = time.monotonic() - started
    assert elapsed < 3.0 + 0.5
    assert result.selector == "offline"
    assert result.fallback_reason and "model call failed" in result.fallback_reason
    assert result.memories[0].header.filename == "deploy_freeze.md"
    if kind in ("400", "malformed", "429-retry-after", "proxy-page-as-json", "proxy-page"):
        assert len(fake_anthropic.requests) == 1


def test_connection_refused_falls_back(store: MemoryDir) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = ModelConfig(api_key="k", base_url=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    result = Recaller(store, config=config).recall("production deploy freeze dates")
    assert time.monotonic() - started < 3.5
    assert result.selector == "offline" and "connection" in (result.fallback_reason or "")


def test_breaker_stops_requests_after_three_failures(
    store: MemoryDir, fake_anthropic: FakeAnthropic
) -> None:
    config = configured(fake_anthropic)
    for _ in range(3):
        fake_anthropic.reply_error(401)  # a dead key: not retried, counts as a failure
    boundary = ModelBoundary(config, state_dir=store.state_path)
    for _ in range(3):
        r = Recaller(store, config=config, model=boundary).recall("deploy freeze dates now")
        assert r.selector == "offline"
    seen = len(fake_anthropic.requests)
    assert seen == 3
    for _ in range(3):
        r = Recaller(store, config=config).recall("deploy freeze dates now")
        assert r.selector == "offline" and "circuit" in (r.fallback_reason or "").lower()
    assert len(fake_anthropic.requests) == seen
    assert Stats(store.state_path).get("recall_fallbacks") == 6


def test_recall_block_states_verification_next_to_the_memory() -> None:
    root = Path(__file__).resolve().parents[2] / "examples"
    store = MemoryDir(root / "memories")
    result = Recaller(store, config=ModelConfig(), project_root=root / "demo-project").recall(
        "how is the late fee on an overdue invoice computed?"
    )
    top = result.memories[0]
    assert top.header.filename == "late_fee_policy.md"
    refs = {r.text: (r.kind, r.status) for r in top.references}
    assert refs["calc_late_fee"] == ("identifier", "missing")
    assert refs["src/ledgerly/billing/invoice.py"] == ("path", "found")
    block = result.render()
    assert "names `calc_late_fee`: not found in the project" in block
    assert "days old" in block
    data = result.to_json()["memories"][0]["references"]
    expected = {"text": "calc_late_fee", "kind": "identifier", "status": "missing", "hint": None}
    assert expected in data


def _session_store(memory_dir: Path) -> MemoryDir:
    """One strong match for the query, two weaker ones, and 200 unrelated notes."""
    s = MemoryDir(memory_dir)
    s.save(
        name="Ledger latency dashboard",
        description="Grafana dashboard for ledger latency, error rates and queue depth",
        type="reference",
        body="Board: grafana.example.com/d/ledger",
    )
    for name, description in (
        ("Ledger owners", "Who reviews ledger code changes"),
        ("Error budget", "Monthly error budget policy for the payments team"),
    ):
        s.save(name=name, description=description, type="project", body="Notes.")
    for i in range(200):
        s.save(
            name=f"Garden note {i}",
            description=f"Gardening note {i} about tomatoes, roses and compost",
            type="user",
            body="Nothing about work.",
        )
    return s


def test_the_same_prompt_twice_in_a_session_brings_nothing_weak(memory_dir: Path) -> None:
    store = _session_store(memory_dir)
    query = "where is the grafana dashboard for ledger latency and error rates"
    first = Recaller(store).recall(query, session_id="s1", offline=True)
    assert [m.header.filename for m in first.memories] == ["ledger_latency_dashboard.md"]
    # The weaker memories share a word or two with the query; they did not clear the bar
    # the first time, and the bar does not sink because the best one was already shown.
    weaker = Recaller(store).recall(query, offline=True, limit=3)
    assert {m.header.filename for m in weaker.memories if m.low_confidence} == {
        "ledger_owners.md",
        "error_budget.md",
    }
    again = Recaller(store).recall(query, session_id="s1", offline=True)
    assert again.memories == ()


def test_limit_fills_up_with_weaker_matches_marked_as_such(store: MemoryDir) -> None:
    query = "which grafana board shows payment latency"
    precise = Recaller(store).recall(query, offline=True)
    filled = Recaller(store).recall(query, offline=True, limit=4)
    sure = [m for m in filled.memories if not m.low_confidence]
    assert [m.header.filename for m in sure] == [m.header.filename for m in precise.memories]
    assert len(filled.memories) > len(precise.memories)
    weak = [m for m in filled.memories if m.low_confidence]
    assert weak and all(m.why.startswith("a weaker match") for m in weak)
    assert "a weaker match; file" in filled.render()
    assert [m["low_confidence"] for m in filled.to_json()["memories"]] == [
        m.low_confidence for m in filled.memories
    ]
    with pytest.raises(ValueError):
        Recaller(store).recall(query, offline=True, limit=0)
