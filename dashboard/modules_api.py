"""`GET /api/modules`: every module panel's figures as the wall shows them, computed by the
same `dashboard.modules.compute` over the same reads, so they can be checked and reused."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from fastapi import APIRouter

from core.keys import Keys
from dashboard.modules import Figure, Module, Text, compute
from dashboard.modules._base import FEATURES, PILLARS
from dashboard.modules.data import fetch_module_data
from layers.town import Town

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def numbers_of(value: str) -> list[float]:
    """The numbers a shown value holds, in order: "3,056" → [3056]; "17 / 21" → [17, 21]."""
    return [float(n.replace(",", "")) for n in _NUMBER.findall(value)]


def _text(text: Text) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en}


def figure_json(figure: Figure) -> dict[str, Any]:
    return {
        "label": _text(figure.label),
        "value": figure.value,
        "numbers": numbers_of(figure.value),
        "unit": _text(figure.unit),
        "note": figure.note,
    }


def module_json(module: Module, figures: list[Figure]) -> dict[str, Any]:
    kind = "pillar" if module.pillar in PILLARS else "feature" if module.pillar in FEATURES else ""
    return {
        "id": module.id,
        "title": _text(module.title),
        "pillar": module.pillar,
        "kind": kind or "feature",
        "has_data": bool(figures),
        "figures": [figure_json(f) for f in figures],
    }


def modules_router(
    r: redis.Redis,
    keys: Keys,
    town: Town,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """A plain `def` handler: FastAPI runs it in its threadpool, the sync client is fine."""
    router = APIRouter()

    @router.get("/api/modules")
    def modules() -> dict[str, Any]:
        """Every module panel (the five pillars, then the town's feature modules, in the
        wall's order): its id, title in Chinese and English, pillar, and figures — label,
        value as shown, the numbers in it, unit, note. A module without data has no figures."""
        now = clock()
        data = fetch_module_data(r, keys, 0, now, town)
        return {
            "at": now.isoformat(),
            "modules": [module_json(m, figures) for m, figures in compute(data)],
        }

    return router
