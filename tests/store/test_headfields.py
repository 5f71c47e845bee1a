"""`memdir.store.headfields`: a flat header read without YAML is the scan's header."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from memdir.store.headfields import HEADER_LINES, _not_plain, header_fields
from memdir.store.scan import parse_header


def _scanned(text: str, filename: str) -> tuple[str, str, str | None, str | None, str] | None:
    """What the scan's parser (YAML when needed) makes of the same text."""
    head = "\n".join(text.split("\n", HEADER_LINES)[:HEADER_LINES])
    header, _ = parse_header(Path("/m") / filename, filename, head, mtime=0.0, size=len(text))
    if header is None:
        return None
    updated = header.updated.isoformat() if header.updated else None
    return header.name, header.description, header.raw_type, updated, header.snippet


FLAT = [
    "---\nname: Deploys\ndescription: when we ship\ntype: project\n---\n\nBody text.\n",
    "---\nname: Deploys\ndescription: when we ship\ntype: project\nupdated: 2026-03-05\n---\nx",
    "---\nname: note\ndescription: d\ntype: Feedback\n---\n",  # the type as written
    "---\ntype: user\n---\n\n\n\nbody after blank lines",  # no name: the file's name
    "---\nname: note\ndescription: d\ntype: user\nupdated: yesterday\n---\nb",  # unreadable date
    "---\r\nname: note\n---\nb",
    "---\nname: note\n...\nbody after a YAML end marker",
    "---\nname: \x1b]0;PWNED\x07 title\ndescription: d\n---\n",  # control characters
    "no frontmatter at all\njust a body",
    "",
    "---\nname: note\n---\n" + "long body line\n" * 100,  # the snippet is capped
    "---\nname: Über\ndescription: Straße — café\ntype: reference\n---\nnaïve",
]
NEEDS_YAML = [
    '---\nname: "quoted"\ndescription: d\n---\n',
    "---\nname: note\ndescription: no\n---\n",  # a boolean to YAML
    "---\nname: note\ndescription: 12\n---\n",  # a number
    "---\nname: note\ntype: 2026-01-01\n---\n",  # a date, not text
    "---\nname: note\nupdated: 2026-02-30\n---\n",  # an impossible date: YAML reports it
    "---\nname: note\ntags:\n  - a\n  - b\n---\n",  # nested
    "---\nname: a: b\n---\n",  # a colon YAML rejects
    "---\nname: note\n" + "key: value\n" * 40 + "---\n",  # does not close within the head
    "---\nname: note\n",  # does not close at all
]


@pytest.mark.parametrize("text", FLAT)
def test_a_flat_header_reads_as_the_scan_reads_it(text: str) -> None:
    fields = header_fields(text, "notes/deploy_rules.md")
    assert fields is not None
    assert fields == _scanned(text, "notes/deploy_rules.md")


@pytest.mark.parametrize("text", NEEDS_YAML)
def test_anything_else_is_left_to_the_scan(text: str) -> None:
    assert header_fields(text, "x.md") is None


def test_the_defaults_and_caps() -> None:
    fields = header_fields("---\ntype: user\n---\n" + "y" * 5000, "team/a/b.md")
    assert fields is not None
    name, description, raw_type, updated, snippet = fields
    assert (name, description, raw_type, updated) == ("b", "", "user", None)
    assert snippet == "y" * 1000
    assert header_fields("---\nname: \x1b[31mred\n---\n", "x.md") == (
        "\ufffd[31mred",
        "",
        None,
        None,
        "",
    )


# The rule as one expression, searched: what YAML would not read as the same text.
_NOT_PLAIN_RULE = re.compile(
    r"""^(?:[-?:,\[\]{}#&*!|>'"%@`~]|$)|:\s|\s\#|:$|^(?:true|false|yes|no|on|off|null|y|n)$"""
    r"|^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$|^\d{4}-\d\d-\d\d|^0[xo]|^[-+]?\.(?:inf|nan)$",
    re.IGNORECASE,
)


def test_the_plain_value_test_is_the_rule() -> None:
    rng = random.Random(3)
    alphabet = "ab yesnoNOtrue:#- .0123456789e+xX_\t'\"[]{}&*!|>%@`~?,\u00a0"
    starts = [
        "yes",
        "No",
        "true",
        "1.5",
        "-2e3",
        ".inf",
        "-.NaN",
        "0x1f",
        "2026-01-01",
        "a: b",
        "a:",
        "x #c",
        "x#c",
        "http://x",
        "~",
        "?",
    ]
    for i in range(50_000):
        if i % 3 == 0:
            value = rng.choice(starts) + rng.choice(["", " x", "x", ":"])
        else:
            value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        value = value.strip()
        if value:
            assert _not_plain(value) == bool(_NOT_PLAIN_RULE.search(value)), repr(value)
