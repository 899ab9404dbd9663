"""CAP alerts, OASIS CAP 1.2 XML (1.1 tolerated), Chinese profile GB/T 35965.1: docs/feeds/cap.md.

XML is read with defusedxml and any DTD is refused outright: an alert never needs one, and
refusing it means no entity is ever expanded and no external resource ever fetched (XXE).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import defusedxml
from defusedxml import ElementTree as SafeET

from core.event import DeadLetter, Event, Status, content_id
from core.times import beijing_to_utc, parse_source_time
from ingest.adapter import XML_MEDIA, RecordError, Result, total, unexpected
from ingest.geometry import ShapeError, area_geometry, geojson, representative
from ingest.mapping import mapping

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

FEED = "cap"
VERSIONS = {
    "urn:oasis:names:tc:emergency:cap:1.2": "1.2",
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
}
ALERT_REQUIRED = ("identifier", "sender", "sent", "status", "msgType", "scope")
INFO_REQUIRED = ("category", "event", "urgency", "severity", "certainty")
ENUMS = {
    "status": ("Actual", "Exercise", "System", "Test", "Draft"),
    "msgType": ("Alert", "Update", "Cancel", "Ack", "Error"),
    "scope": ("Public", "Restricted", "Private"),
}
# GB/T 35965.1 A.1.1: issuer (6-digit GB/T 2260 division, 3-digit GB/T 4657 agency, 3-char
# unit, 2-char extension) _ entry time in Beijing time _ sequence 0-9; 31 characters.
GB35965 = re.compile(r"(\d{6})(\d{3})([0-9A-Za-z]{3})([0-9A-Za-z]{2})_(\d{14})_(\d)")
EXPAT_ENCODINGS = frozenset({"utf8", "utf16", "usascii", "ascii", "iso88591", "latin1"})
ENCODING_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class Cap:
    """Element access within one CAP namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def tag(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"

    def all(self, element: Element, name: str) -> list[str]:
        return [(e.text or "").strip() for e in element.findall(self.tag(name))]

    def one(self, element: Element, name: str) -> str:
        found = element.find(self.tag(name))
        return "" if found is None else (found.text or "").strip()


def declared_encoding(body: bytes) -> str:
    found = ENCODING_DECL.match(body)
    return found.group(1).decode("ascii").lower() if found else "utf-8"


def decode(body: bytes) -> str:
    """The body as text for the dead-letter and raw fields, in its declared encoding."""
    try:
        return body.decode(declared_encoding(body), errors="replace").lstrip("\ufeff")
    except LookupError:
        return body.decode("utf-8", errors="replace").lstrip("\ufeff")


def read_alert(body: bytes) -> tuple[Element, Cap]:
    """The root <alert> and its namespace; refuses a DTD before anything in it is processed."""
    # Expat reads only single-byte encodings and UTF-8/16 itself; GBK and GB18030 documents
    # are decoded here and parsed as text.
    source: bytes | str = body
    if declared_encoding(body).replace("-", "").replace("_", "") not in EXPAT_ENCODINGS:
        source = decode(body)
    try:
        root: Element = SafeET.fromstring(source, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise RecordError(f"refused: a DTD or entity declaration (XXE): {exc}") from exc
    except (SafeET.ParseError, ValueError) as exc:
        raise RecordError(f"not well-formed XML: {exc}") from exc
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", "")
    if local != "alert" or namespace not in VERSIONS:
        raise RecordError(f"not a CAP 1.1/1.2 alert: root element is {root.tag!r}")
    return root, Cap(namespace)


def _time(text: str, name: str) -> str:
    """A CAP dateTime as ISO 8601 UTC, so equal instants compare equal as strings."""
    try:
        return parse_source_time(text).isoformat()
    except ValueError as exc:
        raise RecordError(f"<{name}> {text!r} is not a date and time") from exc


def references(text: str) -> list[dict[str, str]]:
    """CAP <references>: whitespace-separated 'sender,identifier,sent' triples."""
    found = []
    for entry in text.split():
        parts = entry.split(",")
        if len(parts) != 3 or not all(parts):
            raise RecordError(f"<references> entry {entry!r} is not 'sender,identifier,sent'")
        found.append({"sender": parts[0], "identifier": parts[1], "sent": _time(parts[2], "sent")})
    return found


def gb35965(identifier: str) -> dict[str, Any] | None:
    """The parts of a GB/T 35965.1 identifier, or None when it is not one."""
    match = GB35965.fullmatch(identifier)
    if match is None:
        return None
    region, agency, unit, extension, stamp, sequence = match.groups()
    try:
        local = datetime.strptime(stamp, "%Y%m%d%H%M%S")  # noqa: DTZ007 - Beijing, made UTC below
        entered = beijing_to_utc(*local.timetuple()[:6])
    except ValueError:  # not a date, or one without a UTC time (year 1)
        return None
    return {
        "issuer": f"{region}{agency}{unit}{extension}",
        "region": region,
        "agency": agency,
        "unit": unit,
        "extension": extension,
        "entered_at": entered.isoformat(),
        "sequence": int(sequence),
    }


def alert_attrs(root: Element, cap: Cap) -> dict[str, Any]:
    """The message-level fields every Event of the alert carries."""
    missing = [f"<{name}>" for name in ALERT_REQUIRED if not cap.one(root, name)]
    if missing:
        raise RecordError(f"missing required element {', '.join(missing)}")
    for name, allowed in ENUMS.items():
        if cap.one(root, name) not in allowed:
            raise RecordError(f"<{name}> {cap.one(root, name)!r} is not one of {list(allowed)}")
    refs = references(cap.one(root, "references"))
    if cap.one(root, "msgType") == "Cancel" and not refs:
        raise RecordError("msgType Cancel without <references>: nothing to cancel")
    identifier = cap.one(root, "identifier")
    attrs: dict[str, Any] = {
        "cap_version": VERSIONS[cap.namespace],
        "identifier": identifier,
        "sender": cap.one(root, "sender"),
        "sent": _time(cap.one(root, "sent"), "sent"),
        "status": cap.one(root, "status"),
        "msgType": cap.one(root, "msgType"),
        "scope": cap.one(root, "scope"),
        "references": refs,
        "note": cap.one(root, "note"),
    }
    parts = gb35965(identifier)
    if parts is not None:
        attrs["gb35965"] = parts
    return attrs


def _optional_time(info: Element, cap: Cap, name: str) -> str | None:
    text = cap.one(info, name)
    return _time(text, name) if text else None


@dataclass(frozen=True, slots=True)
class Block:
    """One <info> block: its fields, its description, and a point inside its area."""

    attrs: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    point: tuple[float, float] | None = None


def info_block(info: Element, cap: Cap) -> Block:
    """One <info> block, its areas merged into one geometry."""
    missing = [f"<{name}>" for name in INFO_REQUIRED if not cap.one(info, name)]
    if missing:
        raise RecordError(f"missing required element {', '.join(missing)} in <info>")
    areas = info.findall(cap.tag("area"))
    if any(not cap.one(area, "areaDesc") for area in areas):
        raise RecordError("missing required element <areaDesc> in <area>")
    try:
        shape = area_geometry(
            [p for area in areas for p in cap.all(area, "polygon") if p],
            [c for area in areas for c in cap.all(area, "circle") if c],
        )
    except ShapeError as exc:
        raise RecordError(str(exc)) from exc
    geocodes = [
        {"valueName": cap.one(code, "valueName"), "value": cap.one(code, "value")}
        for area in areas
        for code in area.findall(cap.tag("geocode"))
    ]
    attrs = {
        "language": cap.one(info, "language") or "en-US",  # CAP's default
        "categories": cap.all(info, "category"),
        "event": cap.one(info, "event"),
        "urgency": cap.one(info, "urgency"),
        "severity": cap.one(info, "severity"),
        "certainty": cap.one(info, "certainty"),
        "headline": cap.one(info, "headline"),
        "instruction": cap.one(info, "instruction"),
        "sender_name": cap.one(info, "senderName"),
        "effective": _optional_time(info, cap, "effective"),
        "onset": _optional_time(info, cap, "onset"),
        "expires": _optional_time(info, cap, "expires"),
        "areaDesc": [cap.one(area, "areaDesc") for area in areas],
        "geocodes": geocodes,
        "geometry": None if shape is None else geojson(shape),
    }
    point = None if shape is None else representative(shape)
    return Block(attrs, cap.one(info, "description"), point)


def category(event_name: str, categories: list[str]) -> tuple[str, bool]:
    """The internal category, and whether the table had to fall back."""
    table = mapping(FEED)
    name = event_name.casefold()
    if any(word.casefold() in name for word in table["flood_keywords"]):
        return table["flood_category"], False
    code: str | None = table["categories"].get(categories[0]) if categories else None
    return (code, False) if code else (table["default_category"], True)


def to_event(alert: dict[str, Any], block: Block, source_id: str, raw: str, at: datetime) -> Event:
    """One Event: an <info> block with its alert's fields, or the bare alert when it has none."""
    attrs: dict[str, Any] = {**alert, "areaDesc": [], "geometry": None, **block.attrs}
    title = attrs.get("headline") or attrs.get("event") or alert["note"]
    cat, unmapped = category(attrs.get("event", ""), attrs.get("categories", []))
    level: int | None = mapping(FEED)["severity"].get(attrs.get("severity", ""))
    if level is None:
        attrs["severity_unknown"] = True
    if unmapped:
        attrs["unmapped_category"] = True
    lon, lat = block.point or (None, None)
    status: Status | None = mapping(FEED)["status"].get(alert["msgType"])
    return Event(
        id=content_id(FEED, source_id, {**attrs, "description": block.description}),
        feed=FEED,
        kind="alert",
        source_id=source_id,
        category=cat,
        title=title or f"{alert['msgType']} {alert['identifier']}",
        description=block.description,
        occurred_at=datetime.fromisoformat(alert["sent"]),
        received_at=at,
        lon=lon,
        lat=lat,
        source_crs="WGS84" if block.point else None,
        address="; ".join(attrs.get("areaDesc", [])),
        severity=level or 1,
        source_status=alert["msgType"],
        status=status,
        attrs=attrs,
        raw=raw,
    )


class CapAdapter:
    feed = FEED
    media_types = XML_MEDIA

    @total
    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]:
        raw = decode(body)
        try:
            root, cap = read_alert(body)
        except RecordError as exc:
            # Not XML, refused, or not an alert: the body as a whole is unreadable.
            yield DeadLetter(
                feed=FEED, reason=str(exc), raw=raw, received_at=received_at, scope="body"
            )
            return
        identifier = cap.one(root, "identifier") or None
        try:
            alert = alert_attrs(root, cap)
        except RecordError as exc:
            yield self._dead(str(exc), raw, received_at, identifier)
            return
        infos = root.findall(cap.tag("info"))
        if not infos:
            yield to_event(alert, Block(), alert["identifier"], raw, received_at)
        for index, info in enumerate(infos):
            try:
                block = info_block(info, cap)
                source_id = f"{alert['identifier']}#{index}-{block.attrs['language']}"
                yield to_event(alert, block, source_id, raw, received_at)
            except (RecordError, ValueError) as exc:
                yield self._dead(f"<info> {index}: {exc}", raw, received_at, identifier)
            except Exception as exc:  # the last resort, logged: this block alone is lost
                yield unexpected(FEED, exc, raw, received_at, source_id=identifier)

    @staticmethod
    def _dead(reason: str, raw: str, at: datetime, source_id: str | None) -> DeadLetter:
        return DeadLetter(feed=FEED, reason=reason, raw=raw, received_at=at, source_id=source_id)


ADAPTER = CapAdapter()
