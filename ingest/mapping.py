"""Mapping tables (source code → internal meaning) kept as data files a town can edit."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"


@cache
def mapping(feed: str, directory: Path = MAPPINGS_DIR) -> dict[str, Any]:
    """The mapping table of a feed; a missing or broken file is a configuration error."""
    path = directory / f"{feed}.json"
    try:
        table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"mapping table for feed {feed!r} unreadable: {path}: {exc}") from exc
    return table
