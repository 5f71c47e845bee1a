"""What an extraction changed in the memory folder: one record per file.

Its own module so the extractor (which reports changes) and the memory tool (which makes
them) both import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ChangeAction = Literal["created", "updated", "deleted", "renamed"]


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file an extraction wrote: `path` is relative to the memory folder."""

    action: ChangeAction
    path: str
    old_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"action", "path"}``, plus ``"from"`` for a rename."""
        return {
            "action": self.action,
            "path": self.path,
            **({"from": self.old_path} if self.old_path else {}),
        }
