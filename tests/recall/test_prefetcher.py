import asyncio
import json
import time
from pathlib import Path

import anthropic  # noqa: F401 - pay the SDK import before anything is timed
import pytest

from memdir.model import ModelConfig
from memdir.recall.prefetcher import prefetch
from memdir.recall.recaller import Recaller
from memdir.store.folder import MemoryDir
from tests.fake_anthropic import FakeAnthropic


@pytest.fixture
def recaller(memory_dir: Path, fake_anthropic: FakeAnthropic) -> Recaller:
    store = MemoryDir(memory_dir)
    store.save(
        name="Deploy freeze",
        description="No deploys from 2026-12-20 to 2027-01-05",
        type="project",
        body="b",
    )
    config = ModelConfig(api_key="k", base_url=fake_anthropic.url)
    return Recaller(store, config=config)


def test_returns_at_once_and_collects_later(recaller: Recaller, fake_anthropic) -> None:
    fake_anthropic.reply_text(json.dumps({"selected_memories": ["deploy_freeze.md"]}), delay=0.5)
    started = time.monotonic()
    handle = prefetch(recaller, "can we deploy next week?")
    assert time.monotonic() - started < 0.1
    assert handle.result(timeout=0) is None and not handle.done()
    result = handle.result(timeout=10)
    assert result is not None and result.selector == "llm"
    assert [m.header.filename for m in result.memories] == ["deploy_freeze.md"]
    assert handle.done()


def test_cancel_drops_the_result(recaller: Recaller, fake_anthropic) -> None:
    fake_anthropic.reply_text(json.dumps({"selected_memories": ["deploy_freeze.md"]}), delay=0.5)
    handle = prefetch(recaller, "can we deploy next week?")
    handle.cancel()
    assert handle.done()
    assert handle.result(timeout=2) is None
    time.sleep(0.8)  # the in-flight call ends; its answer is still ignored
    assert handle.result(timeout=0) is None


def test_asyncio_agents_await_it(recaller: Recaller, fake_anthropic) -> None:
    fake_anthropic.reply_text(json.dumps({"selected_memories": ["deploy_freeze.md"]}), delay=0.3)

    async def agent() -> tuple[bool, object]:
        handle = prefetch(recaller, "can we deploy next week?")
        ticks = 0
        while not handle.done():  # the event loop keeps running meanwhile
            ticks += 1
            await asyncio.sleep(0.01)
        return ticks > 5, await handle

    kept_running, result = asyncio.run(agent())
    assert kept_running
    assert result is not None and result.memories[0].header.filename == "deploy_freeze.md"


def test_errors_surface_on_collect(memory_dir: Path) -> None:
    class Broken(Recaller):
        def recall(self, *a, **k):  # type: ignore[override]
            raise RuntimeError("boom")

    handle = prefetch(Broken(MemoryDir(memory_dir), config=ModelConfig()), "two words")
    with pytest.raises(RuntimeError, match="boom"):
        handle.result(timeout=5)
