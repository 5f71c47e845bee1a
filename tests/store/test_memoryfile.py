from datetime import date

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
    from memdir.store.memoryfile import text_field

    meta = split_frontmatter('---\nname: "x\\e]0;PWNED\\a"\n---\n').meta
    assert text_field(meta, "name") == "x\ufffd]0;PWNED\ufffd"
