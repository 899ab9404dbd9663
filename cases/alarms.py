"""Alarm changes → report Events, so an alarm case is made, raised and closed by the same
code path as any other case (cases.model.apply): no second kind of case.

The Events come from the virtual feed ``alarm``; the source id is the alarm's id without its
``alarm:`` prefix, so the case id (``<feed>:<source id>``) *is* the alarm id. Everything in
them comes from the reading or the alarm, never from a clock, so the same readings always
give the same Events (and the same ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson

from cases.categories import category
from cases.telemetry import NO_DATA, AlarmChange
from core.event import Event, Status
from layers.sites import sites

FEED = "alarm"
KIND_NAMES: dict[str, tuple[str, str]] = {
    "river-over-warning": ("超警戒水位", "River over warning level"),
    "river-over-guaranteed": ("超保证水位", "River over guaranteed level"),
    "aqi": ("空气质量超标", "Air quality over limit"),
    "surface-water-class-iii": ("水质超III类", "Surface water worse than class III"),
    NO_DATA: ("站点无数据", "Station silent"),
}
_STATUS: dict[str, Status] = {"opened": "new", "escalated": "new", "cleared": "closed"}


@dataclass(frozen=True, slots=True)
class Station:
    """What a case needs of the station: its name and where it is (None: not known)."""

    title: str
    lon: float | None = None
    lat: float | None = None
    address: str = ""


def kind_name(kind: str) -> tuple[str, str]:
    """(Chinese, English) of an alarm kind; ``surface-water-class-iii:<param>`` by its family."""
    return KIND_NAMES.get(kind) or KIND_NAMES.get(kind.split(":", 1)[0]) or (kind, kind)


def station_of(event: Event) -> Station:
    """The station as its own telemetry event describes it."""
    return placed(f"{event.feed}:{event.source_id}", event.title, event.lon, event.lat,
                  event.address)  # fmt: skip


def placed(
    station: str, title: str, lon: float | None, lat: float | None, address: str = ""
) -> Station:
    """A station where its reading says, else where the town's sites file puts it (a river
    gauge's SL 323 record has no position): its alarm cases then stand on the map, and an
    incident can be declared round them."""
    if lon is None or lat is None:
        site = sites().stations.get(station)
        if site is not None:
            lon, lat = site.lon_lat
    return Station(title, lon, lat, address)


def alarm_event(change: AlarmChange, station: Station, received_at: datetime) -> Event:
    """The report Event of one alarm change; ``received_at`` is the reading's or the sweep's."""
    alarm = change.alarm
    zh, _ = kind_name(alarm.kind)
    detail = {
        "alarm_kind": alarm.kind,
        "metric": alarm.metric,
        "tier": alarm.tier,
        "station": alarm.station,
        "value": change.value,
        "limit": alarm.limit,
        "clear": alarm.clear,
        "action": change.action,
    }
    return Event(
        id=f"{alarm.id}:{change.action}:{change.at.isoformat()}",
        feed=FEED,
        kind="report",
        source_id=alarm.id.removeprefix("alarm:"),
        category=category(alarm.category).code,
        title=f"{station.title} {zh}".strip(),
        description=change.reason,
        occurred_at=alarm.opened_at,
        received_at=received_at,
        lon=station.lon,
        lat=station.lat,
        address=station.address,
        severity=alarm.severity,
        source_status=change.action,
        status=_STATUS[change.action],
        attrs=detail,
        raw=orjson.dumps(change.to_dict()).decode(),
    )
