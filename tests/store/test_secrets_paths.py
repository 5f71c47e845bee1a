"""The secrets corpus: every write path refuses, every read path redacts, prose passes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.errors import MemdirError, SecretDetectedError
from memdir.store.folder import MemoryDir
from memdir.store.secrets import find_secrets, redact
from tests.secrets_corpus import KINDS, REPORTED_AS, corpus, prose


def test_the_corpus_is_big_enough() -> None:
    assert len(KINDS) >= 15
    examples = corpus(1)
    assert len(examples) >= 15 * 10 and len({line for _, line in examples}) == len(examples)
    assert len(set(prose())) >= 200


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_kind_is_detected(seed: int) -> None:
    for kind, line in corpus(seed):
        found = find_secrets(f"Context first.\n{line}\nAnd after.")
        assert [m.kind for m in found] == [REPORTED_AS[kind]], line
        clean, count = redact(line)
        assert count == 1 and "credential removed by memdir" in clean


def test_engineering_prose_has_no_false_positive() -> None:
    lines = prose()
    assert [line for line in lines if find_secrets(line)] == []
    assert find_secrets("\n".join(lines)) == []


def test_every_write_path_refuses_every_example(memory_dir: Path) -> None:
    from memdir.extract.memory_tool import MemoryFolderTool
    from memdir.integrations.mcp_server import MemdirTools

    store = MemoryDir(memory_dir)
    tool = MemoryFolderTool(store)
    mcp = MemdirTools(store, offline=True)
    runner = CliRunner()
    refused = 0
    examples = corpus(7)
    for n, (_kind, line) in enumerate(examples):
        name = f"Note {n}"
        with pytest.raises(SecretDetectedError):
            store.save(name=name, description="deploy notes", type="user", body=line)
        with pytest.raises(SecretDetectedError):
            store.save(name=name, description="d", type="user", body="b", extra={"note": line})
        text = f"---\nname: {name}\ndescription: deploy notes\ntype: user\n---\n{line}\n"
        outcome = tool.run({"command": "create", "path": f"/memories/n{n}.md", "file_text": text})
        assert outcome.is_error and "credential" in outcome.text
        with pytest.raises(MemdirError):
            mcp.remember(type="user", name=name, description="deploy notes", body=line)
        result = runner.invoke(
            cli, ["--dir", str(memory_dir), "add", "--type", "user", "--name", name,
                  "--description", "deploy notes", "--body", line],
        )  # fmt: skip
        assert result.exit_code == 2 and "credential" in result.stderr
        refused += 1
    assert refused == len(examples)
    assert [p.name for p in memory_dir.iterdir()] in ([], ["MEMORY.md"])


def _hand_written(folder: Path) -> dict[str, list[str]]:
    """One file per kind, written by hand (bypassing memdir), holding ten examples."""
    secrets: dict[str, list[str]] = {}
    for n, kind in enumerate(KINDS):
        lines = [line for k, line in corpus(11) if k == kind]
        secrets[kind] = lines
        word = f"zq{n:02d}vex"
        (folder / f"{kind}.md").write_text(
            f"---\nname: {kind} notes\ndescription: {word} {word}k notes\ntype: reference\n"
            "---\n" + "\n".join(f"Line {i}: {line}" for i, line in enumerate(lines)) + "\n"
        )
    return secrets


def test_every_read_path_redacts(memory_dir: Path) -> None:
    from memdir.integrations.claude_code.hooks import run_hook
    from memdir.integrations.mcp_server import MemdirTools
    from memdir.recall import Recaller

    secrets = _hand_written(memory_dir)
    store = MemoryDir(memory_dir)
    recaller = Recaller(store)
    mcp = MemdirTools(store, offline=True)
    for n, kind in enumerate(KINDS):
        query = f"what are the zq{n:02d}vex zq{n:02d}vexk notes"
        result = recaller.recall(query, offline=True)
        assert [m.header.filename for m in result.memories][:1] == [f"{kind}.md"], kind
        block = result.render()
        mcp_text, mcp_data = mcp.recall(query)
        hook = run_hook(
            "user-prompt-submit",
            json.dumps({"session_id": f"s-{kind}", "transcript_path": "/none.jsonl",
                        "cwd": str(memory_dir), "hook_event_name": "UserPromptSubmit",
                        "prompt": query}),
            memory_dir=memory_dir,
        )  # fmt: skip
        assert hook is not None, kind
        context = hook["hookSpecificOutput"]["additionalContext"]
        for shown in (block, mcp_text, json.dumps(mcp_data), context):
            assert "credential removed by memdir" in shown, kind
            for line in secrets[kind]:
                secret = max(re.split(r"[\s=;&:]", line), key=len)
                assert secret not in shown, (kind, line)
