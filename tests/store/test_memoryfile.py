from datetime import date
from pathlib import Path

import pytest

from memdir.errors import InvalidMemoryError
from memdir.store.memoryfile import render, split_frontmatter, updated_field, validate_fields
from memdir.types import MemoryType


def test_plain_frontmatter() -> None:
    parsed = split_frontmatter("---\nname: A\ndescription: b c\ntype: user\n---\n\nbody\n")
    assert parsed.meta == {"name": "A", "description": "b c", "type": "user"}
    assert parsed.body == "body\n"


def test_yaml_coercion_is_kept_visible() -> None:
    parsed = split_frontmatter("---\nname: A\ndescription: no\nupdated: 2026-03-05\n---\n")
    assert parsed.meta["description"] is False
    assert updated_field(parsed.meta) == date(2026, 3, 5)


def test_unquoted_colon_is_read_leniently_and_flagged() -> None:
    parsed = split_frontmatter("---\nname: A\ndescription: note: quoted later\ntype: user\n---\n")
    assert parsed.error is None
    assert parsed.lenient is not None and "YAML" in parsed.lenient
    assert parsed.meta["description"] == "note: quoted later"


def test_broken_yaml_is_an_error() -> None:
    parsed = split_frontmatter("---\nname: [unclosed\n  - x: {\n---\n")
    assert parsed.error is not None


def test_frontmatter_must_close_within_limit() -> None:
    text = "---\n" + "k: v\n" * 40 + "---\nbody"
    assert split_frontmatter(text, max_lines=30).error is not None
    assert split_frontmatter(text).error is None


def test_no_frontmatter() -> None:
    parsed = split_frontmatter("just text")
    assert parsed.meta == {} and parsed.error is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "", "description": "d", "type": "user"}, "name"),
        ({"name": "n", "description": "", "type": "user"}, "description"),
        ({"name": "n", "description": "two\nlines", "type": "user"}, "description"),
        ({"name": "n", "description": "x" * 201, "type": "user"}, "description"),
        ({"name": "n", "description": "d", "type": "bogus"}, "type"),
    ],
)
def test_validate_fields_names_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidMemoryError) as info:
        validate_fields(**kwargs)
    assert info.value.field == field


def test_invalid_type_lists_the_four() -> None:
    with pytest.raises(InvalidMemoryError, match="user, feedback, project, reference"):
        validate_fields(name="n", description="d", type="idea")


def test_render_round_trip_keeps_extra_keys() -> None:
    text = render(
        name="Deploy freeze",
        description="No deploys: 2026-12-20 to 2027-01-05",
        type=MemoryType.PROJECT,
        body="Body line",
        extra={"updated": date(2026, 11, 1), "owner": "kim", "name": "ignored"},
    )
    parsed = split_frontmatter(text)
    assert parsed.meta["description"] == "No deploys: 2026-12-20 to 2027-01-05"
    assert parsed.meta["owner"] == "kim"
    assert parsed.meta["name"] == "Deploy freeze"
    assert list(parsed.meta)[:3] == ["name", "description", "type"]
    assert parsed.body.strip() == "Body line"


# -- hostile frontmatter: a problem of that one file, never an exception ----------------


