"""`memdir.history.summary`: what changed between two trees, said in one line from the diff."""

from __future__ import annotations

from collections.abc import Callable

from memdir.history.summary import Change, compare, summarize


def memory(name: str, description: str, body: str = "body", type_: str = "project") -> bytes:
    return f"---\nname: {name}\ndescription: {description}\ntype: {type_}\n---\n{body}\n".encode()


def reader(old: dict[str, bytes], new: dict[str, bytes]) -> Callable[[str, str], bytes]:
    def read(path: str, side: str) -> bytes:
        return {"old": old, "new": new}[side][path]

    return read


def summary(old: dict[str, bytes], new: dict[str, bytes]) -> str:
    ids = {data: f"id{n}" for n, data in enumerate({*old.values(), *new.values()})}
    change = compare({p: ids[d] for p, d in old.items()}, {p: ids[d] for p, d in new.items()})
    return summarize(change, reader(old, new))


def test_compare_sorts_each_kind_and_finds_exact_moves() -> None:
    change = compare(
        {"b.md": "1", "a.md": "2", "gone.md": "3", "moved.md": "4", "same.md": "5"},
        {"b.md": "9", "a.md": "8", "new2.md": "6", "new1.md": "7", "there.md": "4", "same.md": "5"},
    )
    assert change == Change(
        added=("new1.md", "new2.md"),
        deleted=("gone.md",),
        modified=("a.md", "b.md"),
        renamed=(("moved.md", "there.md"),),
    )
    assert change.files == ("a.md", "b.md", "gone.md", "moved.md", "new1.md", "new2.md", "there.md")


def test_two_copies_moved_pair_up_in_order() -> None:
    change = compare({"a.md": "x", "b.md": "x"}, {"c.md": "x", "d.md": "x", "e.md": "x"})
    assert change.renamed == (("a.md", "c.md"), ("b.md", "d.md"))
    assert change.added == ("e.md",) and change.deleted == ()


def test_the_index_sorts_last_and_an_empty_change_is_false() -> None:
    change = Change(("MEMORY.md", "z.md"), (), ("a.md",), (("b.md", "c.md"),))
    assert change.files == ("a.md", "b.md", "c.md", "z.md", "MEMORY.md")
    assert not Change((), (), (), ())
    assert Change((), (), (), (("a", "b"),))
    assert Change(("a",), (), (), ())
    assert Change((), ("a",), (), ())
    assert Change((), (), ("a",), ())


def test_an_added_memory_is_named_with_its_type_and_description() -> None:
    assert summary({}, {"a.md": memory("A", "All about A")}) == "add a.md (project): All about A"
    plain = b"no frontmatter here\n"
    assert summary({}, {"n.md": plain}) == "add n.md"
    long = "word " * 30
    text = summary({}, {"a.md": memory("A", long)})
    assert text == "add a.md (project): " + ("word " * 13) + "word…"
    assert len(text.split(": ", 1)[1]) == 70


def test_a_deleted_memory_is_named_with_its_name() -> None:
    assert summary({"a.md": memory("Alpha", "d")}, {}) == 'delete a.md ("Alpha")'
    assert summary({"a.md": b"plain"}, {}) == "delete a.md"
    long_name = "n" * 70
    assert summary({"a.md": memory(long_name, "d")}, {}) == f'delete a.md ("{"n" * 59}…")'


def test_a_rename_is_one_part() -> None:
    data = memory("A", "d")
    assert summary({"a.md": data}, {"b.md": data}) == "rename a.md -> b.md"


def test_an_edit_names_the_fields_in_order_then_the_body_lines() -> None:
    old = b"---\nname: A\ndescription: d\ntype: project\nzeta: 1\nalpha: 1\nupdated: 1\n---\nx\ny\n"
    new = b"---\nname: B\ndescription: e\ntype: user\nzeta: 2\nalpha: 2\nupdated: 2\n---\nx\nz\nw\n"
    assert summary({"a.md": old}, {"a.md": new}) == (
        "edit a.md: name, description, type, alpha, zeta, body +2 -1"
    )


