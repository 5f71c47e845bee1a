"""Team sync in the folder's history: attributed to team-sync, deletions restorable."""

from __future__ import annotations

from memdir.history import History
from memdir.team import share_memory

from .conftest import GitServer, body


def test_a_teammates_deletion_is_recorded_and_can_be_restored(
    git_server: GitServer, teammates
) -> None:
    url = git_server.create()
    alice, bob = teammates("alice"), teammates("bob")
    alice.init(url)
    bob.init(url)
    with alice.acting() as store:
        store.save(name="Freeze", description="Deploy freeze", type="project", body=body("x"))
    alice.sync()
    bob.sync()
    original = (bob.store.path / "team" / "freeze.md").read_bytes()
    with alice.acting() as store:
        store.delete("Freeze")
    alice.sync()
    bob.sync()
    assert not (bob.store.path / "team" / "freeze.md").exists()
    history = History.for_folder(bob.store.path, state_dir=bob.store.state_path)
    ops = [op for op in history.log() if op.actor.kind == "team-sync"]
    assert any("team/freeze.md" in op.files for op in ops)
    history.restore("team/freeze.md")
    assert (bob.store.path / "team" / "freeze.md").read_bytes() == original
    # ... and the next sync shares the restored memory again.
    bob.sync()
    alice.sync()
    assert (alice.store.path / "team" / "freeze.md").read_bytes() == original


def test_share_is_one_recorded_operation(git_server: GitServer, teammates) -> None:
    alice = teammates("alice")
    alice.init(git_server.create())
    alice.store.save(name="Style", description="Small PRs", type="feedback", body=body("x"))
    history = History.for_folder(alice.store.path, state_dir=alice.store.state_path)
    before = len(history.log())
    share_memory(alice.store, "Style")
    ops = history.log()
    assert len(ops) == before + 1
    assert set(ops[0].files) >= {"style.md", "team/style.md"} and ops[0].actor.kind == "cli"
