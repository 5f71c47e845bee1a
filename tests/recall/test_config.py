"""The selector's knobs: immutable, compared by value, printed as they are set."""

from __future__ import annotations

import pytest

from memdir.recall.config import SelectorConfig


def test_defaults_and_keywords() -> None:
    config = SelectorConfig(lone_floor=0.8)
    assert config.lone_floor == 0.8
    assert config.k1 == SelectorConfig().k1 == 1.2
    assert config != SelectorConfig()
    assert SelectorConfig(lone_floor=0.8) == config
    assert hash(SelectorConfig(lone_floor=0.8)) == hash(config)
    assert SelectorConfig() != "SelectorConfig()"


def test_immutable() -> None:
    config = SelectorConfig()
    with pytest.raises(AttributeError, match="immutable"):
        config.k1 = 2.0  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del config.k1  # type: ignore[misc]
    with pytest.raises(TypeError):
        SelectorConfig(unknown=1)  # type: ignore[call-arg]


def test_repr_names_every_value() -> None:
    text = repr(SelectorConfig(k1=1.5))
    assert text.startswith("SelectorConfig(field_weights=(3.0, 2.0, 1.5, 1.0), ")
    assert "k1=1.5," in text and text.endswith("lone_share=0.8)")
    assert repr(SelectorConfig(k1=1.5)) != repr(SelectorConfig())