def test_an_edit_of_only_the_date_or_only_whitespace_says_so() -> None:
    old = b"---\nname: A\nupdated: 2026-01-01\n---\nbody\n"
    dated = b"---\nname: A\nupdated: 2026-02-02\n---\nbody\n"
    spaced = b"---\nname:   A\nupdated: 2026-01-01\n---\nbody\n"
    assert summary({"a.md": old}, {"a.md": dated}) == "edit a.md: updated date"
    assert summary({"a.md": old}, {"a.md": spaced}) == "edit a.md: whitespace"
    assert summary({"a.md": b"x\n"}, {"a.md": b"x\r\n"}) == "edit a.md: whitespace"


def test_folded_field_lines_belong_to_the_field_above() -> None:
    old = b"---\nname: A\ndescription: first\n  second\ntype: project\n---\nbody\n"
    new = b"---\nname: A\ndescription: first\n  third\ntype: project\n---\nbody\n"
    assert summary({"a.md": old}, {"a.md": new}) == "edit a.md: description"
    # A list item under a key, and quotes around a value.
    listed = b"---\nname: 'A'\ntags:\n- one\n---\nbody\n"
    relisted = b'---\nname: "A"\ntags:\n- two\n---\nbody\n'
    assert summary({"a.md": listed}, {"a.md": relisted}) == "edit a.md: tags"
    # Indented lines before any field, and a BOM, change nothing.
    stray = b"\xef\xbb\xbf---\n  stray\nname: A\n---\nbody\n"
    assert summary({}, {"s.md": stray}) == "add s.md"
    assert summary({"s.md": stray}, {}) == 'delete s.md ("A")'


def test_frontmatter_must_open_on_the_first_line_and_close() -> None:
    late = b"\n---\nname: A\n---\nbody\n"
    assert summary({"a.md": late}, {}) == "delete a.md"
    unclosed = b"---\nname: A\nbody\n"
    assert summary({"a.md": unclosed}, {}) == "delete a.md"
    spaced = b"--- \nname: A\n ---\nbody\n"
    assert summary({"a.md": spaced}, {}) == 'delete a.md ("A")'
    # Body lines after the closing line are the body, not fields.
    body_only = b"---\nname: A\n---\nname: B\n"
    changed = b"---\nname: A\n---\nname: C\n"
    assert summary({"a.md": body_only}, {"a.md": changed}) == "edit a.md: body +1 -1"


def test_the_index_alone_is_counted_in_lines() -> None:
    assert summary({}, {"MEMORY.md": b"- a\n- b\n"}) == "edit MEMORY.md (+2 -0 lines)"
    assert summary({"MEMORY.md": b"- a\n- b\n"}, {"MEMORY.md": b"- a\n- c\n- d\n"}) == (
        "edit MEMORY.md (+2 -1 lines)"
    )
    assert summary({"MEMORY.md": b"- a\n- b\n"}, {"MEMORY.md": b"- b\n"}) == (
        "edit MEMORY.md (+0 -1 lines)"
    )
    assert summary({"MEMORY.md": b"- a\n"}, {}) == "delete MEMORY.md"


def test_memories_with_the_index_are_marked_and_the_rest_counted() -> None:
    new = {f"{c}.md": memory(c, f"about {c}") for c in "abcde"}
    new["MEMORY.md"] = b"- index\n"
    text = summary({}, new)
    assert text == (
        "add a.md (project): about a; add b.md (project): about b; "
        "add c.md (project): about c; and 2 more (+index)"
    )
    three = {f"{c}.md": memory(c, f"about {c}") for c in "abc"}
    assert "more" not in summary({}, three)
    # Touching the index while deleting it with memories is a plain "(+index)".
    assert summary({"a.md": b"x", "MEMORY.md": b"i"}, {}) == "delete a.md (+index)"
    assert summary({"MEMORY.md": b"i"}, {"a.md": b"x", "MEMORY.md": b"j"}) == "add a.md (+index)"


def test_a_summary_is_cut_at_160_characters() -> None:
    new = {f"{c * 40}.md": b"plain" for c in "ab"}
    text = summary({}, new)
    assert text == f"add {'a' * 40}.md; add {'b' * 40}.md"
    long = {f"{c * 75}.md": b"plain" for c in "ab"}
    cut = summary({}, long)
    assert len(cut) == 160 and cut.endswith("…")
    assert cut == (f"add {'a' * 75}.md; add {'b' * 75}.md")[:159] + "…"
    exact = {"x" * 153 + ".md": b"plain"}  # "add " + 156 = 160 characters: kept whole
    assert summary({}, exact) == "add " + "x" * 153 + ".md"


