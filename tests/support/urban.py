"""Urban records for tests: the feeds.md example with a few knobs."""

from __future__ import annotations

from typing import Any

from ingest.coords import CRS, from_wgs84


def urban_record(
    n: int, lon: float = 120.397, lat: float = 31.7835, crs: CRS = CRS.WGS84, **fields: Any
) -> dict[str, Any]:
    """Record number ``n`` at a WGS84 point, sent in the datum ``crs``."""
    x, y = from_wgs84(lon, lat, crs)
    return {
        "ajbh": f"T-{n:06d}", "wtly": "监督员上报", "ajlx": "事件", "dlmc": "街面秩序",
        "xlmc": "机动车乱停放", "xlbm": "0501", "wtms": f"测试案件{n}", "dz": "璜塘路88号",
        "zbx": x, "zby": y, "zbxt": crs.value, "sbsj": "2026-11-28 09:12:33", "zt": "待受理",
        **fields,
    }  # fmt: skip
