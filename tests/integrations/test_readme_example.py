"""The README's library-hook loop, run as written against the fake Anthropic server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from memdir.store import MemoryDir
from tests.conftest import subprocess_env
from tests.fake_anthropic import FakeAnthropic

ROOT = Path(__file__).resolve().parents[2]
MARKER = "DEPLOY-MARKER-5eed"


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using memdir in a Python agent", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_the_readme_loop_injects_memories_on_the_first_model_call(
    tmp_path: Path, fake_anthropic: FakeAnthropic
) -> None:
    home = tmp_path / "home"
    store = MemoryDir(home / "my-agent" / "memory")
    store.save(
        name="Billing deploys",
        description="How the billing service is deployed: the release train and its checks",
        type="project",
        body=f"Billing ships with the Tuesday release train after the smoke tests. {MARKER}",
    )
    # The selector's answer:
    fake_anthropic.reply_text(json.dumps({"selected_memories": ["billing_deploys.md"]}))
    fake_anthropic.reply_text("It ships with the Tuesday release train.")  # the agent
    fake_anthropic.reply_text("Nothing worth saving.")  # the extractor, after the turn
    # The README names TOOLS and run_tools without defining them: an agent has its own.
    program = "TOOLS = []\ndef run_tools(content):\n    return []\n" + readme_example()
    env = subprocess_env(
        HOME=str(home),
        ANTHROPIC_API_KEY="sk-test",
        ANTHROPIC_BASE_URL=fake_anthropic.url,
        # Generous, so a loaded test machine still shows the behaviour: inject returns as
        # soon as recall is done, and the default (0.4 s) is checked in test_library_hook.
        MEMDIR_INJECT_WAIT_S="30",
    )

    proc = subprocess.run(
        [sys.executable, "-c", program],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert proc.returncode == 0, proc.stderr
    selector, first_call = fake_anthropic.requests[:2]
    assert "billing_deploys.md" in json.dumps(selector.body)
    body: dict[str, Any] = first_call.body
    assert body["model"] == "claude-sonnet-5-5"
    last = body["messages"][-1]
    assert last["role"] == "user"
    texts = [b["text"] for b in last["content"] if b.get("type") == "text"]
    assert texts[0] == "how do we deploy the billing service?"
    assert MARKER in texts[-1] and texts[-1].startswith("<system-reminder>")