def test_nothing_changed_says_so() -> None:
    assert summary({"a.md": b"x"}, {"a.md": b"x"}) == "no change"


def test_body_lines_added_or_changed_apart_are_all_counted() -> None:
    head = b"---\nname: A\n---\n"
    assert summary({"a.md": head + b"x\n"}, {"a.md": head + b"x\ny\n"}) == "edit a.md: body +1 -0"
    assert summary({"a.md": head + b"x\ny\n"}, {"a.md": head + b"x\n"}) == "edit a.md: body +0 -1"
    old = head + b"a\nb\nc\nd\ne\n"
    new = head + b"A\nb\nc\nD\ne\n"
    assert summary({"a.md": old}, {"a.md": new}) == "edit a.md: body +2 -2"
    assert summary({"MEMORY.md": b"a\nb\nc\nd\n"}, {"MEMORY.md": b"b\nc\n"}) == (
        "edit MEMORY.md (+0 -2 lines)"
    )
    assert summary({"MEMORY.md": b"b\n"}, {"MEMORY.md": b"a\nb\nc\n"}) == (
        "edit MEMORY.md (+2 -0 lines)"
    )


def test_a_field_added_or_removed_is_named() -> None:
    old = b"---\nname: A\n---\nbody\n"
    new = b"---\nname: A\ntags: x\n---\nbody\n"
    assert summary({"a.md": old}, {"a.md": new}) == "edit a.md: tags"
    assert summary({"a.md": new}, {"a.md": old}) == "edit a.md: tags"


def test_bytes_that_are_not_utf8_are_summarised_not_refused() -> None:
    bad = b"---\nname: \xff\xfe\n---\nbody \xc3\n"
    worse = b"---\nname: x\xfd\n---\nbody \xc3\nmore \x80\n"
    assert summary({"a.md": bad}, {"a.md": worse}) == "edit a.md: name, body +1 -0"
    assert summary({"MEMORY.md": b"\xff\n"}, {"MEMORY.md": b"\xff\n\xfe\n"}) == (
        "edit MEMORY.md (+1 -0 lines)"
    )
    assert summary({}, {"e.md": b""}) == "add e.md"


def test_a_description_of_exactly_70_characters_is_kept_whole() -> None:
    text = "d" * 70
    assert summary({}, {"a.md": memory("A", text)}) == f"add a.md (project): {text}"
    assert summary({}, {"a.md": memory("A", "d" * 71)}) == f"add a.md (project): {'d' * 69}…"


def test_quotes_only_are_taken_off_a_value() -> None:
    assert summary({"a.md": memory("BOX", "d")}, {"a.md": memory("BO", "d")}) == "edit a.md: name"
    assert summary({"a.md": memory("BOX", "d")}, {}) == 'delete a.md ("BOX")'


def test_folded_values_join_their_lines() -> None:
    folded = b"---\nname: first\n  second\n\tthird\n---\nbody\n"
    assert summary({"a.md": folded}, {}) == 'delete a.md ("first second third")'
    other = b"---\nname: other\n  second\n\tthird\n---\nbody\n"
    assert summary({"a.md": folded}, {"a.md": other}) == "edit a.md: name"
    tabbed = b"---\nname: first\n  second\n\tfourth\n---\nbody\n"
    assert summary({"a.md": folded}, {"a.md": tabbed}) == "edit a.md: name"


def test_line_counts_of_a_long_repetitive_index_are_exact() -> None:
    # difflib's "autojunk" would treat lines repeated this often as junk and miscount.
    old = b"- [x](x.md)\n- [y](y.md)\n" * 150
    new = b"- [x](x.md)\n- [y](y.md)\n" * 75 + b"- [z](z.md)\n" + b"- [x](x.md)\n- [y](y.md)\n" * 75
    assert summary({"MEMORY.md": old}, {"MEMORY.md": new}) == "edit MEMORY.md (+1 -0 lines)"
