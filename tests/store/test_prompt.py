from memdir.store.prompt import DO_NOT_SAVE, build_memory_prompt, type_section
from memdir.types import MemoryType


def test_type_section_names_every_type_and_what_not_to_save() -> None:
    text = type_section()
    for kind in MemoryType:
        assert f"`{kind.value}`" in text
    assert all(item in text for item in DO_NOT_SAVE)
    assert "**Why:**" in text and "**How to apply:**" in text


def test_prompt_ends_with_the_index_and_its_note() -> None:
    text = build_memory_prompt(
        index_text="- [Role](role.md) — backend lead", memory_dir="/m", index_note="> cut"
    )
    assert "`/m`" in text
    assert text.rstrip().endswith("- [Role](role.md) — backend lead\n\n> cut")
    assert "check that it still exists" in text


def test_empty_index_says_so() -> None:
    assert "No memories yet" in build_memory_prompt(index_text="", memory_dir="/m")
