"""`memory lint`: check every memory file and the index, optionally fix the index."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from memdir.paths import verification_root
from memdir.store import MemoryDir

from .output import echo_json, echo_styled, json_option, progress_bar, styled

if TYPE_CHECKING:
    from memdir.lint import LintReport
    from memdir.store import SyncResult

pass_store = click.make_pass_decorator(MemoryDir)

_LABELS = {"error": ("error", "red"), "warning": ("warning", "yellow")}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_report(report: LintReport) -> str:
    """Problems grouped by file, a severity label on each, then one summary line."""
    lines: list[str] = []
    width = max((len(p.rule) for p in report.problems), default=0)
    for file, problems in report.by_file().items():
        lines.append(styled(file, "bold"))
        for p in problems:
            label, colour = _LABELS[p.severity]
            # Most messages already open with their field ("type 'x' is not ..."): no echo.
            where = f"{p.field}: " if p.field and not p.message.startswith(p.field) else ""
            lines.append(
                f"  {styled(label.ljust(7), colour)}  {p.rule.ljust(width)}  {where}{p.message}"
            )
        lines.append("")
    summary = (
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}, "
        f"{_plural(report.files_checked, 'file')} checked."
    )
    if not report.problems:
        summary = f"No problems: {_plural(report.files_checked, 'file')} checked."
    lines.append(summary)
    return "\n".join(lines)


def _render_fix(result: SyncResult | None) -> str:
    if result is None or not result.changed:
        return "--fix: nothing to repair in MEMORY.md."
    added, removed = result.changes.added, result.changes.removed
    head = f"--fix: MEMORY.md updated ({len(added)} added, {len(removed)} removed"
    head += f", {len(result.rewritten)} rewritten)" if result.rewritten else ")"
    lines = [head]
    lines += [f"  added:   {line}" for line in added]
    lines += [f"  removed: {line}" for line in removed]
    lines += [f"  rewritten: {line}" for line in result.rewritten]
    return "\n".join(lines)


@click.command("lint")
@json_option('Print {"problems": [...]} as JSON.')
@click.option("--fix", is_flag=True, help="Repair the index (add missing entries, drop dead ones).")
@click.option(
    "--project",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Project to check named files against. Default: the git root here, if any.",
)
@click.option("--no-verify", is_flag=True, help="Do not check named files against a project.")
@pass_store
def lint_command(
    store: MemoryDir, as_json: bool, fix: bool, project: Path | None, no_verify: bool
) -> None:
    """Check every memory and the index; exit 1 if any error is found.

    Errors: unreadable files, broken frontmatter, missing or unknown type, missing
    description, credentials. Warnings: everything that weakens a memory (relative
    dates, missing Why / How to apply lines, long descriptions, code or commit hashes,
    near-duplicates, names the project no longer has) and index drift. --fix repairs
    only the index, says what it changed, then checks again.

    \b
    Example:
        memory lint --project ~/src/ledgerly
        memory lint --fix
    """
    # Imported here: its rule tables cost ~40 ms that other commands (and hooks) skip.
    from memdir.lint import fix_index, lint

    if project is not None and no_verify:
        raise click.UsageError("--project and --no-verify cannot be used together")
    root = verification_root(project=project, verify=not no_verify)
    with progress_bar("Linting", show=not as_json, threshold=500) as update:
        report = lint(store, project_root=root, progress=update)
    if fix:
        fixed = fix_index(store, report)
        message = _render_fix(fixed)
        # JSON stays exactly {"problems": [...]} on stdout, so the summary goes to stderr.
        click.echo(message + ("" if as_json else "\n"), err=as_json)
        if fixed is not None and fixed.changed:
            report = lint(store, project_root=root)
    if as_json:
        echo_json(report.to_json())
    else:
        echo_styled(render_report(report))
    if report.errors:
        click.get_current_context().exit(1)


COMMANDS = [lint_command]
