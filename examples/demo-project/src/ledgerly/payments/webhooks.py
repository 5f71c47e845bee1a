"""Incoming provider webhooks. Every request is signature-checked before parsing."""

from __future__ import annotations

import hashlib
import hmac


def verify_signature(payload: bytes, *, signature: str, shared_key: bytes) -> bool:
    """True when `signature` is the HMAC-SHA256 of `payload` under the provider's key."""
    expected = hmac.new(shared_key, payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def handle_webhook(payload: bytes, *, signature: str, shared_key: bytes) -> int:
    """HTTP status for one webhook call: 401 unless the signature checks out."""
    if not verify_signature(payload, signature=signature, shared_key=shared_key):
        return 401
    return 204
