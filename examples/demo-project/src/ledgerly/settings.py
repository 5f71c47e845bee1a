"""Settings read from the environment, once, at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    db_url: str
    payment_provider: str


def load_settings() -> Settings:
    """Read LEDGERLY_DB_URL and LEDGERLY_PAYMENT_PROVIDER from the environment."""
    return Settings(
        db_url=os.environ.get("LEDGERLY_DB_URL", "postgresql://localhost/ledgerly_dev"),
        payment_provider=os.environ.get("LEDGERLY_PAYMENT_PROVIDER", "paybridge"),
    )
