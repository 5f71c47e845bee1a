"""`memdir.recall.scoring.weigh`: the fast weights are the BM25F weights of the rules."""

from __future__ import annotations

import random

from memdir.recall.config import SelectorConfig
from memdir.recall.scoring import weigh
from memdir.recall.tokenize import Tokenizer, detect_language


def _weigh_plainly(
    config: SelectorConfig, *, description: str, name: str, filename: str, snippet: str
) -> dict[str, float]:
    """BM25F written out term by term, as the method describes it."""
    tokenizer = Tokenizer(stemming=config.stemming, stop_words=config.stop_words)
    language = detect_language(f"{description}\n{name}\n{snippet}")
    stem = filename.rsplit("/", 1)[-1].removesuffix(".md")
    tf: dict[str, float] = {}
    for f, text in enumerate((description, name, stem, snippet)):
        terms = tokenizer.terms(text, language)
        if not terms:
            continue
        b = config.field_b[f]
        scale = config.field_weights[f] / (1 - b + b * len(terms) / config.typical_lengths[f])
        for term in terms:
            tf[term] = tf.get(term, 0.0) + scale
    return {t: v / (config.k1 + v) for t, v in tf.items()}


_WORDS = (
    "deploy deploys billing invoice refund the a of and validateSettlement HTTPServer "
    "4.1.3 a100s snake_case Abrechnung die und läuft nicht café naïve 🚀 — x y 42"
).split()


def test_weigh_matches_the_plain_method_on_varied_memories() -> None:
    rng = random.Random(17)
    config = SelectorConfig()
    tokenizer = Tokenizer()  # one for all, as an index build uses it
    for i in range(400):

        def text(n: int) -> str:
            return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, n)))

        fields = dict(
            description=text(10),
            name=text(4),
            filename=f"team/note_{i}.md" if i % 3 else f"note-{text(2)}.md",
            snippet=text(80),
        )
        fast = weigh(config, tokenizer, **fields)
        plain = _weigh_plainly(config, **fields)
        assert fast.keys() == plain.keys()
        for term, value in plain.items():
            assert abs(fast[term] - value) <= 1e-12, (fields, term)


def test_a_memory_of_stop_words_is_weighed_by_its_file_name() -> None:
    weights = weigh(
        SelectorConfig(),
        Tokenizer(),
        description="the and of",
        name="a",
        filename="deploy.md",
        snippet="it is what it is",
    )
    assert list(weights) == ["deploy"] and 0 < weights["deploy"] < 1
