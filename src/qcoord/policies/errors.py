"""Errors raised by :mod:`qcoord.policies`."""

from __future__ import annotations

__all__ = ["PolicyError"]


class PolicyError(ValueError):
    """A policy, its tables or its inputs failed validation. The message names the field and the range."""
