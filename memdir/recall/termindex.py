"""The persisted per-term index: a fresh process reads only what a query needs.

A hook or `memory recall` runs as a new process on every prompt. Rebuilding every
memory's postings and header objects from a cache costs more than scoring itself, so the
offline selector's postings are kept on disk per term, in SQLite (stdlib `sqlite3`,
~2.5 ms to import): a query reads the rows of its own terms (and the variants the
scorer tries: range scans over the sorted terms, forwards and reversed), and the header
fields of the few memories it returns.

Tables: ``docs`` (one row per Markdown file: its stat signature, header fields and term
weights, or no header for a file that is not a usable memory), ``terms`` (term, the
term reversed, and its posting: a `marshal`-ed ``{doc id: weight}``) and ``meta`` (the
selector configuration it was built with, the folder's listing, the related-term map).
``PRAGMA user_version`` holds the format version.

Updates are incremental: the folder is walked and stat-ed; when the listing (name,
mtime_ns, size, ctime_ns and inode of every file) equals the stored one nothing else is
read; otherwise
only new or changed files are parsed and tokenized, outside any lock, and applied in one
``BEGIN IMMEDIATE`` transaction, so concurrent processes serialise and a crash leaves
the previous state. A file that is not a database, is truncated, is of another format
version or was built with another configuration is deleted and built again: it is a
cache, and no error about it reaches the user.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence

from ..store.walk import Stat as Entry

__all__ = ["FORMAT_VERSION", "Record", "TermIndex"]

#: Bumped whenever the tables or what they hold change: older files are rebuilt.
FORMAT_VERSION = 2

#: A parsed memory: ((name, description, raw_type, updated ISO date or None), weights),
#: or None for a file that is not a usable memory.
Record = tuple[tuple[str, str, "str | None", "str | None"], dict[str, float]] | None
#: Parses one changed file: (path, filename, mtime, size, is a link) -> its record.
Parser = Callable[[str, str, float, int, bool], Record]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY,
    filename TEXT NOT NULL UNIQUE,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    mtime REAL NOT NULL,
    visible INTEGER NOT NULL,
    header BLOB,
    weights BLOB
);
CREATE TABLE IF NOT EXISTS terms (
    term TEXT PRIMARY KEY,
    rterm TEXT NOT NULL,
    posting BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS terms_rterm ON terms (rterm);
"""


def listing_text(entries: Iterable[Entry]) -> str:
    """The folder's signature: every file's name, mtime_ns, size, ctime_ns and inode
    number, in walk order.

    Not sorted (sorting 10,000 names costs more than the comparison it saves): a folder
    listed in another order just takes the slower way, a look at every stored row.
    """
    return "\n".join([f"{e[0]}\0{e[2]}\0{e[3]}\0{e[6]}\0{e[7]}" for e in entries])


def shadowed(filename: str, private: set[str] | frozenset[str]) -> bool:
    """True for a team memory hidden by a private one of the same path (see `scan`)."""
    return filename.startswith("team/") and filename[5:] in private


