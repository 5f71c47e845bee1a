"""`memdir.model.config`: which model and credentials, read from the environment."""

from __future__ import annotations

import typing

import pytest

from memdir.model.config import DEFAULT_MODEL, ModelConfig


def test_config_from_env_defaults() -> None:
    config = ModelConfig.from_env({})
    assert config.model == DEFAULT_MODEL
    assert config.api_key is None
    assert config.base_url is None
    assert not config.configured


def test_config_from_env_reads_variables() -> None:
    config = ModelConfig.from_env(
        {
            "MEMDIR_MODEL": "claude-haiku-4-5",
            "ANTHROPIC_API_KEY": "sk-abc",
            "ANTHROPIC_BASE_URL": "http://localhost:9",
        }
    )
    assert config.model == "claude-haiku-4-5"
    assert config.api_key == "sk-abc"
    assert config.base_url == "http://localhost:9"
    assert config.configured
    assert "sk-abc" not in repr(config)


def test_config_auth_token_counts_as_configured() -> None:
    assert ModelConfig.from_env({"ANTHROPIC_AUTH_TOKEN": "tok"}).configured


@pytest.mark.parametrize("value", ["1", "true", "YES"])
def test_offline_forces_unconfigured(value: str) -> None:
    config = ModelConfig.from_env({"ANTHROPIC_API_KEY": "sk-abc", "MEMDIR_OFFLINE": value})
    assert not config.configured


def test_config_from_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
    assert ModelConfig.from_env().api_key == "sk-env"


def test_default_model_is_current_in_installed_sdk() -> None:
    from anthropic._data import DEPRECATED_MODELS
    from anthropic.types import ModelParam

    known = typing.get_args(typing.get_args(ModelParam)[0])
    assert DEFAULT_MODEL in known
    assert DEFAULT_MODEL.startswith("claude-sonnet-")
    assert DEFAULT_MODEL not in DEPRECATED_MODELS


def test_blank_variables_count_as_unset() -> None:
    config = ModelConfig.from_env(
        {
            "MEMDIR_MODEL": "  ",
            "ANTHROPIC_API_KEY": " ",
            "ANTHROPIC_AUTH_TOKEN": "",
            "ANTHROPIC_BASE_URL": "\t",
        }
    )
    assert config == ModelConfig()
    assert not config.configured


def test_values_are_stripped() -> None:
    config = ModelConfig.from_env(
        {"MEMDIR_MODEL": " claude-x \n", "ANTHROPIC_AUTH_TOKEN": " tok ", "MEMDIR_OFFLINE": " On "}
    )
    assert (config.model, config.auth_token, config.offline) == ("claude-x", "tok", True)


@pytest.mark.parametrize("value", ["0", "false", "no", "off", "", "2"])
def test_other_offline_values_leave_the_model_on(value: str) -> None:
    config = ModelConfig.from_env({"ANTHROPIC_API_KEY": "sk-abc", "MEMDIR_OFFLINE": value})
    assert not config.offline
    assert config.configured


def test_credentials_never_show_in_repr() -> None:
    text = repr(ModelConfig(api_key="sk-secret-1", auth_token="tok-secret-2", base_url="http://h"))
    assert "sk-secret-1" not in text and "tok-secret-2" not in text
    assert "http://h" in text


def test_config_is_frozen() -> None:
    config = ModelConfig()
    with pytest.raises(AttributeError):
        config.model = "other"  # type: ignore[misc]
