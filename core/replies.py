"""Redis replies as text, whether or not the client decodes responses."""

from __future__ import annotations

from typing import Any


def text(value: Any) -> str:
    """One reply item (bytes or str) as str."""
    return value.decode() if isinstance(value, bytes) else str(value)
