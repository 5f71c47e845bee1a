"""Checks of the file paths and identifiers a memory names against the project."""

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
    "render_note",
]
