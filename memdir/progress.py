"""Progress of long operations, for whoever shows it: one callback type and its no-op.

The library never prints; an operation that can take more than a second (the index sync,
lint, extraction, consolidation, team sync) takes an optional `Progress` and calls it as
it goes: ``progress(step, done, total)``, where `step` says what is happening now in a
few words ("reading memories", "fetching"), `done` counts what of that step is finished
and `total` is how much there is, or None when nobody can know (model turns). Within one
step `done` never goes down and never passes `total`; the last call of an operation that
finished has ``done == total``. An operation made of a few phases (a team sync) names the
phase as the step and counts phases: ``("pushing", 3, 4)``. The CLI draws it as a bar.

A plain `Callable` alias, not a `typing.Protocol`: the index scan imports this module on
recall's path, where importing `typing` costs start-up time.
"""

from __future__ import annotations

from collections.abc import Callable

#: Called as ``progress(step, done, total)``; see the module docstring.
Progress = Callable[[str, int, int | None], None]


def no_progress(step: str, done: int, total: int | None) -> None:
    """The default `Progress`: nobody is watching."""


__all__ = ["Progress", "no_progress"]
