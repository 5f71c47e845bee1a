"""The library hook: prefetch while the model works, collect without blocking, extract after."""

from __future__ import annotations

import asyncio
import json
import stat
import threading
import types
from pathlib import Path
from typing import Any

import pytest

from memdir.extract.evidence import render_for_extraction
from memdir.extract.transcript import load_transcript
from memdir.integrations.conversation import find_user_prompt, memory_block
from memdir.integrations.library_hook import (
    AsyncMemoryHook,
    MemoryHook,
)
from memdir.recall.session import SessionStore
from memdir.store.folder import MemoryDir

MEMORIES = [
    ("Deploy freeze", "project", "Payments deploys are frozen from 2026-03-05 for the audit"),
    ("Favourite colour", "user", "The user's favourite colour is teal, for UI theme choices"),
    ("Grafana board", "reference", "Grafana dashboard for checkout latency and error rates"),
]


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    folder = MemoryDir(memory_dir)
    for name, kind, description in MEMORIES:
        folder.save(name=name, description=description, type=kind, body=f"{description}.")
    return folder


class GatedModel:
    """A selector model that answers only when the test opens the gate."""

    def __init__(self, choose: list[str]) -> None:
        self.choose = choose
        self.gate = threading.Event()
        self.queries: list[str] = []
        self.started = threading.Event()

    def create_message(self, *, budget_s: float, **params: Any) -> Any:
        self.queries.append(params["messages"][0]["content"][1]["text"])
        self.started.set()
        assert self.gate.wait(10), "test never opened the gate"
        text = json.dumps({"selected_memories": self.choose})
        return types.SimpleNamespace(content=[types.SimpleNamespace(type="text", text=text)])


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant(text: str, *tool_calls: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    content += [
        {"type": "tool_use", "id": f"toolu_{i}", "name": name, "input": {}}
        for i, name in enumerate(tool_calls)
    ]
    return {"role": "assistant", "content": content}


def tool_results(*ids: str) -> dict[str, Any]:
    return {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": i, "content": "42"} for i in ids],
    }


def collect_when_ready(hook: MemoryHook) -> str | None:
    assert hook.wait(10)
    return hook.collect()


def test_system_prompt_has_instructions_and_the_index(store: MemoryDir) -> None:
    with MemoryHook(store, extract=False) as hook:
        prompt = hook.system_prompt()

    assert prompt.startswith("# Memory\n")
    assert str(store.path) in prompt
    assert "## Kinds of memory" in prompt
    for name, _, _ in MEMORIES:
        assert f"[{name}](" in prompt  # each index line made it in


def test_collect_never_blocks_and_hands_over_the_result_later(store: MemoryDir) -> None:
    model = GatedModel(["favourite_colour.md"])
    hook = MemoryHook(store, model=model, extract=False)
    try:
        assert hook.before_model([user("what is my favourite colour again?")])
        assert model.started.wait(10)

        assert hook.collect() is None  # the model is still "thinking"
        assert not hook.ready()

        model.gate.set()
        block = collect_when_ready(hook)
    finally:
        hook.close()

    assert block is not None
    assert block.startswith("<system-reminder>\nMemories recalled for this request")
    assert "The user's favourite colour is teal" in block
    assert "Payments deploys" not in block
    assert model.queries == ["Request: what is my favourite colour again?"]
    assert hook.collect() is None  # handed over once


class ReadyModel(GatedModel):
    """A selector model that answers as soon as it is asked."""

    def __init__(self, choose: list[str]) -> None:
        super().__init__(choose)
        self.gate.set()


def test_inject_right_after_before_model_waits_for_recall(store: MemoryDir) -> None:
    # The README's loop: before_model then inject, back to back, on the first call.
    messages = [user("what is my favourite colour again?")]
    with MemoryHook(store, model=ReadyModel(["favourite_colour.md"]), extract=False) as hook:
        hook.inject_wait_s = 30.0  # generous: inject returns as soon as recall is done
        assert hook.before_model(messages)
        assert hook.inject(messages)
    assert "teal" in messages[0]["content"][-1]["text"]


def test_inject_waits_a_bounded_time_then_leaves_it_to_the_next_call(store: MemoryDir) -> None:
    model = GatedModel(["favourite_colour.md"])
    messages = [user("what is my favourite colour again?")]
    hook = MemoryHook(store, model=model, extract=False, inject_wait_s=0.05)
    try:
        assert hook.before_model(messages)
        assert model.started.wait(10)
        assert not hook.inject(messages)  # gave up waiting: the model has not answered
        assert messages[0]["content"] == "what is my favourite colour again?"
        model.gate.set()
        assert hook.wait(10)
        assert hook.inject(messages)  # the next call picks it up
    finally:
        hook.close()


def test_inject_wait_comes_from_the_environment_or_the_default(
    store: MemoryDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memdir.integrations.library_hook import DEFAULT_INJECT_WAIT_S

    assert 0.1 <= DEFAULT_INJECT_WAIT_S <= 1.0
    with MemoryHook(store, extract=False) as hook:
        assert hook.inject_wait_s == DEFAULT_INJECT_WAIT_S
    monkeypatch.setenv("MEMDIR_INJECT_WAIT_S", "2.5")
    with MemoryHook(store, extract=False) as hook:
        assert hook.inject_wait_s == 2.5
    with MemoryHook(store, extract=False, inject_wait_s=0) as hook:
        assert hook.inject_wait_s == 0.0
    monkeypatch.setenv("MEMDIR_INJECT_WAIT_S", "soon")
    with MemoryHook(store, extract=False) as hook:
        assert hook.inject_wait_s == DEFAULT_INJECT_WAIT_S


def test_async_ainject_waits_without_blocking_the_loop(store: MemoryDir) -> None:
    async def agent() -> list[dict[str, Any]]:
        messages = [user("what is my favourite colour again?")]
        hook = AsyncMemoryHook(store, model=ReadyModel(["favourite_colour.md"]), extract=False)
        hook.inject_wait_s = 30.0
        async with hook:
            hook.before_model(messages)
            assert await hook.ainject(messages)
        return messages

    messages = asyncio.run(agent())
    assert "teal" in messages[0]["content"][-1]["text"]


def test_collected_memories_are_surfaced_once_per_session(store: MemoryDir) -> None:
    with MemoryHook(store, session_id="sess-1", offline=True, extract=False) as hook:
        hook.before_model([user("which colour theme does the user like?")])
        first = collect_when_ready(hook)
        assert first is not None and "teal" in first

        messages = [
            user("which colour theme does the user like?"),
            assistant("Teal."),
            user("remind me of the favourite colour theme again"),
        ]
        assert hook.before_model(messages)
        assert hook.wait(10)
        again = hook.collect()

    assert again is None
    assert hook.last_result is not None and hook.last_result.memories == ()
    surfaced = SessionStore(store.state_path).get("sess-1").surfaced
    assert surfaced == {str(store.path / "favourite_colour.md")}


def test_a_result_not_collected_is_not_marked_surfaced(store: MemoryDir) -> None:
    with MemoryHook(store, session_id="sess-2", offline=True, extract=False) as hook:
        hook.before_model([user("which colour theme does the user like?")])
        assert hook.wait(10)
    assert SessionStore(store.state_path).get("sess-2").surfaced == frozenset()


def test_tool_rounds_do_not_restart_recall(store: MemoryDir) -> None:
    model = GatedModel(["grafana_board.md"])
    model.gate.set()
    messages: list[dict[str, Any]] = [user("where is the checkout latency dashboard?")]
    with MemoryHook(store, model=model, extract=False) as hook:
        assert hook.before_model(messages)
        messages += [assistant("Looking.", "search"), tool_results("toolu_0")]
        assert not hook.before_model(messages)
        assert hook.wait(10)
        assert hook.inject(messages)
        # The memories now sit in the last user message; that is not a new prompt.
        assert not hook.before_model(messages)
    assert len(model.queries) == 1


@pytest.mark.parametrize(
    "prompt",
    ["deploy", "  <task-notification>task 3 finished</task-notification>"],
    ids=["one-word", "task-notification"],
)
def test_unusable_prompts_start_nothing(store: MemoryDir, prompt: str) -> None:
    model = GatedModel([])
    with MemoryHook(store, model=model, extract=False) as hook:
        started = hook.before_model([user(prompt)])
        assert not started
        assert hook.collect() is None
    assert model.queries == []


def test_a_new_prompt_replaces_the_recall_not_yet_taken(store: MemoryDir) -> None:
    model = GatedModel(["deploy_freeze.md"])
    hook = MemoryHook(store, model=model, extract=False)
    try:
        hook.before_model([user("first question about payments deploys")])
        assert model.started.wait(10)  # the first recall is running
        hook.before_model([user("second question about payments deploys")])  # queued
        hook.before_model([user("third question about payments deploys")])  # replaces it
        model.gate.set()
        block = collect_when_ready(hook)
    finally:
        hook.close()

    assert block is not None and "Payments deploys are frozen" in block
    assert hook.last_result is not None
    assert hook.last_result.query == "third question about payments deploys"
    # The second never ran; the first ran but its result was dropped.
    assert [q.split(" ")[1] for q in model.queries] == ["first", "third"]


def test_find_user_prompt_skips_tool_results_reminders_and_notifications() -> None:
    messages = [
        user("how do we deploy the billing service?"),
        assistant("Checking.", "read"),
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_0", "content": "..."},
                {"type": "text", "text": memory_block("Memories recalled ...")},
            ],
        },
        user("<task-notification>background job done</task-notification>"),
    ]

    found = find_user_prompt(messages)

    assert found is not None
    assert (found.position, found.text) == (0, "how do we deploy the billing service?")


