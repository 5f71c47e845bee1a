"""The team's own settings: a small TOML file committed in the team repository.

Everyone who syncs the folder reads the same file, so scope rules are the team's choice,
not each machine's. A missing file means the defaults; a broken one means the defaults
too (a teammate's typo must not stop anyone saving), and `memory team status` says why.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..types import MemoryType

CONFIG_NAME = ".memdir-team.toml"
SCOPES = ("team", "private")

#: Where each type goes once a team folder exists. `user` is private whatever is set.
DEFAULT_SCOPE: Mapping[MemoryType, str] = {
    MemoryType.USER: "private",
    MemoryType.FEEDBACK: "private",
    MemoryType.PROJECT: "team",
    MemoryType.REFERENCE: "team",
}

DEFAULT_TEXT = """\
# memdir team memory settings, shared by everyone who syncs this folder.
#
# Where new memories of each type are saved once a team folder exists: "team" (shared)
# or "private" (this machine only). `user` memories are never shared, whatever is set.
[scope]
feedback = "private"
project = "team"
reference = "team"
"""


@dataclass(frozen=True, slots=True)
class TeamConfig:
    """Scope rules per type, and the problem found reading the file, if any."""

    scope: Mapping[MemoryType, str] = field(default_factory=lambda: dict(DEFAULT_SCOPE))
    problem: str | None = None

    def scope_for(self, kind: MemoryType) -> str:
        """ "team" or "private" for new memories of `kind`."""
        if kind is MemoryType.USER:
            return "private"
        return self.scope.get(kind, DEFAULT_SCOPE[kind])


def parse_config(text: str) -> TeamConfig:
    """Settings from the file's text; the defaults plus a problem when it is invalid."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return TeamConfig(problem=f"{CONFIG_NAME} is not valid TOML ({exc}); defaults used")
    scope = dict(DEFAULT_SCOPE)
    table = data.get("scope", {})
    if not isinstance(table, dict):
        return TeamConfig(problem=f"{CONFIG_NAME}: [scope] must be a table; defaults used")
    for key, value in table.items():
        kind = MemoryType.parse(key)
        if kind is None:
            return TeamConfig(
                problem=f"{CONFIG_NAME}: scope.{key} is not a memory type; defaults used"
            )
        if value not in SCOPES:
            return TeamConfig(
                problem=f'{CONFIG_NAME}: scope.{key} must be "team" or "private"; defaults used'
            )
        if kind is MemoryType.USER and value == "team":
            return TeamConfig(
                problem=f"{CONFIG_NAME}: user memories are never shared; defaults used"
            )
        scope[kind] = value
    return TeamConfig(scope=scope)


def load_config(team_root: Path) -> TeamConfig:
    """The committed settings of the team folder at `team_root` (defaults when absent)."""
    path = team_root / CONFIG_NAME
    try:
        if path.is_symlink():
            return TeamConfig(problem=f"{CONFIG_NAME} is a symbolic link; defaults used")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return TeamConfig()
    except (OSError, UnicodeDecodeError) as exc:
        return TeamConfig(problem=f"cannot read {CONFIG_NAME}: {exc}; defaults used")
    return parse_config(text)
