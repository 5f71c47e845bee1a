"""Human output through rich: widths, wide characters, colour switches, full text piped."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli
from memdir_cli.output import cell_width

from memdir.store import MemoryDir

LONG = "Deploys of the billing service wait for the Tuesday release train " * 2
NAMES = ["日本語のメモ", "🚀 rocket launch checklist", "Plain ASCII name"]


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    folder = MemoryDir(memory_dir)
    for name in NAMES:
        folder.save(name=name, description=f"{name}: {LONG}", type="project", body="b")
    return folder


def run(store: MemoryDir, *args: str, **env: str | None):
    return CliRunner().invoke(cli, ["--dir", str(store.path), *args], env=env)


def test_list_at_80_columns_fits_and_keeps_wide_names_aligned(store: MemoryDir) -> None:
    result = run(store, "list", FORCE_COLOR="1", NO_COLOR="1", COLUMNS="80")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + len(NAMES)  # one line a memory: nothing wrapped
    assert all(cell_width(line) <= 80 for line in lines)
    assert "\x1b[" not in result.stdout  # NO_COLOR wins over FORCE_COLOR for colour
    # AGE starts at the same display column on every line, whatever the name's script.
    columns = set()
    for line in lines[1:]:
        at = line.index("today")
        columns.add(cell_width(line[:at]))
    assert len(columns) == 1
    assert all(line.rstrip().endswith("…") for line in lines[1:])


def test_list_piped_prints_every_description_in_full(store: MemoryDir) -> None:
    result = run(store, "list")
    assert result.exit_code == 0
    assert result.stdout.count(LONG.strip()) == len(NAMES)
    assert "…" not in result.stdout
    rows = result.stdout.splitlines()[1:]
    assert len({cell_width(r[: r.index("today")]) for r in rows}) == 1


def test_colour_follows_force_color_and_no_color(store: MemoryDir) -> None:
    (store.path / "broken.md").write_text("---\nname: x\n---\nno type\n")
    coloured = run(store, "lint", "--no-verify", FORCE_COLOR="1", NO_COLOR=None)
    assert "\x1b[" in coloured.stdout
    plain = run(store, "lint", "--no-verify", FORCE_COLOR="1", NO_COLOR="1")
    assert "\x1b[" not in plain.stdout
    piped = run(store, "lint", "--no-verify", NO_COLOR=None)
    assert "\x1b[" not in piped.stdout


def test_names_in_any_script_are_saved_as_written(memory_dir: Path) -> None:
    runner = CliRunner()
    for name in ("日本語", "Ünïcödé café 日本語", "🚀 rocket"):
        args = ["--dir", str(memory_dir), "add", "--type", "user", "--name", name]
        result = runner.invoke(cli, [*args, "--description", f"{name} notes", "--body", "b"])
        assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in memory_dir.glob("*.md") if p.name != "MEMORY.md") == [
        "rocket.md",
        "unicode_cafe_日本語.md",
        "日本語.md",
    ]
    text = (memory_dir / "rocket.md").read_text(encoding="utf-8")
    assert "name: 🚀 rocket" in text and "\\U0001F680" not in text
