"""Whether a model is configured, told from the environment without building a config.

Kept apart from `memdir.model.config` (a dataclass module) because recall asks it on
every prompt, where importing `dataclasses` costs more than the answer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["TRUTHY", "model_configured"]

#: Values of ``MEMDIR_OFFLINE`` that turn every model call off.
TRUTHY = frozenset({"1", "true", "yes", "on"})


def model_configured(env: Mapping[str, str] | None = None) -> bool:
    """True when a credential is present and offline mode is not forced (as
    `ModelConfig.from_env(env).configured`)."""
    env = os.environ if env is None else env
    if env.get("MEMDIR_OFFLINE", "").strip().lower() in TRUTHY:
        return False
    key = env.get("ANTHROPIC_API_KEY", "").strip()
    return bool(key or env.get("ANTHROPIC_AUTH_TOKEN", "").strip())
