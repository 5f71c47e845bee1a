"""`memdir.history.records`: actors, operations and their commit-message form."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest

from memdir.history.records import (
    ACTOR_KINDS,
    Actor,
    Operation,
    commit_message,
    from_timestamp,
    parse_message,
)

WHEN = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def test_the_actor_kinds_are_the_documented_eight() -> None:
    assert ACTOR_KINDS == (
        "cli",
        "mcp",
        "extractor",
        "memory-tool",
        "library",
        "dream",
        "team-sync",
        "hand-edit",
    )


def test_an_unknown_actor_kind_is_refused_naming_the_kinds() -> None:
    with pytest.raises(ValueError) as caught:
        Actor("robot")
    assert str(caught.value) == f"unknown actor kind 'robot'; one of {', '.join(ACTOR_KINDS)}"


def test_an_actor_prints_and_parses_as_kind_or_kind_and_detail() -> None:
    assert str(Actor("cli")) == "cli"
    assert str(Actor("extractor", "s-1")) == "extractor:s-1"
    assert str(Actor("extractor", "")) == "extractor"
    assert Actor.parse(" extractor:s-1:x ") == Actor("extractor", "s-1:x")
    assert Actor.parse("mcp") == Actor("mcp", None)
    assert Actor.parse("mcp:") == Actor("mcp", None)


@pytest.mark.parametrize(
    ("argv", "detail"),
    [
        (["/usr/bin/my-agent.py", "x"], "my-agent.py"),
        ([""], None),
        (["-"], None),
        (["-c"], None),
        (["-m"], None),
        ([], None),
        (["/"], None),
    ],
)
def test_the_library_actor_is_named_after_the_program(
    argv: list[str], detail: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    assert Actor.library() == Actor("library", detail)
    assert Actor.library("given") == Actor("library", "given")


def test_an_operation_as_json_and_its_short_id() -> None:
    op = Operation(
        id="0123456789abcdef" * 2 + "01234567",
        time=WHEN,
        actor=Actor("extractor", "s-1"),
        files=("a.md", "MEMORY.md"),
        summary="add a.md",
        skipped=("b.md (holds a credential)",),
        renames=(("old.md", "a.md"),),
        undoes="feedface",
        parent="abc",
    )
    assert op.short_id == "01234567"
    assert op.to_json() == {
        "id": op.id,
        "time": "2026-03-05T12:00:00+00:00",
        "actor": "extractor",
        "actor_detail": "s-1",
        "files": ["a.md", "MEMORY.md"],
        "summary": "add a.md",
        "skipped": ["b.md (holds a credential)"],
        "renames": [["old.md", "a.md"]],
        "undoes": "feedface",
    }
    # The parent is not part of an operation's identity.
    assert op == Operation(
        op.id,
        WHEN,
        op.actor,
        op.files,
        op.summary,
        op.skipped,
        op.renames,
        op.undoes,
        parent="other",
    )


def test_the_commit_message_is_a_summary_line_then_trailers() -> None:
    text = commit_message(
        "add  a.md\nand more",
        actor=Actor("extractor", "session\n1"),
        files=("a.md", "MEMORY.md"),
        skipped=("b.md (holds a credential)",),
        renames=(("old.md", "a.md"),),
        undoes="feedface",
    )
    assert text == (
        "add a.md and more\n"
        "\n"
        "Memdir-Actor: extractor\n"
        "Memdir-Actor-Detail: session 1\n"
        "Memdir-File: a.md\n"
        "Memdir-File: MEMORY.md\n"
        "Memdir-Renamed: old.md -> a.md\n"
        "Memdir-Skipped: b.md (holds a credential)\n"
        "Memdir-Undoes: feedface\n"
    )
    assert commit_message("x", actor=Actor("cli"), files=()) == "x\n\nMemdir-Actor: cli\n"


def test_a_message_parses_back_into_the_operation_it_came_from() -> None:
    text = commit_message(
        "add a.md",
        actor=Actor("extractor", "s-1"),
        files=("a.md", "MEMORY.md"),
        skipped=("b.md (holds a credential)",),
        renames=(("old name.md", "a.md"),),
        undoes="feedface",
    )
    op = parse_message("c" * 40, "p" * 40, WHEN, text, "extractor:s-1")
    assert op == Operation(
        id="c" * 40,
        time=WHEN,
        actor=Actor("extractor", "s-1"),
        files=("a.md", "MEMORY.md"),
        summary="add a.md",
        skipped=("b.md (holds a credential)",),
        renames=(("old name.md", "a.md"),),
        undoes="feedface",
    )
    assert op.parent == "p" * 40


def test_a_plain_git_commit_reads_as_a_hand_edit_by_its_author() -> None:
    op = parse_message("c" * 40, "", WHEN, "  fixed typo  \n\nSigned-off-by: Ann\n", "Ann")
    assert (op.actor, op.summary, op.files, op.undoes) == (
        Actor("hand-edit", "Ann"),
        "fixed typo",
        (),
        None,
    )
    unknown = parse_message("c" * 40, "", WHEN, "x\n\nMemdir-Actor: robot\n", "")
    assert unknown.actor == Actor("hand-edit", None)
    detail_only = parse_message("c" * 40, "", WHEN, "x\n\nMemdir-Actor-Detail: d\n", "Bo")
    assert detail_only.actor == Actor("hand-edit", "Bo")
    # memdir's own hand-edit records keep their (empty) detail, not the author field.
    own = commit_message("edit a.md", actor=Actor("hand-edit"), files=("a.md",))
    assert parse_message("c" * 40, "", WHEN, own, "hand-edit").actor == Actor("hand-edit")


def test_lines_that_are_not_our_trailers_are_ignored() -> None:
    text = (
        "s\n\nMemdir-File a.md\nOther-File: b.md\nmemdir-File: c.md\n"
        "Memdir-File: d.md\nMemdir-Unknown: e.md\nMemdir-Renamed: x.md\n"
    )
    op = parse_message("c" * 40, "", WHEN, text, "")
    assert op.files == ("d.md",)
    assert op.renames == (("x.md", ""),)


def test_timestamps_are_utc() -> None:
    assert from_timestamp(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert from_timestamp(86400).tzinfo is UTC


def test_trailer_values_may_hold_the_separator_and_bare_keys_are_not_trailers() -> None:
    text = commit_message("s", actor=Actor("cli"), files=("notes: draft.md",))
    assert parse_message("c" * 40, "", WHEN, text, "").files == ("notes: draft.md",)
    plain = parse_message("c" * 40, "", WHEN, "s\n\nFile: x.md\nActor: cli\n", "Ann")
    assert (plain.files, plain.actor) == ((), Actor("hand-edit", "Ann"))