def test_inject_turns_string_content_into_blocks(store: MemoryDir) -> None:
    messages: list[dict[str, Any]] = [user("which colour theme does the user like?")]
    with MemoryHook(store, offline=True, extract=False) as hook:
        hook.before_model(messages)
        assert hook.wait(10)
        assert hook.inject(messages)

    content = messages[0]["content"]
    assert content[0] == {"type": "text", "text": "which colour theme does the user like?"}
    assert content[1]["type"] == "text" and "teal" in content[1]["text"]
    # The extractor never sees recalled memories as something the user said.
    rendered = render_for_extraction(load_transcript_from(messages))
    assert rendered == "user: which colour theme does the user like?"


def load_transcript_from(messages: list[dict[str, Any]]) -> Any:
    from memdir.extract.transcript import from_messages

    return from_messages(messages)


def test_recall_failures_stay_inside_the_hook(store: MemoryDir) -> None:
    class BrokenModel:
        def create_message(self, **params: Any) -> Any:
            raise RuntimeError("boom")

    with MemoryHook(store, model=BrokenModel(), extract=False) as hook:
        hook.before_model([user("which colour theme does the user like?")])
        assert hook.wait(10)
        assert hook.collect() is None
    assert isinstance(hook.last_error, RuntimeError)


# --- extraction --------------------------------------------------------------------------


