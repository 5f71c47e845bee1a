"""`memdir.recall.tokenize`: the fast word split and language test agree with the rules."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from memdir.recall._vocab import ENGLISH_MARKERS, OTHER_LANGUAGES, STOP_WORDS
from memdir.recall.tokenize import WORD_RE, Tokenizer, count, detect_language, words, words_of_each

# Characters that decide how text splits: letters, digits, the dot of a version number,
# underscores and other punctuation, spaces of several kinds, control characters,
# letters and punctuation outside ASCII, and one character outside the BMP.
_ALPHABET = "abcXYZ019._-/:,'\"!?()[]{}#@$%^&*+=<>|\\~` \t\n\r\x00\x1b\x7fäöüßéçñø—’…·٣ΩЖ中🚀"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain words only",
        "Release 4.1.3 ships; 3.12 and 8.0.0 too. v1.2 is not a version",
        "end. of sentence.. 1..2 .5 5. 1.2.3.4.",
        "snake_case_name and CamelCase HTTPServer a100s",
        "Über die Straße — naïve’s café",
        "tabs\tand\nnewlines\r\nand\x00nul\x1bescape",
        "emoji 🚀 launch",
    ],
)
def test_words_split_as_the_expression(text: str) -> None:
    assert words(text) == WORD_RE.findall(text)


def test_words_split_as_the_expression_on_random_text() -> None:
    rng = random.Random(13)
    for _ in range(3000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 40)))
        assert words(text) == WORD_RE.findall(text), repr(text)


def test_count_counts() -> None:
    items = ["a", "b", "a", "c", "a"]
    assert count(items) == dict(Counter(items))
    assert count([]) == {}


def _detect_by_counting(text: str) -> str:
    """The language rule written out plainly: the most used other language wins when it
    has at least two function words and more than English."""
    found = Counter(WORD_RE.findall(text.lower()))
    english = sum(n for w, n in found.items() if w in ENGLISH_MARKERS | STOP_WORDS)
    best, hits = "english", 0
    for language in sorted(OTHER_LANGUAGES, reverse=True):
        n = sum(found[w] for w in OTHER_LANGUAGES[language])
        if n > hits:
            best, hits = language, n
    return best if hits >= 2 and hits > english else "english"


@pytest.mark.parametrize(
    "text, language",
    [
        ("Deploys happen on Tuesdays after the freeze", "english"),
        ("Die Abrechnung läuft jeden Montag und nicht am Freitag", "german"),
        ("Le déploiement est bloqué pour la semaine", "french"),
        ("die die", "german"),  # "die" is no English word here: two German ones win
        ("die deploy", "english"),  # one is not enough
        ("", "english"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language == _detect_by_counting(text)


def test_detect_language_follows_the_counting_rule_on_mixed_text() -> None:
    pool = sorted(ENGLISH_MARKERS | STOP_WORDS | set().union(*OTHER_LANGUAGES.values()))
    pool += ["deploy", "billing", "Rechnung", "DIE", "Und", "la"]
    rng = random.Random(5)
    for _ in range(2000):
        text = " ".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))
        assert detect_language(text) == _detect_by_counting(text), text


def test_terms_of_is_terms_and_remembers_new_words() -> None:
    tokenizer = Tokenizer()
    text = "The validateSettlement job retried 3 charges for a100s on 4.1.0"
    assert tokenizer.terms_of(words(text)) == tokenizer.terms(text)
    assert tokenizer.terms(text) == [
        t for raw in WORD_RE.findall(text) for t in Tokenizer().word(raw)
    ]
    # A word seen before is served from memory, a new one is worked out.
    assert tokenizer.terms_of(["charges", "refunds"]) == ["charg", "refund"]


def test_words_of_each_splits_each_text_as_the_expression() -> None:
    rng = random.Random(29)
    for _ in range(1000):
        texts = [
            "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 30)))
            for _ in range(rng.randint(1, 4))
        ]
        assert words_of_each(texts) == [WORD_RE.findall(t) for t in texts], texts
    # A version number in one text, and texts that would join into one across the newline.
    assert words_of_each(["v 1.", "2 x", "4.1"]) == [["v", "1"], ["2", "x"], ["4.1"]]
