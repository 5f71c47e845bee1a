"""High-confidence credential detection for text about to be written as a memory.

The detectors (the shapes credentials have, tuned for precision) are
`memdir.store.secretshapes`; here they are run over a text, one kind per span, to find
credentials (previews never carry the secret) or to redact them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .secretshapes import DETECTORS

__all__ = ["SECRET_KINDS", "SecretMatch", "find_secrets", "redact"]


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """One credential-shaped string: its kind, 1-based line, and a redacted preview."""

    kind: str
    line: int
    preview: str


#: Every kind `find_secrets` can report.
SECRET_KINDS: tuple[str, ...] = tuple(dict.fromkeys(kind for kind, _, _ in DETECTORS))


def _preview(kind: str, match: re.Match[str]) -> str:
    """A few leading characters and the length: enough to find the string, not to use it.

    For a private key the armour line itself is shown: it names the key type, not the key.
    """
    if kind == "private-key":
        return match.group(0)
    if kind in (
        "secret-assignment",
        "url-credentials",
        "password-variable",
        "azure-storage-key",
        "azure-sas-signature",
        "twilio-auth-token",
    ):
        # No public prefix here: show very little of a value that may be a short password.
        secret = match.group("tail")
        shown = min(4, len(secret) // 8)
    else:
        secret = match.group(0).removeprefix("https://")
        shown = max(4, min(8, len(secret) // 5))
    return f"{secret[:shown]}… ({len(secret)} chars)"


_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
# Header lines ("Proc-Type: ..."), key lines, and the one blank line an encrypted PEM key
# has between its headers and its material; spaces may trail the armour line. Whatever
# `_private_key` accepts as material is matched here, so none of it stays visible.
_KEY_LINES = re.compile(
    r"[ \t]*(?:(?:\r?\n|\\n)[ \t]*"
    r"(?:[A-Za-z-]+:[^\n]*|[A-Za-z0-9+/=]{16,}|(?=(?:\r?\n|\\n)[ \t]*[A-Za-z0-9+/=]{16,})))+"
)


def _key_block_end(text: str, end: int) -> int:
    """Where a private key that starts at an armour line ending at `end` ends: its END
    line, or else the last line of key material (so redaction takes the key, not just
    its header)."""
    closing = _KEY_END.search(text, end, end + 20_000)
    if closing is not None:
        return closing.end()
    material = _KEY_LINES.match(text, end)
    return material.end() if material else end


def _spans(text: str) -> list[tuple[int, int, SecretMatch]]:
    """Every credential-shaped span, in order: (start, end, match); one kind per span."""
    claimed: list[tuple[int, int]] = []
    found: list[tuple[int, int, SecretMatch]] = []
    for kind, pattern, check in DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < c_end and c_start < end for c_start, c_end in claimed):
                continue
            if not check(match, text):
                continue
            if kind == "private-key":
                end = _key_block_end(text, end)
            claimed.append((start, end))
            line = text.count("\n", 0, start) + 1
            found.append(
                (start, end, SecretMatch(kind=kind, line=line, preview=_preview(kind, match)))
            )
    return sorted(found, key=lambda item: item[0])


def find_secrets(text: str) -> list[SecretMatch]:
    """Credential-shaped strings in `text`, in order of appearance, one per span."""
    return [match for _, _, match in _spans(text)]


def redact(text: str) -> tuple[str, int]:
    """`text` with every credential-shaped string replaced by a marker that says so, and
    how many were replaced: for what memdir shows an agent (recall, hooks, MCP).

    The same detector refuses credentials on every write, so a hit here is a file edited
    by hand or pulled from elsewhere; the marker tells the reader something was taken out.
    """
    spans = _spans(text)
    if not spans:
        return text, 0
    out: list[str] = []
    last = 0
    for start, end, match in spans:
        out.append(text[last:start])
        out.append(f"[credential removed by memdir: {match.kind}]")
        last = end
    out.append(text[last:])
    return "".join(out), len(spans)
