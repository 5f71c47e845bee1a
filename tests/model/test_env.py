"""Whether a model is configured: the lean check agrees with `ModelConfig`."""

from __future__ import annotations

import itertools

from memdir.model.config import ModelConfig
from memdir.model.env import model_configured


def test_agrees_with_model_config_on_every_combination() -> None:
    seen = set()
    for key, token, offline in itertools.product(
        ["", "sk-test", "  "], ["", "tok"], ["", "1", "TRUE", " yes ", "on", "0", "no"]
    ):
        env = {"ANTHROPIC_API_KEY": key, "ANTHROPIC_AUTH_TOKEN": token, "MEMDIR_OFFLINE": offline}
        assert model_configured(env) == ModelConfig.from_env(env).configured, env
        seen.add(model_configured(env))
    assert seen == {True, False}
    assert model_configured({}) is False
    assert model_configured({"ANTHROPIC_API_KEY": "k"}) is True
