"""The persisted per-term index: built, read per term, kept up to date, rebuilt when damaged,
and ranking exactly as the in-memory selector does."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from memdir.recall.config import SelectorConfig
from memdir.recall.indexed import IndexedSelector
from memdir.recall.termindex import FORMAT_VERSION, TermIndex
from memdir.store.folder import MemoryDir
from tests.recall.conftest import (
    MEMORIES,
    QUERIES,
    all_postings,
    assert_consistent,
    expected,
    picked,
    selector_for,
    write,
)


def test_ranks_exactly_as_the_in_memory_selector(folder: Path, tmp_path: Path) -> None:
    selector = selector_for(folder, tmp_path / "index.sqlite")
    assert selector.parsed == len(MEMORIES)
    for query in QUERIES:
        for limit, fill in ((5, False), (5, True), (2, True)):
            assert picked(selector, query, limit=limit, fill=fill) == expected(
                folder, query, limit=limit, fill=fill
            ), query
    assert picked(selector, QUERIES[1])  # the comparison is not between two empty lists


def test_reads_postings_per_term(folder: Path, tmp_path: Path) -> None:
    index = selector_for(folder, tmp_path / "index.sqlite").index
    posting = index.posting("grafana")
    assert posting is not None and len(posting) == 1
    assert index.posting("nonexistentterm") is None
    assert index.has("ledger") and not index.has("ledgers")
    assert "goimport" in set(index.suffixed("import"))
    assert set(index.prefixed("latenc")) == {"latenc"}
    assert index.documents == len(MEMORIES)


def test_a_second_process_parses_nothing(folder: Path, tmp_path: Path) -> None:
    file = tmp_path / "index.sqlite"
    selector_for(folder, file).close()
    again = selector_for(folder, file)
    assert again.parsed == 0
    assert picked(again, QUERIES[0]) == expected(folder, QUERIES[0])


def test_only_changed_files_are_parsed(folder: Path, tmp_path: Path) -> None:
    file = tmp_path / "index.sqlite"
    selector_for(folder, file).close()
    write(folder, "grafana.md", "Grafana ledger", "Grafana board for settlement latency")
    (folder / "refunds.md").unlink()
    write(folder, "new.md", "Settlement", "Settlement files arrive at noon")
    selector = selector_for(folder, file)
    assert selector.parsed == 2
    assert selector.index.documents == len(MEMORIES)
    assert selector.index.posting("refund") is None
    content = all_postings(file)
    assert set(content["settlement"]) == {"grafana.md", "new.md"}
    assert "dashboard" not in content  # only the old grafana.md had it
    for query in [*QUERIES, "settlement latency board"]:
        assert picked(selector, query, fill=True) == expected(folder, query, fill=True), query
    rebuilt = tmp_path / "fresh.sqlite"
    selector_for(folder, rebuilt).close()
    assert all_postings(file) == all_postings(rebuilt)
    assert_consistent(file)


@pytest.mark.parametrize("how", ["in place", "by rename"])
def test_a_rewrite_keeping_size_and_mtime_is_seen(folder: Path, tmp_path: Path, how: str) -> None:
    file = tmp_path / "index.sqlite"
    selector_for(folder, file).close()
    path = folder / "grafana.md"
    before = path.stat()
    text = path.read_text().replace("Grafana", "Kibanas")  # the same length
    assert len(text) == len(path.read_text())
    if how == "in place":
        path.write_text(text)
    else:
        (folder / "grafana.tmp").write_text(text)
        os.replace(folder / "grafana.tmp", path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `touch -r` would
    assert (path.stat().st_mtime_ns, path.stat().st_size) == (before.st_mtime_ns, before.st_size)
    selector = selector_for(folder, file)
    assert selector.parsed == 1
    assert selector.index.has("kibana")  # ("grafana" stays: the file name is a field)
    assert picked(selector, "kibanas ledger latency") == expected(folder, "kibanas ledger latency")
    assert picked(selector, "kibanas ledger latency")[0][0] == "grafana.md"


def test_a_private_memory_hides_its_team_namesake_and_shows_it_when_gone(
    folder: Path, tmp_path: Path
) -> None:
    file = tmp_path / "index.sqlite"
    selector_for(folder, file).close()
    write(folder, "deploys.md", "My deploys", "Deploy calendar kept privately")
    selector = selector_for(folder, file)
    assert [p[0] for p in selector.rank("deploy calendar of the team")] == ["deploys.md"]
    assert picked(selector, QUERIES[6], fill=True) == expected(folder, QUERIES[6], fill=True)
    (folder / "deploys.md").unlink()
    selector = selector_for(folder, file)
    assert [p[0] for p in selector.rank("deploy calendar of the team")] == ["team/deploys.md"]
    fresh = tmp_path / "fresh.sqlite"
    selector_for(folder, fresh).close()
    assert all_postings(file) == all_postings(fresh)


def test_files_that_are_not_memories_are_left_out(folder: Path, tmp_path: Path) -> None:
    (folder / "binary.md").write_bytes(b"---\nname: grafana ledger\n---\n\x00\x01")
    (folder / "link.md").symlink_to(folder / "grafana.md")
    (folder / "MEMORY.md").write_text("- [Grafana](grafana.md) grafana ledger\n")
    selector = selector_for(folder, tmp_path / "index.sqlite")
    scan = MemoryDir(folder, state=tmp_path / "state").scan(use_cache=False)
    assert len(scan.problems) >= 2  # the link and the binary file
    assert selector.index.documents == len(scan.memories)
    assert picked(selector, QUERIES[1], fill=True) == expected(folder, QUERIES[1], fill=True)


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "empty", "other version", "other config", "not a table"],
)
def test_a_damaged_index_is_rebuilt_without_an_error(
    folder: Path, tmp_path: Path, damage: str
) -> None:
    file = tmp_path / "index.sqlite"
    selector_for(folder, file).close()
    if damage == "garbage":
        file.write_bytes(b"this is not a database" * 200)
    elif damage == "truncated":
        data = file.read_bytes()
        file.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        file.write_bytes(b"")
    elif damage == "other version":
        with sqlite3.connect(file) as db:
            db.execute(f"PRAGMA user_version = {FORMAT_VERSION + 1}")
    elif damage == "other config":
        with sqlite3.connect(file) as db:
            db.execute("UPDATE meta SET value = 'SelectorConfig(k1=9)' WHERE key = 'config'")
    else:
        with sqlite3.connect(file) as db:
            db.execute("DROP TABLE terms")
    selector = selector_for(folder, file)
    for query in QUERIES:
        assert picked(selector, query, fill=True) == expected(folder, query, fill=True), query
    assert selector.index.documents == len(MEMORIES)
    with sqlite3.connect(file) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == FORMAT_VERSION


def test_damage_found_only_when_reading_a_posting_is_repaired(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    selector = selector_for(folder, tmp_path / "index.sqlite")
    calls = []
    real = TermIndex.posting

    def failing_once(self: TermIndex, term: str) -> dict[int, float] | None:
        if not calls:
            calls.append(term)
            raise sqlite3.DatabaseError("database disk image is malformed")
        return real(self, term)

    monkeypatch.setattr(TermIndex, "posting", failing_once)
    assert picked(selector, QUERIES[1]) == expected(folder, QUERIES[1])
    assert calls


def test_an_unwritable_place_still_answers(folder: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    selector = selector_for(folder, blocker / "index.sqlite")  # its folder cannot exist
    assert picked(selector, QUERIES[1]) == expected(folder, QUERIES[1])


def test_another_configuration_is_not_mixed_in(folder: Path, tmp_path: Path) -> None:
    file = tmp_path / "index.sqlite"
    selector_for(folder, file).close()
    literal = IndexedSelector(
        str(folder), index_file=str(file), config=SelectorConfig(stemming=False)
    )
    literal.refresh()
    assert literal.parsed == len(MEMORIES)
    assert literal.index.has("tuesdays") and not literal.index.has("tuesday")


_WORKER = """
import sys, os
from pathlib import Path
from memdir.recall.indexed import IndexedSelector
folder, file, me = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for round in range(6):
    path = folder / f"worker{me}_{round % 3}.md"
    path.write_text(f"---\\nname: worker {me}\\ndescription: worker {me} note {round} "
                    f"about topic{round} and ledger\\ntype: project\\n---\\n\\nbody {round}\\n")
    os.utime(path, ns=(1_700_000_000_000_000_000 + round, 1_700_000_000_000_000_000 + round))
    selector = IndexedSelector(str(folder), index_file=file)
    selector.refresh()
    selector.rank("ledger latency dashboard", fill=True)
    selector.close()
"""


def test_concurrent_processes_keep_it_consistent(folder: Path, tmp_path: Path) -> None:
    file = tmp_path / "index.sqlite"
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(folder), str(file), str(i)])
        for i in range(4)
    ]
    assert [w.wait(timeout=300) for w in workers] == [0, 0, 0, 0]
    assert_consistent(file)
    final = selector_for(folder, file)
    assert final.index.documents == len(MEMORIES) + 12
    fresh = tmp_path / "fresh.sqlite"
    selector_for(folder, fresh).close()
    assert all_postings(file) == all_postings(fresh)
    assert picked(final, "worker ledger topic5", fill=True) == expected(
        folder, "worker ledger topic5", fill=True
    )
