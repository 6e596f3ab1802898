"""Claim audit (placeholder until the audit lands): no verdicts yet."""

from __future__ import annotations

from assistant.settings import Settings


def audit_lookup(settings: Settings):
    return None
