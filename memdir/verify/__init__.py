"""Checks of the file paths and identifiers a memory names against the project."""

from .project import ProjectVerifier
from .references import Reference, extract_references

__all__ = ["ProjectVerifier", "Reference", "extract_references"]
