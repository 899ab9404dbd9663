"""Urban records for tests: the feeds.md example with a few knobs."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from core.times import beijing
from ingest.coords import CRS, from_wgs84

DEFAULT_POINT = (120.397, 31.7835)
# One lattice step (m): wider than the duplicate radius of most categories
# (cases/data/duplicates.json), so reports a test places around one point stay cases apart.
STEP_M = 60.0


def urban_record(
    n: int,
    lon: float = DEFAULT_POINT[0],
    lat: float = DEFAULT_POINT[1],
    crs: CRS = CRS.WGS84,
    **fields: Any,
) -> dict[str, Any]:
    """Record number ``n`` at a WGS84 point, sent in the datum ``crs``."""
    x, y = from_wgs84(lon, lat, crs)
    return {
        "ajbh": f"T-{n:06d}", "wtly": "监督员上报", "ajlx": "事件", "dlmc": "街面秩序",
        "xlmc": "机动车乱停放", "xlbm": "0505", "wtms": f"测试案件{n}", "dz": "璜塘路88号",
        "zbx": x, "zby": y, "zbxt": crs.value, "sbsj": "2026-11-28 09:12:33", "zt": "待受理",
        **fields,
    }  # fmt: skip


def reported_now() -> str:
    """Now, as a feed writes a report time (Beijing, to the second). For tests whose engine runs
    on the real clock: the fixed default report time falls behind it, and the engine would
    escalate the case past its deadline."""
    return beijing(datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S")


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m`` and ``north_m`` metres from (lon, lat): flat, for short distances."""
    metres_per_degree = 111_320.0
    return (
        lon + east_m / (metres_per_degree * math.cos(math.radians(lat))),
        lat + north_m / metres_per_degree,
    )


def around(lon: float, lat: float, n: int, step_m: float = STEP_M) -> tuple[float, float]:
    """Point ``n`` of a 3×3 lattice centred on (lon, lat), ``step_m`` apart (WGS84, near)."""
    return offset(lon, lat, (n % 3 - 1) * step_m, (n // 3 % 3 - 1) * step_m)


def lattice_point(n: int, per_row: int = 40) -> tuple[float, float]:
    """Record n's own point, for runs of many records that must not be duplicates: a lattice
    STEP_M apart around the default point (per_row² points, then it repeats)."""
    east = (n % per_row - per_row // 2) * STEP_M
    north = (n // per_row % per_row - per_row // 2) * STEP_M
    return offset(*DEFAULT_POINT, east, north)
