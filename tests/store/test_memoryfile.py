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
