"""Memory folders and scripted models shared by the consolidation tests."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from memdir.model.boundary import ModelBoundary, ModelConfig, RetryPolicy
from memdir.store.folder import MemoryDir

#: Topics distinct enough that no two generated memories are duplicates of each other.
TOPICS = [
    "billing",
    "orders",
    "search",
    "payments",
    "checkout",
    "analytics",
    "auth",
    "gateway",
    "mailer",
    "scheduler",
    "inventory",
    "pricing",
    "catalog",
    "reports",
    "exports",
    "imports",
    "webhooks",
    "uploads",
    "thumbnails",
    "invoices",
    "refunds",
    "coupons",
    "reviews",
    "ratings",
    "wishlist",
    "shipping",
    "tracking",
    "returns",
    "loyalty",
    "referrals",
    "sessions",
    "audit",
    "metrics",
    "alerts",
    "backups",
    "archive",
    "ledger",
    "payroll",
    "rostering",
    "calendar",
    "chat",
    "presence",
    "feeds",
    "comments",
    "moderation",
    "translations",
    "currency",
    "tax",
    "compliance",
    "onboarding",
    "billingv2",
    "ordersv2",
    "searchv2",
    "gatewayv2",
    "mailerv2",
    "fraud",
    "risk",
    "kyc",
    "ledgerv2",
    "quotas",
]


def memory_text(
    name: str, *, type_: str = "project", body: str | None = None, extra: str = ""
) -> str:
    body = (
        body
        if body is not None
        else (
            f"The {name} service has its own on-call rota owned by team {name}.\n"
            f"**Why:** {name} had three incidents in 2026.\n"
            f"**How to apply:** page the {name} rota for {name} alerts."
        )
    )
    return (
        f"---\nname: {name}\ndescription: On-call and ownership of the {name} service\n"
        f"type: {type_}\n{extra}---\n{body}\n"
    )


def make_folder(store: MemoryDir, count: int, *, type_: str = "project") -> list[str]:
    """`count` distinct memories through the store (index kept); their file names."""
    names = []
    for topic in TOPICS[:count]:
        store.write_text(f"{topic}.md", memory_text(topic, type_=type_))
        names.append(f"{topic}.md")
    return names


def folder_bytes(folder: Path) -> dict[str, str]:
    """Every file in `folder` by relative path -> sha256 (hidden files included)."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def boundary(store: MemoryDir, url: str) -> ModelBoundary:
    """The real model boundary, pointed at the fake server."""
    config = ModelConfig(api_key="test-key", base_url=url)
    return ModelBoundary(
        config, state_dir=store.state_path, policy=RetryPolicy(base_s=0.01, cap_s=0.05)
    )


def delete_call(file: str) -> tuple[str, dict[str, str]]:
    return ("memory", {"command": "delete", "path": f"/memories/{file}"})
