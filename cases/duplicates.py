"""Duplicate reports: one of the same category, near an open case and close to it in time,
joins that case; the earliest such case is the parent.

Pure: the engine finds the open cases near a report (``search_box`` gives the bounds to ask
its spatial index for) and ``find_parent`` decides. Distances are geodesic on the WGS84
ellipsoid (``pyproj.Geod``), never degrees. The radius and window per category are a data
file, ``cases/data/duplicates.json`` (docs/closed-loop-rules.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pyproj import Geod

from cases.categories import categories

DUPLICATES_FILE = Path(__file__).resolve().parent / "data" / "duplicates.json"
GEOD = Geod(ellps="WGS84")
Positive = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
# The box is the bounds of the circle sampled every 5°, drawn 1 % wider: the sampled polygon
# then encloses the true circle (cos 2.5° × 1.01 > 1), so no case inside it is missed.
AZIMUTHS = np.arange(0.0, 360.0, 5.0)
WIDER = 1.01


@dataclass(frozen=True, slots=True)
class Rule:
    radius_m: float
    window: timedelta


@dataclass(frozen=True, slots=True)
class Report:
    """A report or an open case as duplicate detection sees it: WGS84 point, aware time."""

    id: str
    category: str
    lon: float
    lat: float
    occurred_at: datetime

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise ValueError(f"{self.id}: longitude {self.lon!r} is not within ±180")
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            raise ValueError(f"{self.id}: latitude {self.lat!r} is not within ±90")
        if self.occurred_at.utcoffset() is None:
            raise ValueError(f"{self.id}: naive occurred_at {self.occurred_at!r}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Default(_Frozen):
    radius_m: Positive
    window_minutes: Positive
    merge: StrictBool = True  # whether a category that is not listed is merged


class _Row(_Frozen):
    radius_m: Positive | None = None
    window_minutes: Positive | None = None
    merge: StrictBool = True


class Rules(_Frozen):
    default: _Default
    categories: dict[str, _Row] = {}

    @model_validator(mode="after")
    def _known(self) -> Rules:
        unknown = set(self.categories) - set(categories())
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)}")
        return self

    def rule(self, category: str) -> Rule | None:
        """The radius and window of a category; None when its reports are never merged."""
        row = self.categories.get(category)
        if row is None:
            row = _Row(merge=self.default.merge)
        if not row.merge:
            return None
        minutes = row.window_minutes or self.default.window_minutes
        return Rule(row.radius_m or self.default.radius_m, timedelta(minutes=minutes))


@cache
def duplicate_rules(path: Path = DUPLICATES_FILE) -> Rules:
    """The rules of the data file; a mistake in it is a configuration error (ValueError)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data = {k: v for k, v in data.items() if not k.startswith("_")}
    try:
        return Rules.model_validate(data)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def distances_m(
    lon: float, lat: float, lons: Sequence[float], lats: Sequence[float]
) -> NDArray[np.float64]:
    """Geodesic metres from one point to each of many, symmetric to the last bit.

    Each pair is put in one order (west, then south, first) before the inverse problem is
    solved, so a → b and b → a are the same computation.
    """
    lon2, lat2 = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    lon1, lat1 = np.full_like(lon2, lon), np.full_like(lat2, lat)
    swap = (lon2 < lon1) | ((lon2 == lon1) & (lat2 < lat1))
    west, south = np.where(swap, lon2, lon1), np.where(swap, lat2, lat1)
    east, north = np.where(swap, lon1, lon2), np.where(swap, lat1, lat2)
    _, _, metres = GEOD.inv(west, south, east, north)
    return np.asarray(metres, dtype=np.float64)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic metres between two WGS84 points."""
    return float(distances_m(lon1, lat1, [lon2], [lat2])[0])


def search_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) enclosing every point within ``radius_m``.

    For radii up to a few hundred kilometres. Near the antimeridian a bound may pass ±180 (the
    town is nowhere near it); a circle over a pole takes every longitude.
    """
    if not (math.isfinite(radius_m) and radius_m >= 0):
        raise ValueError(f"radius {radius_m!r} m must be a finite number ≥ 0")
    reach = radius_m * WIDER
    _, _, to_north = GEOD.inv(lon, lat, lon, 90.0)
    _, _, to_south = GEOD.inv(lon, lat, lon, -90.0)
    if reach >= min(to_north, to_south):  # over a pole
        south = -90.0 if reach >= to_south else GEOD.fwd(lon, lat, 180.0, reach)[1]
        north = 90.0 if reach >= to_north else GEOD.fwd(lon, lat, 0.0, reach)[1]
        return -180.0, float(south), 180.0, float(north)
    size = AZIMUTHS.size
    lons, lats, _ = GEOD.fwd(np.full(size, lon), np.full(size, lat), AZIMUTHS, np.full(size, reach))
    lons = lon + (np.asarray(lons) - lon + 180.0) % 360.0 - 180.0  # unwrapped around the centre
    return float(lons.min()), float(np.min(lats)), float(lons.max()), float(np.max(lats))


def matches(report: Report, nearby: Iterable[Report], rules: Rules | None = None) -> list[Report]:
    """The open cases this report duplicates, earliest first (ties by id)."""
    rule = (rules or duplicate_rules()).rule(report.category)
    if rule is None:
        return []
    at = report.occurred_at.astimezone(UTC)
    pool = [
        case
        for case in nearby
        if case.id != report.id
        and case.category == report.category
        and abs(case.occurred_at.astimezone(UTC) - at) <= rule.window
    ]
    if not pool:
        return []
    metres = distances_m(report.lon, report.lat, [c.lon for c in pool], [c.lat for c in pool])
    near = [case for case, d in zip(pool, metres, strict=True) if d <= rule.radius_m]
    return sorted(near, key=lambda c: (c.occurred_at.astimezone(UTC), c.id))


def find_parent(report: Report, nearby: Iterable[Report], rules: Rules | None = None) -> str | None:
    """The id of the case this report joins (the earliest it duplicates), or None: a new case.

    ``nearby``: the open cases that are not themselves merged (the engine's spatial query).
    A report that arrives late but happened first still joins the case already open: a case
    being handled is never demoted under a newcomer.
    """
    found = matches(report, nearby, rules)
    return found[0].id if found else None