def alias_bomb(key: str = "type") -> str:
    """Nine nested anchors of ten aliases each: 10^9 strings once expanded."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    lines.append(f"{key}: *a8")
    return "---\nname: bomb\n" + "\n".join(lines) + "\n---\nbody\n"


@pytest.mark.parametrize("key", ["type", "description"])
def test_anchors_and_aliases_are_refused_before_anything_expands(key: str) -> None:
    parsed = split_frontmatter(alias_bomb(key))
    assert parsed.meta == {}
    assert parsed.error is not None and "anchor" in parsed.error


@pytest.mark.parametrize("value", ["2026-02-29", "0000-00-00", "2026-13-45T25:00:00"])
def test_impossible_dates_stay_text_and_read_as_no_date(value: str) -> None:
    parsed = split_frontmatter(f"---\nname: A\ndescription: d\ntype: user\nupdated: {value}\n---\n")
    assert parsed.error is None
    assert parsed.meta["updated"] == value
    assert updated_field(parsed.meta) is None


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    deep = (
        "---\nname: A\nx: "
        + "[" * 3000
        + "]" * 3000
        + "\ny:\n"
        + "".join("  " * i + "- \n" for i in range(1, 200))
    )
    parsed = split_frontmatter(deep + "---\n")
    assert parsed.meta.get("x") is None or isinstance(parsed.meta["x"], str)
    nested = "---\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(60)) + "---\n"
    result = split_frontmatter(nested)
    assert result.error is not None and "nested" in result.error


def test_non_scalar_values_are_described_never_stringified() -> None:
    from memdir.store.memoryfile import field_problem, raw_type_text

    meta = split_frontmatter("---\ntype: [1, 2, 3]\ndescription: {a: 1}\n---\n").meta
    assert raw_type_text(meta["type"]) == "a list of 3 items"
    assert field_problem(meta, "description") == "is dict (a dict of 1 items), not text; quote it"


def test_control_characters_never_reach_names() -> None:
    from memdir.store.headfields import text_field

    meta = split_frontmatter('---\nname: "x\\e]0;PWNED\\a"\n---\n').meta
    assert text_field(meta, "name") == "x\ufffd]0;PWNED\ufffd"


# -- reading: what each branch of split_frontmatter and body_of gives back --------------


def test_blank_lines_in_a_flat_block_are_skipped() -> None:
    parsed = split_frontmatter("---\nname: A\n\n   \ntype: user\n---\nbody\n")
    assert (parsed.meta, parsed.error) == ({"name": "A", "type": "user"}, None)


@pytest.mark.parametrize(
    ("first", "closing"), [("---", "---"), ("---  ", "---  "), ("---", "..."), ("---", "...\t")]
)
def test_the_block_closes_on_dashes_or_dots_with_trailing_space(first: str, closing: str) -> None:
    from memdir.store.filetext import body_of

    text = f"{first}\nname: A\n{closing}\n\n\nbody\n"
    parsed = split_frontmatter(text)
    assert (parsed.meta, parsed.body, parsed.error) == ({"name": "A"}, "body\n", None)
    assert body_of(text) == "body\n"


def test_a_dashes_line_with_text_does_not_close_the_block() -> None:
    parsed = split_frontmatter("---\nname: A\n--- not a close\n")
    assert parsed.error == "frontmatter does not close within 4 lines"


def test_body_of_without_or_with_an_unclosed_block_is_the_whole_text() -> None:
    from memdir.store.filetext import body_of

    assert body_of("plain\n---\ntext\n") == "plain\n---\ntext\n"
    assert body_of("---\nname: A\nno end\n") == "---\nname: A\nno end\n"
    assert body_of("---\n---\nx") == "x"


def test_the_closing_line_is_looked_for_within_the_limit_exactly() -> None:
    # Closing on line 30 (index 29) is inside a 30-line limit; on line 31 it is not.
    inside = "---\n" + "k: v\n" * 28 + "---\nbody"
    outside = "---\n" + "k: v\n" * 29 + "---\nbody"
    assert split_frontmatter(inside, max_lines=30).error is None
    assert split_frontmatter(outside, max_lines=30).error == (
        "frontmatter does not close within 30 lines"
    )
    # Shorter than the limit: the message counts the lines there are.
    assert split_frontmatter("---\nk: v\n", max_lines=30).error == (
        "frontmatter does not close within 3 lines"
    )
    unclosed = split_frontmatter("---\nk: v\nbody")
    assert (unclosed.meta, unclosed.body) == ({}, "---\nk: v\nbody")


def test_an_empty_value_reads_as_null_through_yaml() -> None:
    parsed = split_frontmatter("---\nname:\ntype: user\n---\n")
    assert (parsed.meta, parsed.error) == ({"name": None, "type": "user"}, None)


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "No",
        "on",
        "off",
        "null",
        "y",
        "n",
        "true",
        "False",
        "12",
        "-1.5",
        "+3",
        "1_000",
        ".5",
        "1e3",
        "2.",
        "0x1f",
        "0o17",
        ".inf",
        "-.nan",
        "[a, b]",
        "{a: 1}",
        "'quoted'",
        '"quoted"',
        "a # comment",
        "*star",
        "!tag x",
        "|",
        ">",
        "@at",
        "`tick",
        "%pct",
        "~",
        "-",
        "? q",
        ", c",
        "2026-03-05T10:00:00",
    ],
)
def test_the_flat_reader_never_disagrees_with_yaml(value: str) -> None:
    import yaml

    block = f"name: N\nv: {value}\n"
    try:
        expected = yaml.safe_load(block)
    except yaml.YAMLError:
        expected = None
    parsed = split_frontmatter(f"---\n{block}---\n")
    if expected is None:
        assert parsed.error is not None or parsed.lenient is not None or parsed.meta == {}
    else:
        assert parsed.meta == expected


@pytest.mark.parametrize(
    "value", ["plain words", "a-b_c", "v1.2 release", "yesterday", "nothing", "0800 call", "x:y"]
)
def test_plain_text_stays_text(value: str) -> None:
    assert split_frontmatter(f"---\nv: {value}\n---\n").meta == {"v": value}


def test_a_plain_date_is_a_date_and_an_impossible_one_text() -> None:
    assert split_frontmatter("---\nupdated: 2026-03-05\n---\n").meta == {
        "updated": date(2026, 3, 5)
    }
    assert split_frontmatter("---\nupdated: 2026-02-30\n---\n").meta == {"updated": "2026-02-30"}


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ('name: "Quoted"', "Quoted"),
        ("name: 'single'", "single"),
        ('name: ""', ""),
        ('name: "', '"'),
        ("name: 'mixed\"", "'mixed\""),
        ("name: plain", "plain"),
        ("name:", ""),
    ],
)
def test_lenient_reading_drops_matching_quotes_only(line: str, value: str) -> None:
    parsed = split_frontmatter(f"---\n{line}\ndescription: note: colon\n---\nbody\n")
    assert parsed.error is None and parsed.lenient is not None
    assert parsed.meta == {"name": value, "description": "note: colon"}
    assert parsed.body == "body\n"


def test_a_yaml_error_names_the_file_line() -> None:
    # The block starts on the file's line 2; the broken line is the file's line 3.
    parsed = split_frontmatter("---\nname: A\ndescription: [x\n  - y: {\n---\nbody\n")
    assert parsed.meta == {} and parsed.body == "body\n"
    assert parsed.error is not None and parsed.error.startswith("frontmatter is not valid YAML")
    assert parsed.error.endswith(")") and "(line " in parsed.error
    line = int(parsed.error.rsplit("(line ", 1)[1].rstrip(")"))
    assert line in (3, 4, 5)


def test_a_refused_block_keeps_the_body_and_gives_no_lenient_reading() -> None:
    parsed = split_frontmatter(alias_bomb())
    assert parsed.lenient is None and parsed.body == "body\n"
    assert parsed.error is not None and parsed.error.endswith("(line 3)")


def test_comments_only_or_a_list_are_not_a_mapping() -> None:
    empty = split_frontmatter("---\n# just a comment\n---\nbody")
    assert (empty.meta, empty.error, empty.body) == ({}, None, "body")
    listed = split_frontmatter("---\n- a\n- b\n---\nbody")
    assert (listed.meta, listed.body) == ({}, "body")
    assert listed.error == "frontmatter is not a mapping of keys to values"


def test_keys_that_are_not_text_are_described() -> None:
    parsed = split_frontmatter("---\n1: one\nname: A\nnull: x\n---\n")
    assert parsed.meta == {"1": "one", "name": "A", "None": "x"}


# -- fields --------------------------------------------------------------------------


def test_text_field_strips_and_refuses_other_types() -> None:
    from memdir.store.headfields import text_field

    meta = {"name": "  A  ", "n": 3, "b": False}
    assert text_field(meta, "name") == "A"
    assert (text_field(meta, "n"), text_field(meta, "b"), text_field(meta, "x")) == (None,) * 3


@pytest.mark.parametrize(
    ("meta", "problem"),
    [
        ({}, "missing"),
        ({"description": None}, "missing"),
        ({"description": False}, "is yes/no (False), not text; quote it"),
        ({"description": 12}, "is int (12), not text; quote it"),
        (
            {"description": date(2026, 3, 5)},
            "is date (datetime.date(2026, 3, 5)), not text; quote it",
        ),
        ({"description": " \t "}, "is empty"),
        ({"description": "fine"}, None),
    ],
)
def test_field_problem_says_what_is_wrong(meta: dict, problem: str | None) -> None:
    from memdir.store.memoryfile import field_problem

    assert field_problem(meta, "description") == problem


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (None, None),
        (True, None),
        (False, None),
        (20260305, None),
        ("", None),
        ("   ", None),
        ("someday", None),
        (date(2026, 3, 5), date(2026, 3, 5)),
        ("2026-03-05", date(2026, 3, 5)),
        ("  2026-03-05  ", date(2026, 3, 5)),
        ("2026-03-05T23:30:00-09:00", date(2026, 3, 5)),
        ("2026-03-05 (reviewed)", date(2026, 3, 5)),
        ("2026-03-05xx", date(2026, 3, 5)),
        ("2026-3-5", None),
    ],
)
def test_parse_updated_reads_what_it_can(value: object, day: date | None) -> None:
    from memdir.store.freshness import parse_updated

    assert parse_updated(value) == day


def test_a_timestamp_counts_as_the_day_written_in_its_own_timezone() -> None:
    from datetime import datetime, timedelta, timezone

    from memdir.store.freshness import parse_updated

    late = datetime(2026, 3, 5, 23, 30, tzinfo=timezone(timedelta(hours=-9)))
    assert parse_updated(late) == date(2026, 3, 5)
    meta = split_frontmatter("---\nupdated: 2026-03-05T23:30:00-09:00\n---\n").meta
    assert updated_field(meta) == date(2026, 3, 5)


def test_raw_type_text_keeps_text_and_describes_the_rest() -> None:
    from memdir.store.memoryfile import raw_type_text

    assert raw_type_text(None) is None
    assert raw_type_text("Idea\x1b") == "Idea\ufffd"
    assert raw_type_text(3) == "3"
    assert raw_type_text(["a"]) == "a list of 1 items"


def test_strip_controls_keeps_tab_newline_and_text() -> None:
    from memdir.store.headfields import strip_controls

    assert strip_controls("a\tb\nc\x00\x08\x0b\x1f\x7f\x9f\xa0é") == (
        "a\tb\nc" + "\ufffd" * 6 + "\xa0é"
    )


# -- set_updated: the block edited as text ---------------------------------------------


def test_set_updated_replaces_the_line_and_its_continuation() -> None:
    from memdir.store.memoryfile import set_updated

    text = "---\nname: A\nupdated:\n  2020-01-01\n\t# more\ntype: user\n---\nbody\n"
    assert set_updated(text, date(2026, 3, 5)) == (
        "---\nname: A\nupdated: 2026-03-05\ntype: user\n---\nbody\n"
    )
    spaced = "---\nupdated : 2020-01-01\n---\n"
    assert set_updated(spaced, date(2026, 3, 5)) == "---\nupdated: 2026-03-05\n---\n"
    last = "---\nupdated: x\n  y\n---\n"
    assert set_updated(last, date(2026, 3, 5)) == "---\nupdated: 2026-03-05\n---\n"


def test_set_updated_adds_the_line_at_the_end_of_the_block() -> None:
    from memdir.store.memoryfile import set_updated

    text = "---\nname: A\nupdated_by: kim\n...\nbody\nupdated: no\n"
    assert set_updated(text, date(2026, 3, 5)) == (
        "---\nname: A\nupdated_by: kim\nupdated: 2026-03-05\n...\nbody\nupdated: no\n"
    )
    assert set_updated("--- \n--- \n", date(2026, 3, 5)) == "--- \nupdated: 2026-03-05\n--- \n"


@pytest.mark.parametrize("text", ["no block\nupdated: x\n", "---\nname: A\nupdated: x\n", ""])
def test_set_updated_leaves_text_without_a_closed_block_alone(text: str) -> None:
    from memdir.store.memoryfile import set_updated

    assert set_updated(text, date(2026, 3, 5)) == text


# -- validate_fields: exact limits and messages ------------------------------------------


def test_validate_fields_accepts_the_limits_and_strips() -> None:
    assert validate_fields(name="n" * 100, description="d" * 200, type=" User ") is MemoryType.USER
    assert validate_fields(name="  n\n", description="d", type=MemoryType.PROJECT) is (
        MemoryType.PROJECT
    )


@pytest.mark.parametrize(
    ("kwargs", "message", "field"),
    [
        ({"name": "n" * 101}, "name is 101 characters; keep it under 100", "name"),
        (
            {"description": "d" * 201},
            "description is 201 characters; keep it under 200",
            "description",
        ),
        ({"name": "   "}, "name must not be empty", "name"),
        ({"name": None}, "name must not be empty", "name"),
        ({"description": "a\rb"}, "description must be a single line", "description"),
        ({"name": "a\nb"}, "name must be a single line", "name"),
        (
            {"type": "idea"},
            "invalid type 'idea'; use one of: user, feedback, project, reference",
            "type",
        ),
        (
            {"type": None},
            "invalid type 'None'; use one of: user, feedback, project, reference",
            "type",
        ),
    ],
)
def test_validate_fields_messages_name_the_field_and_file(
    kwargs: dict, message: str, field: str, tmp_path: Path
) -> None:
    args = {"name": "n", "description": "d", "type": "user", **kwargs}
    path = tmp_path / "x.md"
    with pytest.raises(InvalidMemoryError) as info:
        validate_fields(**args, path=path)
    assert (info.value.field, info.value.path) == (field, path)
    assert message in str(info.value)


# -- render --------------------------------------------------------------------------


def test_render_writes_stripped_fields_in_order_and_keeps_odd_keys() -> None:
    long = "word " * 40
    text = render(
        name="  Rocket 🚀  ",
        description=f" {long.strip()} ",
        type=MemoryType.FEEDBACK,
        body="\n\nline one\n\n",
        extra={"zeta": 1, "content": "kept", "alpha": "a", "type": "project", "description": "x"},
    )
    lines = text.split("\n")
    assert lines[0] == "---"
    assert lines[1] == "name: Rocket 🚀"
    assert lines[2] == f"description: {long.strip()}"
    assert lines[3:7] == ["type: feedback", "zeta: 1", "content: kept", "alpha: a"]
    assert text.endswith("alpha: a\n---\n\nline one\n")
    assert not text.endswith("\n\n")


def test_lenient_reading_drops_only_real_quotes_and_reads_every_line() -> None:
    parsed = split_frontmatter("---\nname: XmarksX\ndescription: a: b\nowner: 'kim'\n---\n")
    assert parsed.meta == {"name": "XmarksX", "description": "a: b", "owner": "kim"}


def test_keys_after_a_date_are_read() -> None:
    parsed = split_frontmatter("---\nupdated: 2026-03-05\nname: A\ntype: user\n---\n")
    assert parsed.meta == {"updated": date(2026, 3, 5), "name": "A", "type": "user"}


def test_body_of_keeps_the_bodys_own_leading_characters() -> None:
    from memdir.store.filetext import body_of

    assert body_of("---\nname: A\n---\n\n  indented\n") == "  indented\n"
    assert body_of("---\nname: A\n---\nXmas\n") == "Xmas\n"


def test_set_updated_needs_the_block_at_the_top() -> None:
    from memdir.store.memoryfile import set_updated

    text = "plain text\n---\nbody\n"
    assert set_updated(text, date(2026, 3, 5)) == text


@pytest.mark.parametrize(
    ("body", "after_block"),
    [
        ("", ""),
        ("\n\n  code\n\n", "\n  code\n"),
        ("X marks\nthe spot X", "\nX marks\nthe spot X\n"),
    ],
)
def test_render_keeps_the_body_as_written_between_blank_lines(body: str, after_block: str) -> None:
    text = render(name="A", description="d", type=MemoryType.USER, body=body, extra={})
    assert text == "---\nname: A\ndescription: d\ntype: user\n---\n" + after_block


def test_the_body_keeps_its_own_leading_characters() -> None:
    assert split_frontmatter("---\nname: A\n---\n\n  indented\n").body == "  indented\n"
    assert split_frontmatter("---\nname: A\n---\nXmas\n").body == "Xmas\n"


def test_a_yaml_problem_without_a_line_is_given_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    from memdir.store import memoryfile
    from memdir.store.yamlblock import YamlBlockError

    def failing(text: str) -> object:
        raise YamlBlockError("frontmatter is nested too deeply")

    monkeypatch.setattr(memoryfile, "load_block", failing)
    parsed = split_frontmatter("---\nname: [a]\n---\nbody\n")
    assert (parsed.meta, parsed.body, parsed.error) == (
        {},
        "body\n",
        "frontmatter is nested too deeply",
    )
