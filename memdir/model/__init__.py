"""The one boundary for model calls: configuration, bounded retry and the circuit breaker."""

from __future__ import annotations

# `typing` itself costs start-up time: its names are for the type checker only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .boundary import MessageCreator, ModelBoundary, RetryPolicy, response_text
    from .breaker import BreakerSnapshot, BreakerState, CircuitBreaker
    from .config import ModelConfig

__all__ = [
    "BreakerSnapshot",
    "BreakerState",
    "CircuitBreaker",
    "MessageCreator",
    "ModelBoundary",
    "ModelConfig",
    "RetryPolicy",
    "response_text",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: offline recall needs the config only, not the boundary's
    # retry machinery (nor, through it, the SDK's helpers).
    module: Any
    if name in ("MessageCreator", "ModelBoundary", "RetryPolicy", "response_text"):
        from . import boundary as module
    elif name in ("BreakerSnapshot", "BreakerState", "CircuitBreaker"):
        from . import breaker as module
    elif name == "ModelConfig":
        from . import config as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
