"""examples/anthropic_agent.py end to end: a real SDK agent loop against the fake server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from memdir.store.folder import MemoryDir
from tests.conftest import subprocess_env

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "anthropic_agent.py"
MARKER = "MEMORY-MARKER-c0ffee"


def texts(request_body: dict[str, Any]) -> list[str]:
    """Every text block the agent sent in its messages."""
    out = []
    for message in request_body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            out.append(content)
            continue
        out += [b["text"] for b in content if b.get("type") == "text"]
    return out


def test_agent_injects_memories_and_schedules_extraction(
    tmp_path: Path, fake_anthropic: Any
) -> None:
    store = MemoryDir(tmp_path / "memories")
    store.save(
        name="Standup time",
        description="When the team's daily standup meeting happens, in UTC",
        type="project",
        body=f"The daily standup is at 09:30 UTC. {MARKER}",
    )
    # The main model "thinks" for a while on its first call: recall finishes meanwhile.
    fake_anthropic.reply_tool_use(("get_time", {}), text="Let me check the time.", delay=1.5)
    fake_anthropic.reply_text("It is 09:00 UTC, so standup starts in 30 minutes.")
    fake_anthropic.reply_text("Nothing here is worth saving.")  # the extractor's turn
    env = subprocess_env(ANTHROPIC_API_KEY="sk-test", ANTHROPIC_BASE_URL=fake_anthropic.url)
    prompt = "how long until the daily standup meeting starts?"

    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--memory-dir", str(store.path), "--offline-recall", prompt],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "It is 09:00 UTC, so standup starts in 30 minutes."
    deadline = time.monotonic() + 60
    while len(fake_anthropic.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    first, second, extraction = (r.body for r in fake_anthropic.requests[:3])

    # The system prompt carries the memory instructions and the index.
    system = "".join(block["text"] for block in first["system"])
    assert "# Memory" in system and "[Standup time](standup_time.md)" in system
    # The recalled memory rode along with the tool results into the second request.
    assert [t for t in texts(first) if MARKER in t] == []
    (injected,) = [t for t in texts(second) if MARKER in t]
    assert injected.startswith("<system-reminder>\nMemories recalled for this request")
    assert second["messages"][-1]["content"][0]["type"] == "tool_result"
    assert {t["name"] for t in second["tools"]} == {"get_time", "read_file"}
    # Extraction ran on the finished turn, with the memory tool, and did not read the
    # recalled memory back as something the user said.
    assert {"type": "memory_20250818", "name": "memory"} in extraction["tools"]
    evidence = json.dumps(extraction["messages"])
    assert prompt in evidence
    assert "standup starts in 30 minutes" in evidence
    assert MARKER not in evidence

    from memdir.extract.queue import drain

    assert drain(30, memory_dir=store.path)
    assert fake_anthropic.unexpected == 0
