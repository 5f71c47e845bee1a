"""The plan is read from the bytes: merged, archived, superseded, created, kept."""

from __future__ import annotations

from memdir.dream.plan import Action, Notes, build_plan, named_files
from memdir.dream.report import diff_report
from tests.dream_helpers import memory_text


def _b(text: str) -> bytes:
    return text.encode()


A = memory_text("a", body="Deploys of billing stop on Fridays after the outage in March.")
B = memory_text("b", body="Billing deploys need Dana to approve.")
C = memory_text("c", body="The search index rebuilds nightly at 02:00.")


def test_each_action_from_the_difference() -> None:
    survivor = memory_text(
        "ab",
        body="Deploys of billing stop on Fridays after the outage in March; Dana approves.",
        extra="merged_from: a.md\n",
    )
    before = {"a.md": _b(A), "b.md": _b(B), "c.md": _b(C), "MEMORY.md": b"x\n"}
    after = {"ab.md": _b(survivor), "c.md": _b(C), "MEMORY.md": b"y\n"}
    notes = Notes()
    notes.archive("b.md", "Dana left")

    plan = build_plan(before, after, notes=notes)

    actions = {e.file: (e.action, e.into, e.reason) for e in plan.entries}
    assert actions["a.md"] == (Action.MERGED, "ab.md", "merged into ab.md")
    assert actions["b.md"] == (Action.ARCHIVED, None, "Dana left")
    assert actions["c.md"][0] is Action.KEPT
    assert actions["ab.md"][0] is Action.CREATED
    assert plan.index_changed and plan.changed
    assert [e.file for e in plan.retired] == ["b.md"]
    assert plan.merged_into("a.md") == "ab.md" and plan.merged_into("b.md") is None

    report = {r.file: (r.change, r.why) for r in diff_report(before, after, plan)}
    assert report["a.md"] == ("removed", "merged into ab.md")
    assert report["b.md"] == ("removed", "archived: Dana left")
    assert "c.md" not in report


def test_supersedes_counts_only_from_a_newer_memory() -> None:
    newer = memory_text("b2", body="Billing deploys need Ravi now.", extra="supersedes: [b.md]\n")
    before = {"b.md": _b(B), "old.md": _b(newer)}
    after = {"old.md": _b(newer)}  # unchanged by the run, and older than b.md
    plan = build_plan(before, after, changed_at={"b.md": 200.0, "old.md": 100.0})
    assert plan.retired[0].superseded_by is None
    plan = build_plan(before, after, changed_at={"b.md": 100.0, "old.md": 200.0})
    assert plan.retired[0].superseded_by == "old.md"


def test_a_rename_is_a_move_not_a_loss() -> None:
    plan = build_plan({"a.md": _b(A)}, {"deploys.md": _b(A.replace("name: a", "name: x"))})
    assert [(e.file, e.action, e.into) for e in plan.entries][0] == (
        "a.md",
        Action.MERGED,
        "deploys.md",
    )


def test_merged_from_in_any_form() -> None:
    assert named_files("a.md, b") == ["a.md", "b"]
    assert named_files(["/memories/a.md", "./b.md", 3]) == ["a.md", "b.md"]
    assert named_files(None) == []
