"""A plausible county weather observatory: a 暴雨 (rainstorm) warning as CAP 1.2 in the
GB/T 35965.1 style, following the water simulator's rain episode.

Yellow (Moderate) when the episode starts, upgraded to orange (Severe) by an Update at its
peak, and lifted by a Cancel when it ends; each is one CAP document, one body. The area is a
polygon around the town, written as CAP wants it: "lat,lon" pairs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import shapely
from shapely.geometry import Polygon

from core.times import beijing
from ingest.sim.common import Anchor, Episode
from ingest.sim.water import RAIN
from layers.town import Town

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# GB/T 35965.1 issuer: 320281 江阴市, 416 the meteorological service (GB/T 4657), unit 000,
# extension 00.
ISSUER = "32028141600000"
SENDER = "江阴市气象台"
REGION = "320281"


@dataclass(frozen=True)
class Stage:
    """One message of the warning's life: when in the episode (0 → 1) and what it says."""

    at: float
    msg_type: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str


STAGES = (
    Stage(0.0, "Alert", "Expected", "Moderate", "Likely", "江阴市气象台发布暴雨黄色预警信号",
          "预计未来6小时内{town}及周边将出现50毫米以上降雨，局部伴有雷电。",
          "做好城市、农田排涝准备，低洼地带和地下空间注意防范积水。"),
    Stage(0.5, "Update", "Immediate", "Severe", "Observed",
          "江阴市气象台将暴雨黄色预警升级为橙色预警",
          "{town}强降雨持续，部分河道水位已超过警戒水位，强降雨仍将持续。",
          "停止户外作业和集会，低洼地带人员及时转移，注意防范城乡积涝和河道漫溢。"),
    Stage(1.0, "Cancel", "Past", "Minor", "Observed", "江阴市气象台解除暴雨预警",
          "{town}降雨已明显减弱，解除暴雨橙色预警。", ""),
)  # fmt: skip


def polygon_text(town: Town, margin: float = 0.01) -> str:
    """A simple polygon around the town (its hull, a little wider), as CAP "lat,lon" pairs."""
    hull = shapely.convex_hull(town.boundary).buffer(margin, quad_segs=2)
    ring = Polygon(hull.exterior).simplify(0.003).exterior.coords
    return " ".join(f"{lat:.4f},{lon:.4f}" for lon, lat in ring)


def _cap_time(t: datetime) -> str:
    return beijing(t).replace(microsecond=0).isoformat()


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    element.text = text
    return element


@dataclass
class CapFeed:
    """The observatory's warnings for the rain episode (the same Episode as the water feed's)."""

    town: Town
    rain: Episode = RAIN
    feed: str = "cap"
    _start: Anchor = field(default_factory=Anchor)
    _sent: list[tuple[str, datetime]] = field(default_factory=list)  # (identifier, sent)

    def backfill(self, now: datetime) -> list[bytes]:
        return self.tick(now, 0)

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        start = self._start(now)
        bodies = []
        for stage in STAGES[len(self._sent) :]:
            when = (self.rain.begins(start) + stage.at * self.rain.length).replace(microsecond=0)
            if when > now:
                break
            bodies.append(self.document(stage, when))
        return bodies

    def document(self, stage: Stage, sent: datetime) -> bytes:
        """The CAP 1.2 XML of one stage; an Update or Cancel refers to every earlier message."""
        identifier = f"{ISSUER}_{beijing(sent):%Y%m%d%H%M%S}_0"
        ET.register_namespace("", CAP_NS)
        alert = ET.Element(f"{{{CAP_NS}}}alert")
        for tag, text in (
            ("identifier", identifier),
            ("sender", SENDER),
            ("sent", _cap_time(sent)),
            ("status", "Actual"),
            ("msgType", stage.msg_type),
            ("scope", "Public"),
        ):
            _sub(alert, tag, text)
        if self._sent:
            refs = " ".join(f"{SENDER},{ident},{_cap_time(t)}" for ident, t in self._sent)
            _sub(alert, "references", refs)
        self._info(ET.SubElement(alert, f"{{{CAP_NS}}}info"), stage, sent)
        self._sent.append((identifier, sent))
        document: bytes = ET.tostring(alert, encoding="UTF-8", xml_declaration=True)
        return document

    def _info(self, info: ET.Element, stage: Stage, sent: datetime) -> None:
        town = self.town.name or "全镇"
        for tag, text in (
            ("language", "zh-CN"),
            ("category", "Met"),
            ("event", "暴雨"),
            ("urgency", stage.urgency),
            ("severity", stage.severity),
            ("certainty", stage.certainty),
            ("effective", _cap_time(sent)),
            ("expires", _cap_time(sent + timedelta(hours=6))),
            ("senderName", SENDER),
            ("headline", stage.headline),
            ("description", stage.description.format(town=town)),
        ):
            _sub(info, tag, text)
        if stage.instruction:
            _sub(info, "instruction", stage.instruction)
        area = ET.SubElement(info, f"{{{CAP_NS}}}area")
        _sub(area, "areaDesc", town)
        _sub(area, "polygon", polygon_text(self.town))
        geocode = ET.SubElement(area, f"{{{CAP_NS}}}geocode")
        _sub(geocode, "valueName", "GB/T 2260")
        _sub(geocode, "value", REGION)
