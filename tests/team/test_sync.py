"""Sync against a real git server: sharing, merging, deletions, credentials, links."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from memdir.errors import ConfigurationError
from memdir.lint import lint
from memdir.recall import Recaller
from memdir.team import init_team, sync_team, team_status

from .conftest import GitServer, body

# A made-up key with a real key's shape (vendor prefix + random-looking tail).
PLANTED = "ghp_" + "TBS6KbdkIgqvbxMtJmImixsNEmdWD87N6Vaz"


def _memory(name: str, description: str, *lines: str) -> str:
    return f"---\nname: {name}\ndescription: {description}\ntype: project\n---\n{body(*lines)}\n"


def test_init_on_an_empty_remote_sets_it_up(git_server: GitServer, teammates) -> None:
    url = git_server.create()
    alice = teammates("alice")
    alice.init(url)
    files = alice.team_files()
    assert set(files) == {".gitignore", ".memdir-team.toml"}
    assert b"/MEMORY.md" in files[".gitignore"]
    assert team_status(alice.store).unpushed_commits == 0
    bob = teammates("bob")
    bob.init(url)
    assert bob.team_files() == files


def test_memories_travel_and_deletions_propagate(git_server: GitServer, teammates) -> None:
    url = git_server.create()
    alice, bob = teammates("alice"), teammates("bob")
    alice.init(url)
    bob.init(url)
    with alice.acting() as store:
        saved = store.save(
            name="Blue green deploys",
            description="Deploys use the blue/green script since the October incident",
            type="project",
            body=body("Run deploy/bluegreen.sh."),
        )
    assert saved.memory.filename == "team/blue_green_deploys.md"
    result = alice.sync()
    assert result.committed == ("blue_green_deploys.md",) and result.pushed
    received = bob.sync()
    assert received.received == ("blue_green_deploys.md",)
    assert bob.team_files() == alice.team_files()
    # The team memory is in bob's index and scan, marked as coming from the team.
    assert "(team/blue_green_deploys.md)" in bob.store.read_index()
    [header] = bob.store.scan().memories
    assert header.source == "team"
    with bob.acting() as store:
        store.delete("Blue green deploys")
    bob.sync()
    alice.sync()
    assert not (alice.store.path / "team" / "blue_green_deploys.md").exists()
    assert "blue_green_deploys" not in alice.store.read_index()


def test_user_and_feedback_stay_private_by_default(git_server: GitServer, teammates) -> None:
    alice = teammates("alice")
    alice.init(git_server.create())
    with alice.acting() as store:
        user = store.save(name="Role", description="Senior Go engineer", type="user", body="Go.")
        feedback = store.save(
            name="No mocks", description="Integration tests hit a real DB", type="feedback",
            body=body("Use docker."),
        )  # fmt: skip
        reference = store.save(
            name="Tracker", description="Bugs live in the INFRA Linear project",
            type="reference", body="Linear INFRA.",
        )  # fmt: skip
    assert user.memory.filename == "role.md"
    assert feedback.memory.filename == "no_mocks.md"
    assert reference.memory.filename == "team/tracker.md"


def test_clean_three_way_merge_of_one_memory(git_server: GitServer, teammates) -> None:
    url = git_server.create()
    alice, bob = teammates("alice"), teammates("bob")
    alice.init(url)
    bob.init(url)
    text = _memory("Release", "How releases are cut", "line one", "line two", "line three")
    (alice.store.path / "team" / "release.md").write_text(text)
    alice.sync()
    bob.sync()
    (alice.store.path / "team" / "release.md").write_text(text.replace("line one", "ALICE one"))
    (bob.store.path / "team" / "release.md").write_text(text.replace("line three", "BOB three"))
    alice.sync()
    result = bob.sync()
    assert result.merged == ("release.md",) and result.conflicts == ()
    alice.sync()
    merged = (alice.store.path / "team" / "release.md").read_text()
    assert "ALICE one" in merged and "BOB three" in merged
    assert alice.team_files() == bob.team_files()


def test_conflicting_edits_keep_both_versions(git_server: GitServer, teammates) -> None:
    url = git_server.create()
    alice, bob = teammates("alice"), teammates("bob")
    alice.init(url)
    bob.init(url)
    text = _memory("Release", "How releases are cut", "line one")
    (alice.store.path / "team" / "release.md").write_text(text)
    alice.sync()
    bob.sync()
    (alice.store.path / "team" / "release.md").write_text(text.replace("line one", "alice"))
    (bob.store.path / "team" / "release.md").write_text(text.replace("line one", "bob"))
    alice.sync()
    result = bob.sync()
    [(original, copy)] = result.conflicts
    assert original == "release.md" and copy.startswith("release.conflict-")
    alice.sync()
    files = alice.team_files()
    assert files == bob.team_files()
    assert b"bob" in files["release.md"] and b"alice" in files[copy]
    for data in files.values():
        assert b"<<<<<<<" not in data and b">>>>>>>" not in data
    # Both are valid memories; lint reports the copy.
    assert not bob.store.scan().problems
    report = lint(bob.store)
    assert [p.file for p in report.problems if p.rule == "team-conflict-copy"] == [f"team/{copy}"]
    assert team_status(bob.store).conflict_copies == (copy,)


def test_deleted_on_one_side_edited_on_the_other_keeps_the_edit(
    git_server: GitServer, teammates
) -> None:
    url = git_server.create()
    alice, bob = teammates("alice"), teammates("bob")
    alice.init(url)
    bob.init(url)
    text = _memory("Release", "How releases are cut", "line one")
    (alice.store.path / "team" / "release.md").write_text(text)
    alice.sync()
    bob.sync()
    (alice.store.path / "team" / "release.md").unlink()
    (bob.store.path / "team" / "release.md").write_text(text.replace("line one", "edited"))
    alice.sync()
    result = bob.sync()
    assert result.kept_edits == ("release.md",)
    alice.sync()
    assert b"edited" in alice.team_files()["release.md"]
    # ... and the other order: the deletion arrives second.
    (alice.store.path / "team" / "release.md").write_text(text.replace("line one", "again"))
    (bob.store.path / "team" / "release.md").unlink()
    bob.sync()
    alice.sync()
    bob.sync()
    assert b"again" in bob.team_files()["release.md"]


def test_planted_credential_never_reaches_the_server(git_server: GitServer, teammates) -> None:
    url = git_server.create()
    alice = teammates("alice")
    alice.init(url)
    team = alice.store.path / "team"
    (team / "ci.md").write_text(_memory("CI", "CI token for the deploy job", f"token {PLANTED}"))
    (team / "ok.md").write_text(_memory("OK", "A harmless memory", "nothing secret"))
    result = alice.sync()
    assert result.committed == ("ok.md",)
    assert [h.path for h in result.held_back] == ["ci.md"]
    assert "credential" in result.held_back[0].reason
    status = team_status(alice.store)
    assert [h.path for h in status.held_back] == ["ci.md"]
    assert any(p.file == "team/ci.md" and p.rule == "secret" for p in lint(alice.store).problems)
    # An edit that adds the credential to a file already shared is held back too.
    (team / "ok.md").write_text(_memory("OK", "A harmless memory", f"now {PLANTED}"))
    alice.sync()
    objects = git_server.all_objects()
    assert b"harmless" in objects  # the check can see file contents
    assert PLANTED.encode() not in objects
    assert (team / "ci.md").exists()  # kept locally


def test_credential_committed_by_hand_is_refused_at_push(git_server: GitServer, teammates) -> None:
    from memdir.errors import TeamSyncError

    url = git_server.create()
    alice = teammates("alice")
    alice.init(url)
    team = alice.store.path / "team"
    (team / "ci.md").write_text(_memory("CI", "CI token", f"token {PLANTED}"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_COMMITTER_NAME": "a",
           "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_EMAIL": "a@x"}  # fmt: skip
    subprocess.run(["git", "add", "ci.md"], cwd=team, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "by hand"], cwd=team, check=True, env=env)
    with pytest.raises(TeamSyncError, match="refusing to push") as caught:
        alice.sync()
    assert caught.value.kind == "held"
    assert PLANTED.encode() not in git_server.all_objects()


def test_symlink_pushed_by_a_teammate_is_never_followed(
    git_server: GitServer, teammates, tmp_path: Path
) -> None:
    url = git_server.create()
    alice = teammates("alice")
    alice.init(url)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret_word = "zanzibarquokka"
    (outside / "secret.md").write_text(
        f"---\nname: Secret\ndescription: deploy {secret_word} notes\ntype: project\n---\n"
        f"{secret_word} {secret_word}\n"
    )
    # Mallory pushes links with a plain git client that creates symlinks.
    mallory = tmp_path / "mallory"
    subprocess.run(["git", "clone", "-q", url, str(mallory)], check=True)
    os.symlink(outside / "secret.md", mallory / "leak.md")
    os.symlink(outside, mallory / "notes")
    env = {**os.environ, "GIT_AUTHOR_NAME": "m", "GIT_COMMITTER_NAME": "m",
           "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_EMAIL": "m@x"}  # fmt: skip
    subprocess.run(["git", "add", "-A"], cwd=mallory, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "links"], cwd=mallory, check=True, env=env)
    subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], cwd=mallory, check=True, env=env)
    alice.sync()
    team = alice.store.path / "team"
    assert not (team / "leak.md").is_symlink() and not (team / "notes").is_symlink()
    # recall, lint and the daemon's reconcile never show the target's content
    result = Recaller(alice.store).recall(f"deploy {secret_word} notes", offline=True)
    assert secret_word not in result.render()
    report = lint(alice.store)
    assert all(secret_word not in p.message for p in report.problems)
    assert secret_word not in alice.store.read_index()
    # A link made by hand in the team folder is not read, not committed.
    os.symlink(outside / "secret.md", team / "local.md")
    assert "team/local.md" not in {h.filename for h in alice.store.scan().memories}
    result2 = alice.sync()
    assert [h.path for h in result2.held_back] == ["local.md"]
    assert secret_word.encode() not in git_server.all_objects().replace(str(outside).encode(), b"")


def test_sync_without_a_team_folder_says_how(teammates) -> None:
    alice = teammates("alice")
    alice.store.init()
    with pytest.raises(ConfigurationError, match="memory team init"):
        sync_team(alice.store)


def test_private_memory_wins_over_the_team_one(git_server: GitServer, teammates) -> None:
    alice = teammates("alice")
    alice.init(git_server.create())
    team = alice.store.path / "team"
    (team / "release.md").write_text(_memory("Release", "Team version", "team"))
    (alice.store.path / "release.md").write_text(_memory("Release", "Private version", "mine"))
    headers = alice.store.scan().memories
    assert [(h.filename, h.description) for h in headers] == [("release.md", "Private version")]


def test_recall_names_the_teammate_who_last_changed_a_memory(
    git_server: GitServer, teammates
) -> None:
    url = git_server.create()
    alice, bob = teammates("alice"), teammates("bob")
    alice.init(url)
    bob.init(url)
    with alice.acting() as store:
        store.save(
            name="Freeze", description="No deploys during the december freeze window",
            type="project", body=body("Freeze from 2026-12-20."),
        )  # fmt: skip
    alice.sync()
    bob.sync()
    result = Recaller(bob.store).recall("can we deploy during the december freeze", offline=True)
    [memory] = result.memories
    assert memory.author == "alice"
    assert memory.to_json()["source"] == "team" and memory.to_json()["author"] == "alice"
    assert "shared by teammate alice" in result.render()


def test_sync_reports_its_phases_in_order(git_server: GitServer, teammates) -> None:
    from memdir.team.sync import SYNC_PHASES
    from tests.test_progress import Heard

    url = git_server.create()
    alice = teammates("alice")
    heard = Heard()
    with alice.acting() as store:
        init_team(store, url, progress=heard)
        assert heard.calls[0] == ("cloning", 0, 1)
        store.save(name="Deploys", description="Blue green", type="project", body=body("x"))
        heard = Heard()
        result = sync_team(store, progress=heard)
    assert result.pushed
    heard.check()
    assert heard.calls == [
        ("committing", 0, SYNC_PHASES),
        ("fetching", 1, SYNC_PHASES),
        ("merging", 2, SYNC_PHASES),
        ("pushing", 3, SYNC_PHASES),
        ("synced", 4, SYNC_PHASES),
    ]
    heard = Heard()
    with alice.acting() as store:
        sync_team(store, progress=heard)  # nothing to push: no push phase
    assert [step for step, _, _ in heard.calls] == ["committing", "fetching", "merging", "synced"]
