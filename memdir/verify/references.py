"""What a memory claims exists: file paths, identifiers, CLI flags, environment variables.

`extract_references` picks them out of a memory's body; `memdir.verify.project` checks them
against the project. `Reference` is the checked result and `render_note` states it next
to a recalled memory, so "the memory says X exists" is never read as "X exists".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

RefKind = Literal["path", "identifier", "flag", "env"]
RefStatus = Literal["found", "missing", "moved"]
_KINDS: frozenset[str] = frozenset(("path", "identifier", "flag", "env"))
_STATUSES: frozenset[str] = frozenset(("found", "missing", "moved"))


@dataclass(frozen=True, slots=True)
class Reference:
    """One thing a memory names, and whether the project still has it.

    `hint` is the new location (relative to the project root) of a ``moved`` path.
    """

    text: str
    kind: RefKind
    status: RefStatus
    hint: str | None = None

    def to_json(self) -> dict[str, str | None]:
        """A plain dict for ``--json`` output and the MCP server."""
        return {"text": self.text, "kind": self.kind, "status": self.status, "hint": self.hint}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reference:
        """The reference `to_json` described.

        Raises:
            ValueError: `kind` or `status` is not one this module writes.
        """
        kind, status, hint = data["kind"], data["status"], data["hint"]
        if kind not in _KINDS or status not in _STATUSES:
            raise ValueError(f"not a checked reference: kind {kind!r}, status {status!r}")
        return cls(str(data["text"]), kind, status, None if hint is None else str(hint))


# -- what a memory claims exists -------------------------------------------------------

#: Per memory; a body naming more is an inventory, not a claim worth checking item by item.
MAX_REFERENCES = 30
_EXTS = frozenset(
    "py pyi ipynb js jsx mjs cjs ts tsx vue svelte json jsonc yaml yml toml ini cfg conf env "
    "md mdx rst txt csv sql sh bash zsh fish ps1 bat rb go rs java kt kts scala swift m mm c h "
    "cc cpp hpp cs fs php pl lua r dart ex exs erl hs clj elm html htm css scss sass less xml "
    "proto graphql gql tf hcl gradle lock dockerfile mk cmake nix zig jl tex".split()
)
_NAMES = frozenset("Makefile Dockerfile Justfile Procfile Gemfile Rakefile Jenkinsfile".split())
# Tools whose flags belong to them, not to the project: "git push --force" is not a claim.
_TOOLS = frozenset(
    "git gh npm yarn pnpm bun pip pip3 uv poetry pipx conda docker podman kubectl helm "
    "terraform curl wget ssh scp rsync brew apt apt-get dnf cargo rustup go aws gcloud az "
    "psql mysql ruff mypy black isort flake8 pytest tox nox eslint prettier tsc jest ls grep "
    "rg find sed awk tar rm cp mv chmod chown jq kill ps tail head cat systemctl sudo".split()
)
_WRAPPERS = frozenset({"uv", "poetry", "pipx", "pdm", "hatch", "npx", "bunx", "python", "python3"})
_SYSTEM_VARS = frozenset(
    "HOME PATH USER SHELL PWD OLDPWD TMPDIR TEMP TMP LANG LC_ALL TERM EDITOR VISUAL HOSTNAME "
    "PYTHONPATH VIRTUAL_ENV XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME XDG_CACHE_HOME".split()
)
_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.M | re.S)
_SPAN = re.compile(r"`([^`\n]+)`")
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://\S+|\bwww\.\S+")
_BARE_PATH = re.compile(
    r"(?<![\w/.~@:%$-])(?:\.{1,2}/)?(?:[\w.-]+/)+[\w.-]*\.([A-Za-z][A-Za-z0-9]{0,9})(?![\w/-])"
)
_PATH = re.compile(r"(?:\.{1,2}/)?[\w@+-][\w.@+-]*(?:/[\w.@+-]+)*/?")
_LOCATION = re.compile(r"(?::\d+(?::\d+)?|#L\d+(?:-L?\d+)?)$")
_CALL = re.compile(r"(?<![\w.$])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\((?:[^()\n]{0,80})\)")
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*(?![\w-])")
_ENV = re.compile(r"(?<![\w$])\$\{?([A-Z][A-Z0-9_]*[A-Z0-9])\}?")
_CONSTANT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_CODE_SHAPED = re.compile(r"_|[a-z][A-Z]|[A-Z][A-Z][a-z]")
_CLAUSE = re.compile(r"[.;:!?\n](?=\s)|\n")


def extract_references(body: str) -> list[tuple[str, RefKind]]:
    """What `body` names as existing: paths, code identifiers, CLI flags, variables.

    Fenced code blocks are skipped (their local names are not claims about the project);
    a backticked span counts whole, prose only in unmistakable shapes (``a/b.py``,
    ``name()``, ``--flag``, ``$VAR``). In order of first appearance, without duplicates.
    """
    text = _FENCE.sub(lambda m: " " * len(m.group(0)), body)
    found: list[tuple[int, str, RefKind]] = []
    for span in _SPAN.finditer(text):
        found.extend((span.start() + at, ref, kind) for at, ref, kind in _from_span(span[1]))
    prose = _URL.sub(lambda m: " " * len(m.group(0)), _SPAN.sub(lambda m: " " * len(m[0]), text))
    for match in _BARE_PATH.finditer(prose):
        ref = _path_ref(match[0], bare=True)
        if ref:
            found.append((match.start(), ref, "path"))
    for match in _CALL.finditer(prose):
        if match[0].endswith("()") and len(match[1].rsplit(".", 1)[-1]) >= 3:
            found.append((match.start(), match[1], "identifier"))
    for match in _FLAG.finditer(prose):
        clause = _CLAUSE.split(prose[max(0, match.start() - 80) : match.start()])[-1]
        if not _TOOLS.intersection(clause.split()):
            found.append((match.start(), match[0], "flag"))
    for match in _ENV.finditer(prose):
        if match[1] not in _SYSTEM_VARS:
            found.append((match.start(), match[1], "env"))
    unique = dict.fromkeys((ref, kind) for _, ref, kind in sorted(found, key=lambda f: f[0]))
    return list(unique)[:MAX_REFERENCES]


def _from_span(span: str) -> list[tuple[int, str, RefKind]]:
    """References in one backticked span: the whole span, or the parts of a command."""
    content = span.strip()
    if not content:
        return []
    if " " not in content:
        single = _single(content)
        return [(0, single[0], single[1])] if single else []
    words = content.split()
    owner = words[1] if words[0] in _WRAPPERS and len(words) > 1 else words[0]
    if owner in ("run", "-m", "exec") and len(words) > 2:
        owner = words[2]
    out: list[tuple[int, str, RefKind]] = []
    at = 0
    for word in words:
        at = span.find(word, at)
        word = word.rstrip(",;")
        if _FLAG.fullmatch(word.split("=", 1)[0]):
            if owner not in _TOOLS:
                out.append((at, word.split("=", 1)[0], "flag"))
        elif word.startswith("$") or "/" in word or "." in word:
            single = _single(word)
            if single and single[1] != "identifier":
                out.append((at, single[0], single[1]))
    out.extend((m.start(), m[1], "identifier") for m in _CALL.finditer(span))
    return out


def _single(token: str) -> tuple[str, RefKind] | None:
    """Classify a one-word span: flag, variable, path or code identifier (or nothing)."""
    if _FLAG.fullmatch(token.split("=", 1)[0]):
        return token.split("=", 1)[0], "flag"
    env = _ENV.fullmatch(token)
    if env or _CONSTANT.fullmatch(token):
        name = env[1] if env else token
        return (name, "env") if name not in _SYSTEM_VARS else None
    path = _path_ref(token, bare=False)
    if path:
        return path, "path"
    call = re.fullmatch(r"([A-Za-z_][\w.]*)\(.*\)", token)
    name = call[1] if call else token
    if _NAME.fullmatch(name) and (call or _CODE_SHAPED.search(name)):
        return name, "identifier"
    return None


def _path_ref(token: str, *, bare: bool) -> str | None:
    """`token` as a project-relative path claim, or None when it is not one.

    Absolute and home paths point outside the project; a first segment that looks like
    a domain (``github.com/...``) is a URL without its scheme.
    """
    token = _LOCATION.sub("", token.rstrip(".,;:)"))
    if not _PATH.fullmatch(token) or token.startswith(("/", "~")):
        return None
    segments = token.rstrip("/").split("/")
    name = segments[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""
    first = segments[0]
    if "." in first.strip(".") and len(segments) > 1 and first.rsplit(".", 1)[-1] not in _EXTS:
        return None
    if token.endswith("/") and not bare:
        return token
    if len(segments) == 1:
        return token if not bare and (ext in _EXTS or name in _NAMES) else None
    if bare:
        return token if ext in _EXTS else None
    return token if ext and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", ext) else None


@dataclass(frozen=True, slots=True)
class NoteLine:
    """One line of the verification note; `problem` is True unless it says "found"."""

    text: str
    problem: bool


def note_lines(refs: Sequence[Reference]) -> list[NoteLine]:
    """What was checked: problems one per line, found ones summed up in a last line."""
    from .notes import note_texts

    return [NoteLine(text, problem) for text, problem in note_texts(r.to_json() for r in refs)]


def render_note(refs: Sequence[Reference]) -> str:
    """`note_lines` as text, one line each (the recall block's wording)."""
    return "\n".join(line.text for line in note_lines(refs))
