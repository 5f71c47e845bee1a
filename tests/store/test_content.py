import pytest

from memdir.errors import UnsafePathError
from memdir.store.content import check_name, derivable_content, slugify


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("```python\nprint(1)\n```", "derivable-code-block"),
        ("src/\n├── app.py\n└── cli.py\n", "derivable-tree"),
        ("fixed in 3f9c2a1b7e4d5c6f8a9b0c1d2e3f4a5b6c7d8e9f", "derivable-commit"),
        ('Traceback (most recent call last):\n  File "x.py", line 1', "derivable-stack-trace"),
    ],
)
def test_derivable_content_is_named(body: str, rule: str) -> None:
    assert [r for r, _ in derivable_content(body)] == [rule]


def test_plain_prose_is_fine() -> None:
    body = "Deploys freeze on 2026-12-20.\n**Why:** year end.\n**How to apply:** ask Kim."
    assert derivable_content(body) == []


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Testing policy", "testing_policy"),
        ("Café au lait!", "cafe_au_lait"),
        ("!!!", ""),
        ("Ünïcödé café 日本語", "unicode_cafe_日本語"),
        ("日本語", "日本語"),
        ("한국어 메모", "한국어_메모"),
        ("🚀 rocket", "rocket"),
        ("🚀", "memory_ebbc0b2870"),
        ("con", "con_"),
        ("Ελληνικά", "ελληνικα"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("name", ["a/b", "..", "x\x00y", "a\\b"])
def test_names_that_look_like_paths_are_refused(name: str) -> None:
    with pytest.raises(UnsafePathError) as info:
        check_name(name)
    assert info.value.field == "name"
