"""Which payment provider handles new charges."""

from __future__ import annotations

from ..settings import load_settings

KNOWN_PROVIDERS = ("paybridge", "coinvault")


def active_provider() -> str:
    """The provider named by the settings; unknown names fall back to paybridge."""
    name = load_settings().payment_provider.lower()
    return name if name in KNOWN_PROVIDERS else "paybridge"
