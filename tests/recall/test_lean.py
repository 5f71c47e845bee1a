"""The lean recall entry gives exactly what the Recaller gives, as the wire format's dict."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from memdir.recall.lean import index_file, recall_json
from memdir.recall.recaller import Recaller
from memdir.recall.result import RecallResult
from memdir.store.folder import MemoryDir

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUERIES = [
    "how is the late fee on an overdue invoice computed?",
    "how do we deploy the billing service?",
    "who should review database migrations?",
    "what dashboard shows payment failures?",
    "how should I explain the frontend code?",
    "retry policy for the payment provider webhooks",
    "postgres upgrade in the test database",
    "write a haiku about autumn leaves",
    "postgres",
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "memories"
    shutil.copytree(EXAMPLES / "memories", root)
    team = root / "team"
    team.mkdir()
    (team / "late_fee_policy.md").write_text(  # hidden by the private one of that name
        "---\nname: Team late fee\ndescription: Late fee on overdue invoices, team copy\n"
        "type: project\n---\n\nTeam copy.\n"
    )
    (team / "deploy_windows.md").write_text(
        "---\nname: Deploy windows\ndescription: Billing service deploy windows for the team\n"
        "type: project\nupdated: 2026-01-05\n---\n\nDeploy billing on Tuesdays.\n"
    )
    return root


def both(folder: Path, tmp_path: Path, query: str, **options: object) -> tuple[dict, dict]:
    """(recall_json's answer, the Recaller's), each with its own state folder."""
    lean_state, full_state = tmp_path / "lean-state", tmp_path / "full-state"
    project = options.pop("project_root", None)
    lean = recall_json(
        str(folder),
        query,
        state_dir=str(lean_state),
        project_root=str(project) if project else None,
        **options,  # type: ignore[arg-type]
    )
    recaller = Recaller(
        MemoryDir(folder, state=full_state), project_root=Path(project) if project else None
    )
    full = recaller.recall(query, **options).to_json()  # type: ignore[arg-type]
    return lean, full


@pytest.mark.parametrize("query", QUERIES)
def test_same_answer_as_the_recaller(folder: Path, tmp_path: Path, query: str) -> None:
    for options in ({"offline": True}, {"offline": True, "limit": 3}, {}):
        lean, full = both(folder, tmp_path, query, **options)
        assert lean == full, options
        assert RecallResult.from_json(lean).to_json() == lean


def test_found_something_for_the_comparisons(folder: Path, tmp_path: Path) -> None:
    lean, _ = both(folder, tmp_path, QUERIES[0], offline=True)
    assert lean["memories"] and lean["memories"][0]["filename"] == "late_fee_policy.md"
    lean, _ = both(folder, tmp_path, QUERIES[1], offline=True, limit=5)
    assert any(m["source"] == "team" for m in lean["memories"])
    weak = [
        m["low_confidence"]
        for q in QUERIES[:6]
        for m in both(folder, tmp_path, q, offline=True, limit=5)[0]["memories"]
    ]
    assert any(weak) and not all(weak)


def test_a_session_sees_the_same_as_with_the_recaller(folder: Path, tmp_path: Path) -> None:
    for query in [QUERIES[0], QUERIES[0], QUERIES[1], QUERIES[3], QUERIES[1]]:
        lean, full = both(folder, tmp_path, query, offline=True, session_id="s-1")
        assert lean == full


def test_verification_against_a_project(folder: Path, tmp_path: Path) -> None:
    project = EXAMPLES / "demo-project"
    for query in QUERIES[:4]:
        lean, full = both(folder, tmp_path, query, offline=True, project_root=project)
        assert lean == full
    assert any(
        m["references"]
        for q in QUERIES[:4]
        for m in both(folder, tmp_path, q, offline=True, project_root=project)[0]["memories"]
    )


def test_edits_between_calls_are_seen(folder: Path, tmp_path: Path) -> None:
    both(folder, tmp_path, QUERIES[0], offline=True)
    (folder / "late_fee_policy.md").unlink()
    path = folder / "fees.md"
    path.write_text(
        "---\nname: Fees\ndescription: Late fee on an overdue invoice is 2 percent\n"
        "type: project\n---\n\nTwo percent.\n"
    )
    os.utime(path, (1_700_000_000, 1_700_000_000))
    lean, full = both(folder, tmp_path, QUERIES[0], offline=True)
    assert lean == full
    names = [m["filename"] for m in lean["memories"]]
    assert "fees.md" in names and "team/late_fee_policy.md" in names  # no longer hidden


def test_a_damaged_index_never_reaches_the_caller(folder: Path, tmp_path: Path) -> None:
    both(folder, tmp_path, QUERIES[0], offline=True)
    file = Path(index_file(tmp_path / "lean-state", folder))
    assert file.exists()
    file.write_bytes(b"garbage" * 100)
    lean, full = both(folder, tmp_path, QUERIES[0], offline=True)
    assert lean == full and lean["memories"]


def test_limit_below_one_is_refused(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        recall_json(str(folder), QUERIES[0], state_dir=str(tmp_path), limit=0)


_LEAN_RUN = """
import sys
from memdir.recall.lean import recall_json
result = recall_json(sys.argv[1], sys.argv[2], state_dir=sys.argv[3], offline=True)
print(len(result["memories"]))
"""
#: What a warm recall in a fresh process must not load: records, the store's scanner and
#: parser, the recaller, and everything behind them (issue 13's start-up budget).
_NOT_WARM = {
    "dataclasses",
    "inspect",
    "typing",
    "platformdirs",
    "yaml",
    "difflib",
    "click",
    "anthropic",
    "memdir.types",
    "memdir.store.scan",
    "memdir.store.memoryfile",
    "memdir.store.folder",
    "memdir.recall.recaller",
    "memdir.recall.result",
    "memdir.recall.offline",
}


def test_a_warm_fresh_process_loads_no_records_or_store(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    folder = tmp_path / "plain"
    folder.mkdir()
    for stem, text in [
        ("late_fees", "Late fee on an overdue invoice is two percent"),
        ("deploys", "Billing deploys happen on Tuesdays"),
    ]:
        (folder / f"{stem}.md").write_text(
            f"---\nname: {stem}\ndescription: {text}\ntype: project\n---\n\n{text}.\n"
        )

    def run() -> tuple[str, set[str]]:
        proc = subprocess.run(
            [
                sys.executable,
                "-X",
                "importtime",
                "-c",
                _LEAN_RUN,
                str(folder),
                QUERIES[0],
                str(tmp_path / "s"),
            ],
            capture_output=True,
            text=True,
            env=subprocess_env(),
            check=True,
        )
        return proc.stdout, {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}

    cold_out, cold = run()
    warm_out, warm = run()
    assert cold_out == warm_out and int(warm_out) > 0
    # The first run parsed the files (so the report is read right), flat headers without
    # the store's scanner and its records.
    assert "memdir.store.headfields" in cold and "memdir.store.scan" not in cold
    assert "memdir.store.headfields" not in warm
    assert "sqlite3" in warm and "memdir.recall.termindex" in warm
    assert not warm & _NOT_WARM, sorted(warm & _NOT_WARM)