@pytest.fixture
def fake_queue(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """Stand in for the extraction queue, recording what the hook hands it."""
    calls = types.SimpleNamespace(scheduled=[], drained=[])

    def schedule_extraction(memory_dir: Path, transcript: Path, **kwargs: Any) -> None:
        calls.scheduled.append((memory_dir, transcript, kwargs, transcript.read_text()))

    def drain(timeout: float, **kwargs: Any) -> bool:
        calls.drained.append(timeout)
        return True

    monkeypatch.setattr("memdir.extract.schedule.schedule_extraction", schedule_extraction)
    monkeypatch.setattr("memdir.extract.queue.drain", drain)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-not-used")
    return calls


def test_after_turn_schedules_only_when_the_agent_stopped(
    store: MemoryDir, fake_queue: types.SimpleNamespace
) -> None:
    messages: list[Any] = [user("remember that I prefer tabs"), assistant("Sure.", "memory")]
    hook = MemoryHook(store, session_id="sess-x")

    assert not hook.after_turn(messages)  # still calling tools
    messages += [tool_results("toolu_0"), assistant("Noted: you prefer tabs.")]
    assert hook.after_turn(messages)
    messages.append(user("and spaces for YAML"))  # the agent keeps going; the copy is fixed
    assert hook.close(timeout=5)

    ((folder, path, kwargs, text),) = fake_queue.scheduled
    assert folder == store.path
    assert kwargs == {"session_id": "sess-x", "state_dir": store.state_path, "wait_for_text": None}
    assert path == hook.conversation_path()
    assert path.is_relative_to(store.state_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "and spaces for YAML" not in text
    assert [m.role for m in load_transcript(path)] == ["user", "assistant", "user", "assistant"]
    assert fake_queue.drained and fake_queue.drained[0] <= 5


def test_after_turn_accepts_sdk_objects(
    store: MemoryDir, fake_queue: types.SimpleNamespace
) -> None:
    from anthropic.types import TextBlock

    reply = TextBlock(type="text", text="Noted.")
    messages = [user("please remember I use vim"), {"role": "assistant", "content": [reply]}]

    with MemoryHook(store) as hook:
        assert hook.after_turn(messages)

    ((_, path, _, _),) = fake_queue.scheduled
    assert [m.text for m in load_transcript(path)] == ["please remember I use vim", "Noted."]


def test_no_extraction_without_a_model_or_when_turned_off(
    store: MemoryDir, fake_queue: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = [user("remember that I prefer tabs"), assistant("Noted.")]
    with MemoryHook(store, extract=False) as hook:
        assert not hook.after_turn(done)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with MemoryHook(store) as hook:
        assert not hook.after_turn(done)
    assert fake_queue.scheduled == [] and fake_queue.drained == []


def test_saves_through_the_hooks_store_count_as_the_agents_own(store: MemoryDir) -> None:
    from memdir.extract.extractor import ExtractState

    with MemoryHook(store.path, session_id="sess-save", extract=False) as hook:
        state = ExtractState(hook.store.state_path, hook.store.path)
        assert state.saved_at("sess-save") is None
        hook.store.save(name="Editor", description="The user edits in vim", type="user", body="vim")
    assert state.saved_at("sess-save") is not None


# --- asyncio -----------------------------------------------------------------------------


def test_async_hook_never_blocks_the_loop(store: MemoryDir) -> None:
    model = GatedModel(["grafana_board.md"])

    async def agent() -> tuple[str | None, str | None]:
        async with AsyncMemoryHook(store, model=model, extract=False) as hook:
            hook.before_model([user("where is the checkout latency dashboard?")])
            # The loop keeps running while recall waits on the model: these sleeps end
            # while the model call is still held at the gate.
            while not model.started.is_set():
                await asyncio.sleep(0.01)
            for _ in range(3):
                await asyncio.sleep(0.01)
            early = hook.collect()
            model.gate.set()
            assert await hook.wait(10)
            return early, hook.collect()

    early, block = asyncio.run(agent())

    # A hook that blocked the loop would have finished recall (the model gives up on its
    # gate after 10 s, and the offline fallback answers) before `collect` was first called.
    assert early is None
    assert block is not None and "Grafana dashboard for checkout latency" in block


def test_a_config_given_to_the_hook_extracts_in_this_process(
    store: MemoryDir, fake_anthropic: Any
) -> None:
    from memdir.model import ModelConfig

    fake_anthropic.reply_text("Nothing worth keeping.")
    config = ModelConfig(api_key="sk-test", base_url=fake_anthropic.url)
    hook = MemoryHook(store, session_id="sess-in", config=config, offline=True)
    messages = [user("I always want answers in British English"), assistant("Noted.")]

    assert hook.after_turn(messages)
    assert hook.close(timeout=30)

    (request,) = fake_anthropic.requests
    credentials = (request.headers.get("x-api-key"), request.headers.get("authorization"))
    assert "sk-test" in credentials or "Bearer sk-test" in credentials
    assert {"type": "memory_20250818", "name": "memory"} in request.body["tools"]
    assert "I always want answers in British English" in json.dumps(request.body["messages"])
    # The detached path was not used: no ticket for another process.
    assert not list((store.state_path / "extract").rglob("requests/*.json"))
