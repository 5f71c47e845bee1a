"""Health checks of a memory folder: the rules, relative dates and the report."""

from .check import FIXABLE_RULES, LintReport, Problem, fix_index, lint

__all__ = ["FIXABLE_RULES", "LintReport", "Problem", "fix_index", "lint"]
