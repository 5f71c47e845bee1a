"""A consolidation run is one history operation, and `memory undo` reverts all of it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.dream import consolidate
from memdir.history import History
from memdir.store.folder import MemoryDir
from tests.dream_helpers import boundary, delete_call, folder_bytes, make_folder, memory_text
from tests.fake_anthropic import FakeAnthropic

DUPLICATES = {
    "db_tests.md": "Integration tests use a real Postgres, never mocks.",
    "no_mocks.md": "Do not mock the database in the orders tests.",
    "real_db.md": "The CI job starts a dockerised Postgres for the tests.",
}
SURVIVOR = memory_text(
    "Real database in tests",
    type_="feedback",
    body=(
        "Integration tests use a real Postgres, never mocks: do not mock the database in "
        "the orders tests either. The CI job starts a dockerised Postgres for the tests.\n"
        "**Why:** mocked tests hid a broken migration.\n"
        "**How to apply:** any test that runs SQL."
    ),
    extra="merged_from: [db_tests.md, no_mocks.md, real_db.md]\n",
)


def test_memory_undo_restores_the_three_merged_memories(
    fake_anthropic: FakeAnthropic, memory_dir: Path
) -> None:
    store = MemoryDir(memory_dir)
    make_folder(store, 8)
    for file, body in DUPLICATES.items():
        store.write_text(file, memory_text(file[:-3], type_="feedback", body=body))
    before = folder_bytes(memory_dir)
    fake_anthropic.reply_tool_use(
        (
            "memory",
            {"command": "create", "path": "/memories/real_database.md", "file_text": SURVIVOR},
        ),
        *[delete_call(f) for f in DUPLICATES],
    )
    fake_anthropic.reply_text("Merged three memories.")

    run = consolidate(store, apply=True, client=boundary(store, fake_anthropic.url))

    assert run.status == "applied", run.message
    history = History.for_folder(memory_dir, state_dir=store.state_path)
    newest = history.log(limit=1)[0]
    assert newest.actor.kind == "dream"
    assert set(newest.files) == {*DUPLICATES, "real_database.md", "MEMORY.md"}
    assert len(history.log(actor="dream")) == 1  # one operation for the whole run

    undone = CliRunner().invoke(cli, ["--dir", str(memory_dir), "undo"])

    assert undone.exit_code == 0, undone.output
    assert folder_bytes(memory_dir) == before
    assert store.index_problems() == []
