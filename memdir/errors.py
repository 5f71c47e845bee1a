"""memdir's exceptions: one tree, each carrying the exit code the CLI uses.

    MemdirError (exit 1)
    ├── InvalidMemoryError (exit 2)   a memory fails validation (type, name, description, body)
    │   └── SecretDetectedError        the content looks like a credential
    ├── UnsafePathError (exit 2)       a name or path would leave the memory folder
    ├── MemoryNotFoundError (exit 2)   no memory by that name
    ├── MemoryExistsError (exit 2)     a memory by that name already exists
    ├── ConfigurationError (exit 2)    missing or invalid configuration (model, folder)
    ├── InvalidInputError (exit 2)     a file given as input is missing or unusable
    ├── StoreIOError (exit 1)          reading or writing a file failed
    ├── LockTimeoutError (exit 1)      another process held a lock for too long
    ├── TeamSyncError (exit 1)         git could not reach, read or update the team remote
    ├── HistoryError (exit 1)          the folder's history cannot be read or written
    │   ├── UndoConflictError          a later operation touched the files being undone
    │   └── OperationNotFoundError (exit 2)  no such operation, version or recorded file
    ├── DaemonError (exit 1)           a daemon did not start, or did not stop, as asked
    ├── DaemonAlreadyRunningError (exit 2)  another `memory watch` holds the folder
    └── ModelError (exit 1)            a model call failed after the bounded retry
        └── CircuitOpenError           the breaker is open: no call was made

Expected per-file problems found while scanning are returned as values
(`ScanProblem`), not raised: only refusals of a request are exceptions.
"""

from __future__ import annotations

from pathlib import Path

# `typing` costs a hook's start-up a few milliseconds; annotations are strings here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar


class MemdirError(Exception):
    """Root of every error memdir raises on purpose."""

    exit_code: ClassVar[int] = 1

    def __init__(
        self, message: str, *, path: Path | str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.field = field

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.field is not None:
            where.append(f"field '{self.field}'")
        if where:
            return f"{': '.join(where)}: {self.message}"
        return self.message


class InvalidMemoryError(MemdirError):
    """A memory failed validation; nothing was written."""

    exit_code: ClassVar[int] = 2


class SecretDetectedError(InvalidMemoryError):
    """The content holds something that looks like a credential."""


class UnsafePathError(MemdirError):
    """A name or path would resolve outside the memory folder."""

    exit_code: ClassVar[int] = 2


class MemoryNotFoundError(MemdirError):
    """No memory answers to that name."""

    exit_code: ClassVar[int] = 2


class MemoryExistsError(MemdirError):
    """A memory with that name or file already exists."""

    exit_code: ClassVar[int] = 2


class ConfigurationError(MemdirError):
    """Configuration is missing or invalid."""

    exit_code: ClassVar[int] = 2


class InvalidInputError(MemdirError):
    """A file given as input (a transcript, a hook's JSON) is missing or unusable."""

    exit_code: ClassVar[int] = 2


class StoreIOError(MemdirError):
    """Reading or writing a file in the store failed."""


class LockTimeoutError(MemdirError):
    """A lock could not be taken in time."""


class TeamSyncError(MemdirError):
    """A team sync step failed; `kind` says how ("auth", "missing-remote", "network", ...).

    `remote` is the remote with any credentials taken out, safe to show.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "error",
        remote: str | None = None,
        retryable: bool = False,
        path: Path | str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, path=path, field=field)
        self.kind = kind
        self.remote = remote
        self.retryable = retryable


class HistoryError(MemdirError):
    """The folder's history could not be read or written."""


class UndoConflictError(HistoryError):
    """Undo refused: a later operation changed the same files (``--force`` overrides)."""


class OperationNotFoundError(HistoryError):
    """No operation, recorded file or version answers to that reference."""

    exit_code: ClassVar[int] = 2


class DaemonError(MemdirError):
    """A daemon did not start, or did not stop, as asked."""


class DaemonAlreadyRunningError(MemdirError):
    """Another `memory watch` already holds this memory folder."""

    exit_code: ClassVar[int] = 2


class ModelError(MemdirError):
    """A model call failed for good (after the bounded retry, or not retryable)."""

    def __init__(
        self,
        message: str,
        *,
        kind: str = "error",
        retryable: bool = False,
        path: Path | str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, path=path, field=field)
        self.kind = kind
        self.retryable = retryable


class CircuitOpenError(ModelError):
    """The circuit breaker is open, so no request was sent."""