class TermIndex:
    """One memory folder's persisted postings, opened from (or built into) `file`.

    `config_key` names the selector configuration the weights were computed with; a file
    built with another is rebuilt. Not thread-safe: one per thread or process.
    """

    def __init__(self, file: str, *, config_key: str) -> None:
        self.file = file
        self.config_key = config_key
        self._postings: dict[str, dict[int, float] | None] = {}
        self._related: dict[str, list[str]] | None = None
        self._documents: int | None = None
        self._db = self._open()

    # -- opening and rebuilding -----------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        """A connection to a usable index file, recreating the file when it is not one."""
        try:
            return self._connect()
        except (sqlite3.Error, OSError):
            self._remove()
        try:
            return self._connect()
        except (sqlite3.Error, OSError):
            return self._connect(":memory:")

    def _connect(self, file: str | None = None) -> sqlite3.Connection:
        file = file or self.file
        if file != ":memory:":
            os.makedirs(os.path.dirname(file), mode=0o700, exist_ok=True)
        db = sqlite3.connect(file, timeout=30.0, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous = OFF")  # a cache: a lost write costs time only
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                db.execute("BEGIN IMMEDIATE")
                if db.execute("PRAGMA user_version").fetchone()[0] == 0:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('config', ?)", (self.config_key,)
                    )
                    db.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
                db.execute("COMMIT")
                version = FORMAT_VERSION
            row = db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
            if version != FORMAT_VERSION or row is None or row[0] != self.config_key:
                raise sqlite3.DatabaseError("index of another version or configuration")
            if file != ":memory:":
                os.chmod(file, 0o600)
        except BaseException:
            db.close()
            raise
        return db

    def _remove(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(self.file + suffix)
            except OSError:
                pass

    def rebuild(self) -> None:
        """Forget everything (the file is deleted and created again, empty)."""
        self._db.close()
        self._remove()
        self._forget()
        self._db = self._open()

    def in_memory(self) -> None:
        """Forget everything and keep the index in memory, for this process only.

        Trigger: the state folder cannot hold the file (read-only, full, locked for
        longer than the timeout). Why: recall must still answer. Outcome: an index
        built in memory, as costly as a cold start, never saved.
        """
        self._db.close()
        self._forget()
        self._db = self._connect(":memory:")

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def _forget(self) -> None:
        self._postings.clear()
        self._related = None
        self._documents = None

    # -- keeping it up to date --------------------------------------------------------

    def sync(self, entries: Sequence[Entry], parse: Parser) -> int:
        """Bring the index in line with the folder's files; the number of files parsed.

        Only files whose signature (`listing_text`) changed are parsed, outside the write
        lock; the changes are then applied in one transaction.
        """
        listing = listing_text(entries)
        if self._meta("listing") == listing:
            return 0
        stored = {
            row[0]: row[1:]
            for row in self._db.execute("SELECT filename, mtime_ns, size, ctime_ns, ino FROM docs")
        }
        parsed: dict[str, tuple[Entry, Record]] = {}
        for entry in entries:
            if stored.get(entry[0]) != (entry[2], entry[3], entry[6], entry[7]):
                parsed[entry[0]] = (entry, parse(entry[1], entry[0], entry[4], entry[3], entry[5]))
        names = {e[0] for e in entries}
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            self._apply(names, parsed)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('listing', ?)", (listing,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            self._forget()
        return len(parsed)

    def _apply(self, names: set[str], parsed: dict[str, tuple[Entry, Record]]) -> None:
        """Write the parsed files and drop the gone ones; postings follow (in a transaction)."""
        db = self._db
        # Read again under the lock: another process may have applied changes meanwhile.
        rows = {
            row[0]: row[1:]
            for row in db.execute("SELECT filename, id, mtime_ns, size, visible, weights FROM docs")
        }
        fresh = not rows
        delta: dict[str, dict[int, float | None]] = {}

        def move(doc: int, old: bytes | None, new: dict[str, float] | None) -> None:
            if old is not None:
                for term in marshal.loads(old):
                    delta.setdefault(term, {})[doc] = None
            if new is not None:
                for term, weight in new.items():
                    delta.setdefault(term, {})[doc] = weight

        for name in rows.keys() - names:
            doc, _, _, visible, weights = rows.pop(name)
            if visible:
                move(doc, weights, None)
            db.execute("DELETE FROM docs WHERE id = ?", (doc,))
        memories = {n for n, r in rows.items() if r[4] is not None and n not in parsed}
        memories.update(n for n, (_, rec) in parsed.items() if rec is not None)
        # New files get the next ids and are inserted together (a first build inserts
        # thousands); changed files are updated one by one.
        next_id = (db.execute("SELECT max(id) FROM docs").fetchone()[0] or 0) + 1
        inserts = []
        for name, (entry, record) in parsed.items():
            header = weights_blob = None
            if record is not None:
                header, weights_blob = marshal.dumps(record[0]), marshal.dumps(record[1])
            visible = record is not None and not shadowed(name, memories)
            values = (*entry[2:5], entry[6], entry[7], int(visible), header, weights_blob)
            old = rows.get(name)
            if old is None:
                doc = next_id
                next_id += 1
                inserts.append((doc, *values, name))
            else:
                doc = old[0]
                db.execute(
                    "UPDATE docs SET mtime_ns = ?, size = ?, mtime = ?, ctime_ns = ?, ino = ?,"
                    " visible = ?, header = ?, weights = ? WHERE id = ?",
                    (*values, doc),
                )
                if old[3]:
                    move(doc, old[4], None)
            if visible:
                assert record is not None
                move(doc, None, record[1])
        db.executemany(
            "INSERT INTO docs (id, mtime_ns, size, mtime, ctime_ns, ino, visible, header,"
            " weights, filename) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
        # A private memory appearing or going hides or shows its team namesake.
        for name, (doc, _, _, was, weights) in rows.items():
            if name in parsed or weights is None:
                continue
            now = not shadowed(name, memories)
            if now != bool(was):
                db.execute("UPDATE docs SET visible = ? WHERE id = ?", (int(now), doc))
                move(doc, None if now else weights, marshal.loads(weights) if now else None)
        if fresh:
            # A first build: no posting to merge with, so all are written in one go.
            db.executemany(
                "INSERT OR REPLACE INTO terms VALUES (?, ?, ?)",
                [
                    (term, term[::-1], marshal.dumps(changes))
                    for term, changes in delta.items()
                    if changes
                ],
            )
        else:
            self._merge(delta)
        count = db.execute("SELECT count(*) FROM docs WHERE visible = 1").fetchone()[0]
        db.execute("INSERT OR REPLACE INTO meta VALUES ('documents', ?)", (count,))

    def _merge(self, delta: dict[str, dict[int, float | None]]) -> None:
        """Apply posting changes (doc -> weight, None to remove) to the stored postings."""
        db = self._db
        for term, changes in delta.items():
            row = db.execute("SELECT posting FROM terms WHERE term = ?", (term,)).fetchone()
            posting: dict[int, float] = marshal.loads(row[0]) if row else {}
            for doc, weight in changes.items():
                if weight is None:
                    posting.pop(doc, None)
                else:
                    posting[doc] = weight
            if posting:
                db.execute(
                    "INSERT OR REPLACE INTO terms VALUES (?, ?, ?)",
                    (term, term[::-1], marshal.dumps(posting)),
                )
            elif row:
                db.execute("DELETE FROM terms WHERE term = ?", (term,))

    def empty(self) -> bool:
        """True when nothing has been indexed yet (a new or rebuilt file)."""
        return self._meta("listing") is None

    def _meta(self, key: str) -> object:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    # -- what the scorer reads (`scoring.Postings`) -------------------------------------

    @property
    def documents(self) -> int:
        """How many memories the postings cover."""
        if self._documents is None:
            value = self._meta("documents")
            self._documents = value if isinstance(value, int) else 0
        return self._documents

    def posting(self, term: str) -> dict[int, float] | None:
        """Document id -> weight for one stored term; None when no memory has it."""
        try:
            return self._postings[term]
        except KeyError:
            pass
        row = self._db.execute("SELECT posting FROM terms WHERE term = ?", (term,)).fetchone()
        found = self._postings[term] = marshal.loads(row[0]) if row else None
        return found

    def has(self, term: str) -> bool:
        """True when some memory has the term."""
        if term in self._postings:
            return self._postings[term] is not None
        row = self._db.execute("SELECT 1 FROM terms WHERE term = ?", (term,)).fetchone()
        return row is not None

    def prefixed(self, word: str) -> Iterator[str]:
        """Stored terms that start with `word`."""
        yield from self._range("term", word)

    def suffixed(self, word: str) -> Iterator[str]:
        """Stored terms that end with `word`."""
        for (reverse,) in self._range_rows("rterm", word[::-1]):
            yield reverse[::-1]

    def _range(self, column: str, start: str) -> Iterator[str]:
        for (term,) in self._range_rows(column, start):
            yield term

    def _range_rows(self, column: str, start: str) -> list[tuple[str]]:
        # Every string that starts with `start` sorts between it and `start` with its last
        # character bumped (SQLite compares UTF-8 bytes: the same order as code points).
        end = start[:-1] + chr(ord(start[-1]) + 1)
        return self._db.execute(
            f"SELECT {column} FROM terms WHERE {column} >= ? AND {column} < ? ORDER BY {column}",
            (start, end),
        ).fetchall()

    def related(self) -> dict[str, list[str]]:
        """Term -> related terms, as stored by `store_related` ({} when never stored)."""
        if self._related is None:
            value = self._meta("related")
            self._related = marshal.loads(value) if isinstance(value, bytes) else {}
        return self._related

    def has_related(self) -> bool:
        """True when the related-term map has been stored."""
        return isinstance(self._meta("related"), bytes)

    def store_related(self, related: dict[str, list[str]]) -> None:
        """Keep the related-term map (stemming it costs tens of milliseconds)."""
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('related', ?)", (marshal.dumps(related),)
        )
        self._related = related

    def records(
        self, docs: Iterable[int]
    ) -> dict[int, tuple[str, float, int, tuple[str, str, str | None, str | None]]]:
        """Doc id -> (filename, mtime, size, (name, description, raw_type, updated))."""
        wanted = list(docs)
        out = {}
        for at in range(0, len(wanted), 500):
            chunk = wanted[at : at + 500]
            marks = ",".join("?" * len(chunk))
            for doc, filename, mtime, size, header in self._db.execute(
                f"SELECT id, filename, mtime, size, header FROM docs WHERE id IN ({marks})", chunk
            ):
                if header is not None:
                    out[doc] = (filename, mtime, size, marshal.loads(header))
        return out
