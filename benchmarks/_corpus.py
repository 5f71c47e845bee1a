"""Synthetic memories shared by the hook and daemon benchmarks."""

from __future__ import annotations

import random

TOPICS = [
    ("deploy", "Deploys of the {x} service go through the staging canary first"),
    ("oncall", "On-call rotation for {x}: who to page and when"),
    ("testing", "Integration tests for {x} need the local database running"),
    ("style", "The user wants {x} answers short, with code before prose"),
    ("dashboard", "Grafana dashboard for {x} latency and error rates"),
    ("tracker", "Bugs for {x} are tracked in the Linear project of the same name"),
    ("freeze", "Merge freeze on {x} before the quarterly release"),
    ("owner", "Who owns the {x} code and reviews its changes"),
]
THINGS = [
    "payments", "billing", "search", "auth", "ingest", "mobile", "webhooks", "reports",
    "exports", "notifications", "gateway", "scheduler", "ledger", "catalog", "checkout",
    "profile", "inbox", "analytics", "invoices", "shipping", "pricing", "sync", "uploads",
    "audit", "tenants",
]  # fmt: skip
TYPES = ["user", "feedback", "project", "reference"]


def memory_text(i: int, rng: random.Random) -> tuple[str, str]:
    topic, template = TOPICS[i % len(TOPICS)]
    thing = THINGS[(i // len(TOPICS)) % len(THINGS)]
    description = template.format(x=thing)
    body = f"{description}.\n\n**Why:** noted in session {rng.randint(1, 999)}.\n"
    head = f"name: {topic} {thing} {i}\ndescription: {description}\ntype: {TYPES[i % 4]}"
    text = f"---\n{head}\n---\n\n{body}"
    return f"{topic}_{thing}_{i}.md", text
