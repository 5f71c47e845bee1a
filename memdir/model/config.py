"""Which model memdir calls and with which credentials, read from the environment.

Kept apart from `memdir.model.boundary` so that checking whether a model is configured (every
recall does) costs no import of the retry machinery, let alone of the SDK.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .env import TRUTHY

#: A current Sonnet that the installed SDK (anthropic 2.14) does not list as deprecated.
DEFAULT_MODEL = "claude-sonnet-5-5"


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Which model to call and with which credentials."""

    model: str = DEFAULT_MODEL
    api_key: str | None = field(default=None, repr=False)
    auth_token: str | None = field(default=None, repr=False)
    base_url: str | None = None
    offline: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ModelConfig:
        """Read ``MEMDIR_MODEL``, ``ANTHROPIC_API_KEY`` / ``ANTHROPIC_AUTH_TOKEN``,
        ``ANTHROPIC_BASE_URL`` and ``MEMDIR_OFFLINE`` (1 turns every model call off)."""
        env = os.environ if env is None else env
        return cls(
            model=env.get("MEMDIR_MODEL", "").strip() or DEFAULT_MODEL,
            api_key=env.get("ANTHROPIC_API_KEY", "").strip() or None,
            auth_token=env.get("ANTHROPIC_AUTH_TOKEN", "").strip() or None,
            base_url=env.get("ANTHROPIC_BASE_URL", "").strip() or None,
            offline=env.get("MEMDIR_OFFLINE", "").strip().lower() in TRUTHY,
        )

    @property
    def configured(self) -> bool:
        """True when a credential is present and offline mode is not forced."""
        return not self.offline and bool(self.api_key or self.auth_token)
