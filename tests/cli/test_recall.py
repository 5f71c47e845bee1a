"""`memory recall` and `memory stats` through the CLI."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.store.folder import MemoryDir
from tests.conftest import memory_cmd, subprocess_env


@pytest.fixture
def folder(memory_dir: Path) -> Path:
    store = MemoryDir(memory_dir)
    store.save(
        name="Deploy freeze",
        description="No production deploys from 2026-12-20 to 2027-01-05",
        type="project",
        body="Freeze.\n**Why:** year end.\n**How to apply:** ask first.",
    )
    store.save(
        name="Grafana board",
        description="Grafana dashboard for payment latency",
        type="reference",
        body="https://grafana.example.com/d/payments",
    )
    return memory_dir


def recall(folder: Path, *args: str):
    return CliRunner().invoke(cli, ["--dir", str(folder), "recall", "--no-daemon", *args])


def test_offline_recall_says_which_selector_ran_and_why(folder: Path) -> None:
    result = recall(folder, "can we deploy to production in late december?")
    assert result.exit_code == 0, result.stderr
    first = result.output.splitlines()[0]
    assert first == (
        "Selected by the offline selector: no model configured (set ANTHROPIC_API_KEY)."
    )
    assert "== Deploy freeze  [project]  today" in result.output
    assert "Grafana" not in result.output


def test_json_is_exactly_one_object_of_the_documented_shape(folder: Path) -> None:
    result = recall(folder, "can we deploy to production in late december?", "--json")
    data = json.loads(result.output)
    assert list(data) == ["selector", "fallback_reason", "memories", "query", "skipped"]
    assert data["selector"] == "offline"
    (memory,) = data["memories"]
    assert set(memory) == {
        "filename",
        "path",
        "source",
        "author",
        "type",
        "name",
        "description",
        "age_days",
        "freshness",
        "content",
        "truncated",
        "references",
        "low_confidence",
        "why",
        "raw_type",
        "updated",
        "mtime",
        "size",
        "score",
        "matched",
    }
    assert memory["filename"] == "deploy_freeze.md" and memory["truncated"] is False
    assert memory["source"] == "private" and memory["author"] is None


def test_explain_shows_matched_terms(folder: Path) -> None:
    result = recall(folder, "production deploy freeze dates", "--explain")
    assert "   why: score " in result.output and "matched: " in result.output


def test_explain_and_json_show_the_query_words_not_their_stems(tmp_path: Path) -> None:
    examples = tmp_path / "memories"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "memories", examples)
    query = "how is the late fee on an overdue invoice computed?"
    text = recall(examples, query, "--explain").output
    assert "matched: late, fee, overdue, invoice" in text
    assert "overdu," not in text and "invoic\n" not in text
    data = json.loads(recall(examples, query, "--json").output)
    best = data["memories"][0]
    assert best["filename"] == "late_fee_policy.md"
    assert best["matched"] == ["late", "fee", "overdue", "invoice"]
    assert isinstance(best["score"], float) and best["score"] > 1.0


def test_session_does_not_repeat_and_one_word_selects_nothing(folder: Path) -> None:
    first = recall(folder, "production deploy freeze dates", "--session", "s1", "--json")
    again = recall(folder, "production deploy freeze dates", "--session", "s1", "--json")
    assert len(json.loads(first.output)["memories"]) == 1
    assert json.loads(again.output)["memories"] == []
    one = recall(folder, "deploy")
    assert "Nothing recalled: query has fewer than two words." in one.output


def test_stats_counts_recalls(folder: Path) -> None:
    recall(folder, "production deploy freeze dates")
    result = CliRunner().invoke(cli, ["--dir", str(folder), "stats", "--json"])
    data = json.loads(result.output)
    assert data["memories"] == 2 and data["breaker"] == "closed"
    assert data["counters"]["recalls"] == 1


def test_human_output_states_the_verification_next_to_the_memory() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    result = CliRunner().invoke(
        cli,
        [
            "--dir", str(examples / "memories"), "recall", "--no-daemon",
            "--project", str(examples / "demo-project"),
            "how is the late fee on an overdue invoice computed?",
        ],
    )  # fmt: skip
    assert "   ! names `calc_late_fee`: not found in the project" in result.output
    assert "     names `src/ledgerly/billing/invoice.py`: found" in result.output


def test_the_first_recall_of_a_large_folder_answers_as_every_later_one(tmp_path: Path) -> None:
    """Cold, 520 memories: the answer comes from the files just read while the index is
    written by a detached process; the next recall reads that index, and agrees."""
    folder, state = tmp_path / "memories", tmp_path / "state"
    folder.mkdir()
    topics = ["billing", "deploys", "grafana", "postgres", "oncall", "refunds", "latency"]
    for i in range(520):
        topic = topics[i % len(topics)]
        (folder / f"note_{i:03d}.md").write_text(
            f"---\nname: note {i} {topic}\ndescription: {topic} rule number {i}\n"
            f"type: project\n---\n\nWhat we decided about {topic} in case {i}.\n"
        )
    env = subprocess_env(MEMDIR_STATE_DIR=str(state))
    env.pop("ANTHROPIC_API_KEY", None)

    def ask() -> dict:
        done = subprocess.run(
            [
                *memory_cmd(),
                "--dir",
                str(folder),
                "recall",
                "--offline",
                "--json",
                "what was decided about grafana in case 37",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout)

    first = ask()
    (index,) = (state / "cache").glob("*.terms.sqlite")
    lock = os.open(f"{index}.lock", os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)  # until the detached writer is done
    finally:
        os.close(lock)
    with sqlite3.connect(index) as db:
        assert db.execute("SELECT count(*) FROM docs").fetchone()[0] == 520
    second = ask()
    assert second == first
    assert [m["filename"] for m in first["memories"]][:1] == ["note_037.md"]
