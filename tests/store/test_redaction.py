"""The quick test in front of the credential detectors: it may only ever let clean text by."""

from __future__ import annotations

import random

import pytest

from memdir.store import redaction, secrets
from memdir.store.redaction import may_hold_credential, redact
from tests.secrets_corpus import ALNUM, corpus, prose, rand
from tests.store.test_secrets import fake_corpus


@pytest.mark.parametrize("seed", range(5))
def test_every_credential_the_detectors_find_passes_the_quick_test(seed: int) -> None:
    lines = [line for _kind, line in corpus(seed)] + [line for _, line in fake_corpus(seed)]
    for line in lines:
        assert secrets.find_secrets(line), line  # each really is a credential
        assert may_hold_credential(line), line
        assert redact(line) == secrets.redact(line)


@pytest.mark.parametrize("separator", [":=", "=>", ":", "="])
def test_a_short_assignment_of_any_characters_passes_the_quick_test(separator: str) -> None:
    # Punctuation breaks the long-run alternative: only the assignment shape catches these.
    value = rand(random.Random(3), ALNUM + "!@#$&*|~^?", 20)
    line = f"password {separator} '{value}'"
    assert secrets.find_secrets(line), line
    assert may_hold_credential(line)


def test_plain_names_and_notes_skip_the_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    for text in (
        "Deploy freeze",
        "note 12 deploy",
        "No production deploys in late December **Why:** year end",
        "Grafana board for payment latency",
    ):
        assert not may_hold_credential(text), text
        assert redact(text) == (text, 0)
    # Text that may hold one goes to the detectors, whatever they answer.
    calls: list[str] = []
    monkeypatch.setattr(secrets, "redact", lambda text: calls.append(text) or (text, 0))
    redaction.redact("password = hunter2hunter2hunter2")
    assert calls == ["password = hunter2hunter2hunter2"]


def test_prose_about_secrets_comes_out_unchanged() -> None:
    for line in prose():
        assert redact(line) == (line, 0), line
