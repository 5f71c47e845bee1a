"""The one place the store meets history: who writes (the actor), and one operation a write.

`Recorded` adds to `IndexedFolder` an actor, the folder's `History` (imported only when a
write happens, so recall never loads it) and the history methods of `MemoryDir`;
`recorded` is the decorator every write method of `MemoryDir` carries.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from ..errors import MemdirError, MemoryNotFoundError
from ..progress import Progress
from ..types import MemoryHeader, ScanReport
from .content import slugify
from .folderbase import WriteListener
from .folderindex import IndexedFolder

if TYPE_CHECKING:
    from ..history import Actor, History, Operation, Recording
    from .indexsync import SyncResult

_P = ParamSpec("_P")
_R = TypeVar("_R")
_Self = TypeVar("_Self", bound="Recorded")


def recorded(
    method: Callable[Concatenate[_Self, _P], _R],
) -> Callable[Concatenate[_Self, _P], _R]:
    """Run a write method as ONE history operation of its ``actor=`` keyword.

    Nested writes (update -> init, an undo's index sync) join the outer operation, and
    the history lock is taken before the file and index locks, always in that order.
    """

    @functools.wraps(method)
    def wrapper(self: _Self, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self.operation(kwargs.get("actor")):  # type: ignore[arg-type]
            return method(self, *args, **kwargs)

    return wrapper


class Recorded(IndexedFolder):
    """A memory folder whose every write is a recorded, attributed operation."""

    def __init__(
        self,
        path: Path | str,
        *,
        state: Path | None = None,
        listeners: list[WriteListener] | None = None,
        actor: Actor | str | None = None,
    ) -> None:
        super().__init__(path, state=state, listeners=listeners)
        #: Who this object's writes are recorded as when a call names no actor: an
        #: `Actor`, or its text (``"cli"``, ``"library:my-agent"``), so that code on the
        #: fast path need not import history. Default: ``library`` + the program's name.
        self.actor = actor
        self._history: History | None = None

    @recorded
    def init(self, *, actor: Actor | str | None = None) -> bool:
        """Create the folder and an empty index; True when anything was created."""
        return super().init()

    @recorded
    def sync_index(
        self,
        *,
        dry_run: bool = False,
        previous: Mapping[str, MemoryHeader] | None = None,
        report: ScanReport | None = None,
        actor: Actor | str | None = None,
        progress: Progress | None = None,
    ) -> SyncResult:
        """`IndexedFolder.sync_index`, recorded as one operation."""
        return super().sync_index(
            dry_run=dry_run, previous=previous, report=report, progress=progress
        )

    @property
    def recorder(self) -> History:
        """This folder's `History` (kept in the state folder; see `memdir.history`)."""
        if self._history is None:
            from ..history import History

            self._history = History.for_folder(self.path, state_dir=self.state_path)
            self._history.reindex = lambda: self.sync_index()
        return self._history

    def operation(
        self, actor: Actor | str | None = None
    ) -> contextlib.AbstractContextManager[Recording]:
        """Run a block of writes as one recorded operation (`History.operation`).

        `actor` may be given as text (``"mcp"``, ``"extractor:<session>"``); default:
        this object's `actor`.
        """
        return self.recorder.operation(self.actor_for(actor))

    def actor_for(self, actor: Actor | str | None = None) -> Actor:
        """`actor` as an `Actor`, falling back to this object's own."""
        from ..history import Actor

        chosen = actor if actor is not None else self.actor
        if isinstance(chosen, str):
            return Actor.parse(chosen)
        return chosen or Actor.library()

    def history(
        self,
        name: str | None = None,
        *,
        limit: int | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> builtins.list[Operation]:
        """Recorded operations, newest first; for `name`, its whole life (renames, delete)."""
        return self.recorder.log(
            name=self._history_path(name) if name is not None else None,
            limit=limit,
            actor=actor,
            since=since,
        )

    def undo(
        self, op_id: str | None = None, *, force: bool = False, actor: Actor | str | None = None
    ) -> Operation:
        """Revert one operation (default: the newest memdir made), index synced.

        Raises:
            UndoConflictError: a later operation changed the same files (unless `force`).
            OperationNotFoundError: no such operation, or nothing to undo.
        """
        return self.recorder.undo(op_id, force=force, actor=self.actor_for(actor))

    def restore(
        self, name: str, *, at: str | None = None, actor: Actor | str | None = None
    ) -> Operation:
        """Bring back a forgotten or earlier version of a memory (`History.restore`).

        Raises:
            OperationNotFoundError: the history has no such memory or version.
        """
        return self.recorder.restore(self._history_path(name), at=at, actor=self.actor_for(actor))

    def prune_history(self, before: datetime, *, actor: Actor | str | None = None) -> int:
        """Squash operations older than `before` into one; returns how many were squashed."""
        return self.recorder.prune(before, actor=self.actor_for(actor))

    def _history_path(self, name: str) -> str:
        # A memory that exists now is found the usual way (its name: too); a gone one
        # only by the file name or stem the history recorded.
        with contextlib.suppress(MemdirError):
            return self.find(name).filename
        return self.recorder.resolve_path(name, slugify(name))

    def history_text(self, name: str, at: str) -> str:
        """A memory file's text as it was after an operation or at a date (`--at`).

        Raises:
            OperationNotFoundError: no such operation, or nothing recorded by then.
            MemoryNotFoundError: the memory did not exist at that point.
        """
        history = self.recorder
        path = self._history_path(name)
        info = history.at(at)
        blob = history.files_at(info).get(path)
        if blob is None:
            raise MemoryNotFoundError(
                f"{path} did not exist after operation {info.id[:8]}", path=self.path
            )
        return history.content(blob).decode("utf-8", "replace")
