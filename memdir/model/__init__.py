"""The one boundary for model calls: configuration, bounded retry and the circuit breaker."""

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
