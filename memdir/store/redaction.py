"""Credentials taken out of text shown to an agent, with a one-pattern test first.

`memdir.store.secretshapes` compiles some twenty detectors (and defines its records) at
import: several milliseconds of every recall and hook. Almost every memory name, and
many bodies, hold nothing any detector could match, and one cheap pattern can prove
that. `redact` here loads the detectors only when that pattern finds something.
"""

from __future__ import annotations

import re

# Trigger: every detector in `secretshapes.DETECTORS`. Why: each needs one of these to match
# at all, so text without any of them is clean without running the detectors.
# Outcome: a superset test, kept in step with the detectors by
# tests/store/test_redaction.py (every generated fake key must pass through it).
_MAY_HOLD = re.compile(
    r"-----BEGIN |PASS|PWD|://"  # key armour, password variables, URLs with a user
    r"|[\w+/%.=-]{16}"  # every vendor key, token, JWT, hex or base64 secret is a long run
    r"|(?::=|=>|[:=])\s*[\"'`]?[^\s\"'`,;()<>{}\[\]]{16}"  # a long value assigned
)


def may_hold_credential(text: str) -> bool:
    """False when `text` certainly holds nothing `memdir.store.secrets` would report."""
    return _MAY_HOLD.search(text) is not None


def redact(text: str) -> tuple[str, int]:
    """`memdir.store.secrets.redact`: `text` with credentials replaced, and their count."""
    if not may_hold_credential(text):
        return text, 0
    from .secrets import redact as redact_all

    return redact_all(text)
