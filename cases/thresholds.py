"""The telemetry rules of ``cases/data/thresholds.json``: metrics, tiers, hysteresis bands,
station overrides and the no-data interval, validated once (docs/closed-loop-rules.md)."""

from __future__ import annotations

import itertools
import json
import operator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from cases.categories import categories

THRESHOLDS_FILE = Path(__file__).resolve().parent / "data" / "thresholds.json"
NO_DATA = "no-data"
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Positive = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
BREACH = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@dataclass(frozen=True, slots=True)
class Reading:
    """One station's numbers at one time; ``station`` is ``<feed>:<station code>``."""

    station: str
    category: str
    at: datetime
    values: tuple[tuple[str, float], ...]

    def get(self, name: str | None) -> float | None:
        return next((v for k, v in self.values if k == name), None)


# ---- the rules (the data file) ---------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tier(_Frozen):
    name: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    severity: StrictInt = Field(ge=1, le=4)
    limit: Number | None = None
    limit_from: str | None = Field(default=None, description="a value of the reading itself")


class Metric(_Frozen):
    names: tuple[str, ...] = ()
    op: Literal[">", ">=", "<", "<="]
    band: Positive
    unit: str = ""
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Metric:
        names = [t.name for t in self.tiers]
        fixed = [t.limit for t in self.tiers if t.limit is not None]
        pairs = itertools.pairwise(fixed)
        if len(set(names)) < len(names):
            raise ValueError(f"tier names repeat: {names}")
        if not all((a < b) if self.rising else (a > b) for a, b in pairs):
            raise ValueError(f"tier limits must {'rise' if self.rising else 'fall'}: {fixed}")
        return self

    @property
    def rising(self) -> bool:
        return self.op in (">", ">=")

    def breached(self, value: float, limit: float) -> bool:
        return bool(BREACH[self.op](value, limit))

    def clear_level(self, limit: float, band: float) -> float:
        # Rounded so that 3.80 - 0.05 is 3.75, as a gauge reads it, not 3.7499999999999996.
        return round(limit - band if self.rising else limit + band, 9)

    def cleared(self, value: float, clear: float) -> bool:
        return value <= clear if self.rising else value >= clear


class Own(_Frozen):
    """A station's own limits (by tier name) and band for one metric."""

    limits: dict[str, Number] = {}
    band: Positive | None = None


class Station(_Frozen):
    interval_minutes: Positive | None = None
    metrics: dict[str, Own] = {}


class NoData(_Frozen):
    kind: str = Field(min_length=1)
    severity: StrictInt = Field(ge=1, le=4)
    factor: Positive
    interval_minutes: dict[str, Positive]


class Rules(_Frozen):
    metrics: dict[str, dict[str, Metric]]
    no_data: NoData
    stations: dict[str, Station] = {}

    @model_validator(mode="after")
    def _known(self) -> Rules:
        strange = (set(self.metrics) | set(self.no_data.interval_minutes)) - set(categories())
        if strange:
            raise ValueError(f"unknown categories {sorted(strange)}")
        for code, station in self.stations.items():
            if ":" not in code:
                raise ValueError(f"station {code!r}: write it <feed>:<station code>")
            for key, own in station.metrics.items():
                tiers = {t.name for m in self.metrics.values() if key in m for t in m[key].tiers}
                if not tiers or not set(own.limits) <= tiers:
                    unknown = sorted(set(own.limits) - tiers) if tiers else key
                    raise ValueError(f"station {code}: no such metric or tier: {unknown}")
        return self

    def window(self, station: str, category: str) -> timedelta | None:
        """How long the station may stay silent before it reads as no data."""
        own = self.stations.get(station, Station()).interval_minutes
        minutes = own or self.no_data.interval_minutes.get(category)
        return None if minutes is None else timedelta(minutes=minutes * self.no_data.factor)

    def levels(
        self, key: str, metric: Metric, reading: Reading
    ) -> tuple[list[tuple[Tier, float]], float]:
        """The tiers that have a limit (the record's, the station's, the file's) and the band."""
        own = self.stations.get(reading.station, Station()).metrics.get(key, Own())
        found = []
        for tier in metric.tiers:
            choices = (reading.get(tier.limit_from), own.limits.get(tier.name), tier.limit)
            limit = next((x for x in choices if x is not None), None)
            if limit is not None:
                found.append((tier, limit))
        return found, metric.band if own.band is None else own.band


@cache
def thresholds(path: Path = THRESHOLDS_FILE) -> Rules:
    """The rules of the data file; a mistake in it is a configuration error (ValueError)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data = {k: v for k, v in data.items() if not k.startswith("_")}
    data["stations"] = {k: v for k, v in data.get("stations", {}).items() if k[:1] != "_"}
    try:
        return Rules.model_validate(data)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
