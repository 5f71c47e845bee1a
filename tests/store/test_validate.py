"""The one memory-file validator: lint, the daemon and every write agree."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from memdir.errors import InvalidMemoryError, SecretDetectedError
from memdir.lint.check import lint
from memdir.store.folder import MemoryDir
from memdir.store.validate import FILE_RULES, check_file, check_text, refuse_invalid

GOOD = "---\nname: A\ndescription: a fine note\ntype: user\n---\nbody\n"

BAD = {
    "frontmatter-missing": "no header at all\n",
    "frontmatter-invalid": "---\nname: [x\n  - y: {\n---\n",
    "type-missing": "---\nname: A\ndescription: d\n---\n",
    "type-unknown": "---\nname: A\ndescription: d\ntype: idea\n---\n",
    "description-missing": "---\nname: A\ntype: user\n---\n",
    "description-not-text": "---\nname: A\ndescription: no\ntype: user\n---\n",
    "name-missing": "---\ndescription: d\ntype: user\n---\n",
    "frontmatter-lenient": "---\nname: A\ndescription: a: b\ntype: user\n---\n",
    "control-characters": '---\nname: "A\\e[31m"\ndescription: d\ntype: user\n---\n',
}


@pytest.mark.parametrize("rule", sorted(BAD))
def test_what_lint_reports_writes_refuse(tmp_path: Path, rule: str) -> None:
    folder = tmp_path / "mem"
    store = MemoryDir(folder)
    store.init()
    assert rule in [r for r, _, _ in check_text(BAD[rule]).findings]
    with pytest.raises(InvalidMemoryError):
        store.write_text("x.md", BAD[rule])
    assert not (folder / "x.md").exists()
    (folder / "x.md").write_text(BAD[rule])
    assert rule in [p.rule for p in lint(store, today=date.today()).problems]
    assert rule in [r for r, _, _ in check_file(folder / "x.md")]


def test_every_error_rule_refuses_a_write() -> None:
    errors = {rule for rule, r in FILE_RULES.items() if r.severity == "error"}
    assert errors - {"file-unreadable", "secret"} <= set(BAD)
    for rule in errors & set(BAD):
        with pytest.raises(InvalidMemoryError):
            refuse_invalid(BAD[rule], path=Path("x.md"))


def test_a_good_file_passes_everywhere(tmp_path: Path) -> None:
    assert check_text(GOOD).findings == ()
    refuse_invalid(GOOD, path=Path("x.md"))
    (tmp_path / "a.md").write_text(GOOD)
    assert check_file(tmp_path / "a.md") == []
    assert check_file(tmp_path / "gone.md") == []


def test_add_refuses_what_list_would_skip(tmp_path: Path) -> None:
    from memdir.store.filetext import MAX_FILE_BYTES

    store = MemoryDir(tmp_path / "mem")
    with pytest.raises(InvalidMemoryError, match="over the") as info:
        store.save(name="Big", description="d", type="user", body="x" * MAX_FILE_BYTES)
    assert info.value.field == "body"
    assert not (tmp_path / "mem" / "big.md").exists()


# -- exact findings: rule, field and message ---------------------------------------------

TODAY = date(2026, 3, 10)


def head(*lines: str, body: str = "body\n") -> str:
    return "---\n" + "".join(f"{line}\n" for line in lines) + "---\n" + body


def findings(text: str) -> list[tuple[str, str | None, str]]:
    return list(check_text(text, today=TODAY).findings)


def test_missing_and_broken_blocks_say_why() -> None:
    assert findings("no header\n") == [
        (
            "frontmatter-missing",
            "frontmatter",
            "no frontmatter; start the file with a --- block holding name, description and type",
        )
    ]
    assert findings("---\nname: A\n") == [
        (
            "frontmatter-invalid",
            "frontmatter",
            "frontmatter does not close within 3 lines; the file is skipped",
        )
    ]


def test_a_lenient_block_names_the_key_to_quote() -> None:
    text = head("name: A", "description: fix: the build", "type: user")
    assert findings(text) == [
        (
            "frontmatter-lenient",
            "description",
            "frontmatter is not valid YAML (line 3); memdir reads it leniently but other tools "
            "will not: put the description value in quotes",
        )
    ]


def test_a_lenient_block_without_a_single_bad_line_says_a_value() -> None:
    from memdir.store.memoryfile import split_frontmatter
    from memdir.store.validate import check_frontmatter

    # When every line is valid YAML on its own, no one key can be named.
    text = head("name: A", "description: d", "type: user")
    parsed = replace(split_frontmatter(text), lenient="frontmatter is not valid YAML")
    found, usable = check_frontmatter(text, parsed)
    assert usable is True
    assert found == [
        (
            "frontmatter-lenient",
            None,
            "frontmatter is not valid YAML; memdir reads it leniently but other tools will not: "
            "put a value in quotes",
        )
    ]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["name: A", "description: d"],
            [("type-missing", "type", "no type; use one of: user, feedback, project, reference")],
        ),
        (
            ["name: A", "description: d", "type: '  '"],
            [("type-missing", "type", "no type; use one of: user, feedback, project, reference")],
        ),
        (
            ["name: A", "description: d", "type: Users"],
            [
                (
                    "type-unknown",
                    "type",
                    "type 'Users' is not one of: user, feedback, project, reference "
                    "(did you mean user?)",
                )
            ],
        ),
        (
            ["name: A", "description: d", "type: zzz"],
            [
                (
                    "type-unknown",
                    "type",
                    "type 'zzz' is not one of: user, feedback, project, reference",
                )
            ],
        ),
        (
            ["name: A", "description: d", "type: 3"],
            [("type-unknown", "type", "type 3 is not one of: user, feedback, project, reference")],
        ),
        (
            ["name: A", "type: user"],
            [
                (
                    "description-missing",
                    "description",
                    "description missing; recall selects memories by this line alone",
                )
            ],
        ),
        (
            ["name: A", "description: ''", "type: user"],
            [
                (
                    "description-missing",
                    "description",
                    "description is empty; recall selects memories by this line alone",
                )
            ],
        ),
        (
            ["name: A", "description: 12", "type: user"],
            [
                (
                    "description-not-text",
                    "description",
                    "description is int (12), not text; quote it",
                )
            ],
        ),
        (
            ["description: d", "type: user"],
            [("name-missing", "name", "name missing; the file name stands in for it")],
        ),
        (
            ["name: ' '", "description: d", "type: user"],
            [("name-missing", "name", "name is empty; the file name stands in for it")],
        ),
        (
            ["name: yes", "description: d", "type: user"],
            [("name-not-text", "name", "name is yes/no (True), not text; quote it")],
        ),
        (
            ["name: A", "description: d", "type: user", "updated: someday"],
            [
                (
                    "updated-invalid",
                    "updated",
                    "updated: 'someday' is not a date; write it as YYYY-MM-DD (the file's mtime "
                    "is used meanwhile)",
                )
            ],
        ),
        (
            ["name: A", "description: d", "type: user", "updated: 2026-03-11"],
            [
                (
                    "updated-invalid",
                    "updated",
                    "updated: 2026-03-11 is in the future (today is 2026-03-10)",
                )
            ],
        ),
        (["name: A", "description: d", "type: user", "updated: 2026-03-10"], []),
        (["name: A", "description: d", "type: user", "updated:"], []),
    ],
)
def test_field_findings_are_exact(lines: list[str], expected: list[tuple[str, str, str]]) -> None:
    assert findings(head(*lines)) == expected


def test_description_length_warns_over_150_and_says_writes_refuse_over_200() -> None:
    assert findings(head("name: A", f"description: {'d' * 150}", "type: user")) == []
    assert findings(head("name: A", f"description: {'d' * 151}", "type: user")) == [
        (
            "description-too-long",
            "description",
            "description is 151 characters (over 150); keep the specific part and move detail "
            "into the body",
        )
    ]
    assert findings(head("name: A", f"description: {'d' * 200}", "type: user"))[0][2].endswith(
        "into the body"
    )
    assert findings(head("name: A", f"description: {'d' * 201}", "type: user"))[0][2].endswith(
        "into the body; edits through memdir refuse over 200"
    )


def test_a_multiline_description_counts_its_lines() -> None:
    text = head("name: A", "description: |", "  one", "  two", "  three", "type: user")
    assert findings(text) == [
        (
            "description-multiline",
            "description",
            "description spans 3 lines; the selector reads one line per memory, so write one",
        )
    ]


def test_control_characters_are_found_in_values_and_in_the_text() -> None:
    in_value = head('name: "A\\x07"', "description: d", "type: user")
    assert findings(in_value) == [
        (
            "control-characters",
            "name",
            "holds the control character U+0007; terminals act on such characters (memdir "
            "shows them as \ufffd): remove them",
        )
    ]
    in_line = head("name: A", "description: d\x1b[31m", "type: user")
    assert [(r, f) for r, f, _ in findings(in_line)] == [("control-characters", "description")]
    in_body = head("name: A", "description: d", "type: user", body="one\ntwo \x9b here\n")
    assert findings(in_body) == [
        (
            "control-characters",
            "body",
            "line 7 holds the control character U+009B; terminals act on such characters "
            "(memdir shows them as \ufffd): remove them",
        )
    ]
    # Tab, newline and carriage return are text, not controls.
    assert findings(head("name: A", "description: d", "type: user", body="a\tb\r\n")) == []


def test_a_control_character_on_a_line_without_a_key_names_the_frontmatter() -> None:
    text = head("name: A", "description: d", "type: user", "  \x01 continued")
    assert ("control-characters", "frontmatter") in [(r, f) for r, f, _ in findings(text)]


def test_secret_findings_name_the_line_and_field_but_never_the_secret() -> None:
    key = "ghp_" + "aZ3kQ9mW7xB2nR5tL8vC1dF4gH6jK0pS2uY4"
    text = head("name: A", "description: d", "type: user", body=f"intro\nkey {key}\n")
    (rule, field, message), *_ = findings(text)
    assert (rule, field) == ("secret", "body")
    assert message.startswith("line 7 looks like a ")
    assert message.endswith(
        "remove it from the file and its git history, and rotate the credential"
    )
    assert key not in message
    in_name = head(f"name: {key}", "description: d", "type: user")
    assert [(r, f) for r, f, _ in findings(in_name)][0] == ("secret", "name")
    with pytest.raises(SecretDetectedError) as info:
        refuse_invalid(in_name, path=Path("k.md"))
    assert (info.value.field, info.value.path) == ("name", Path("k.md"))
    assert "line 2:" in str(info.value) and key not in str(info.value)


def test_check_file_reports_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "bin.md").write_bytes(b"---\x00\n")
    assert check_file(tmp_path / "bin.md") == [
        ("file-unreadable", None, "binary file (contains NUL bytes); memories are Markdown text")
    ]
    (tmp_path / "future.md").write_text(
        head("name: A", "description: d", "type: user", "updated: 2026-03-11")
    )
    assert [r for r, _, _ in check_file(tmp_path / "future.md", today=TODAY)] == ["updated-invalid"]


def test_fields_ok_needs_a_parsed_nonempty_block() -> None:
    assert check_text(GOOD).fields_ok is True
    assert check_text("no block\n").fields_ok is False
    assert check_text("---\n---\nbody\n").fields_ok is False
    assert check_text(BAD["frontmatter-invalid"]).fields_ok is False


def test_frontmatter_lines_are_the_block_or_nothing() -> None:
    from memdir.store.validate import frontmatter_lines

    assert frontmatter_lines("---\na: 1\nb: 2\n...\nc: 3\n") == ["a: 1", "b: 2"]
    assert frontmatter_lines(" --- \na: 1\n---  \n") == ["a: 1"]
    assert frontmatter_lines("a: 1\n---\n") == []
    assert frontmatter_lines("---\na: 1\n") == []


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (head("description: d", "type: user"), "name", "name missing; the file name stands in"),
        (head("name: A", "description: |", "  a", "  b", "type: user"), "description", "spans 2"),
        (head("name: A", "description: d: e", "type: user"), "description", "put the description"),
        (head('name: "A\\e"', "description: d", "type: user"), "name", "U+001B"),
        (
            head("name: A", f"description: {'d' * 201}", "type: user"),
            "description",
            "201 characters",
        ),
        (head("name: 7", "description: d", "type: user"), "name", "name is int (7)"),
    ],
)
def test_writes_refuse_warnings_memdir_never_writes(text: str, field: str, message: str) -> None:
    with pytest.raises(InvalidMemoryError) as info:
        refuse_invalid(text, path=Path("w.md"))
    assert (info.value.field, info.value.path) == (field, Path("w.md"))
    assert message in str(info.value)


def test_writes_accept_other_warnings() -> None:
    text = head("name: A", f"description: {'d' * 160}", "type: user", "updated: someday")
    assert refuse_invalid(text, path=Path("w.md")).meta["name"] == "A"


def test_refusing_a_too_big_file_gives_its_size() -> None:
    from memdir.store.filetext import MAX_FILE_BYTES

    text = head("name: A", "description: d", "type: user", body="é" * (MAX_FILE_BYTES // 2))
    size = len(text.encode("utf-8"))
    with pytest.raises(InvalidMemoryError) as info:
        refuse_invalid(text, path=Path("big.md"))
    assert str(info.value).startswith(
        f"big.md: field 'body': the memory would be {size:,} bytes, over the 1,000,000"
    )
    exact = head("name: A", "description: d", "type: user", body="")
    filler = "x" * (MAX_FILE_BYTES - len(exact.encode()))
    assert refuse_invalid(exact + filler, path=Path("ok.md")).meta["name"] == "A"


def test_frontmatter_lines_need_the_opening_line_and_the_first_close() -> None:
    from memdir.store.validate import frontmatter_lines

    assert frontmatter_lines("x\na: 1\n---\n") == []
    assert frontmatter_lines("---\n---\nbody\n---\n") == []


def test_the_key_to_quote_is_found_past_blank_lines() -> None:
    text = head("name: A", "", "description: fix: the build", "type: user")
    assert [(r, f) for r, f, _ in findings(text)] == [("frontmatter-lenient", "description")]


def test_a_control_character_is_placed_on_its_line_without_a_block() -> None:
    assert [f for f in findings("plain\nx\x1b\n") if f[0] == "control-characters"] == [
        (
            "control-characters",
            "body",
            "line 2 holds the control character U+001B; terminals act on such characters "
            "(memdir shows them as \ufffd): remove them",
        )
    ]
    assert [f[2][:6] for f in findings("\nx\x1b") if f[0] == "control-characters"] == ["line 2"]


def test_a_block_closing_past_line_thirty_is_invalid_for_lint_and_writes() -> None:
    keys = [f"k{i}: v" for i in range(26)]
    text = head("name: A", "description: d", "type: user", *keys)  # closes on line 31
    assert findings(text) == [
        (
            "frontmatter-invalid",
            "frontmatter",
            "frontmatter does not close within 30 lines; the file is skipped",
        )
    ]
    with pytest.raises(InvalidMemoryError):
        refuse_invalid(text, path=Path("long.md"))


def test_refusal_messages_say_what_to_do() -> None:
    from memdir.store.filetext import MAX_FILE_BYTES

    big = head("name: A", "description: d", "type: user", body="x" * MAX_FILE_BYTES)
    with pytest.raises(InvalidMemoryError) as too_big:
        refuse_invalid(big, path=Path("big.md"))
    assert too_big.value.message == (
        f"the memory would be {len(big):,} bytes, over the 1,000,000-byte limit for a memory; "
        "keep only what will matter later"
    )
    key = "ghp_" + "aZ3kQ9mW7xB2nR5tL8vC1dF4gH6jK0pS2uY4"
    with pytest.raises(SecretDetectedError) as secret:
        refuse_invalid(head("name: A", "description: d", "type: user", body=key), path=Path("k.md"))
    assert secret.value.message == (
        "looks like a credential (github-token, line 6: ghp_aZ3k… (40 chars)); memories are "
        "plain files kept in git, so secrets are refused"
    )
    assert (secret.value.field, key in secret.value.message) == ("body", False)
