"""Checks of the file paths and identifiers a memory names against the project."""

from __future__ import annotations

# Each name loads on first use: a recall answered by the daemon renders its notes
# without the project walker or the reference patterns.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .notes import note_texts
    from .project import ProjectVerifier
    from .references import (
        NoteLine,
        Reference,
        RefKind,
        RefStatus,
        extract_references,
        note_lines,
        render_note,
    )

__all__ = [
    "NoteLine",
    "ProjectVerifier",
    "RefKind",
    "RefStatus",
    "Reference",
    "extract_references",
    "note_lines",
    "note_texts",
    "render_note",
]


def __getattr__(name: str) -> Any:
    module: Any
    if name == "ProjectVerifier":
        from . import project as module
    elif name == "note_texts":
        from . import notes as module
    elif name in __all__:
        from . import references as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
