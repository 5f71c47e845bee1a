"""Checks of the file paths and identifiers a memory names against the project."""

from .project import ProjectVerifier
from .references import Reference, RefKind, RefStatus, extract_references, render_note

__all__ = [
    "ProjectVerifier",
    "RefKind",
    "RefStatus",
    "Reference",
    "extract_references",
    "render_note",
]
