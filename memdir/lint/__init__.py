"""Health checks of a memory folder: the rules, relative dates and the report."""

from .check import LintReport, Problem, lint

__all__ = ["LintReport", "Problem", "lint"]
