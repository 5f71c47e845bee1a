"""The one memory-file validator: lint, the daemon and every write agree."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from memdir.errors import InvalidMemoryError
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
