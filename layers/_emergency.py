"""The demo town's emergency data (synthetic): population per level-2 grid, and the places an
emergency needs — vulnerable sites, shelters and resources — as points with their contacts.

Totals are the seed town's: 180,000 residents (常住) and 120,000 registered (户籍). Residents
are spread by area with the communities round the seat four times as dense as the villages;
the registered share is lower in the communities (more people from elsewhere live there).
Places fall at random inside the villages of their kind. Phone numbers start with 100, like
the roster's (layers/_people.py), in a block of their own: none can ring a real person.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

RESIDENTS = 180_000
REGISTERED = 120_000
COMMUNITY_DENSITY = 4.0  # residents per km² in a community, against a village's 1
PHONE_PREFIX = "1000511"  # the roster's block is 1000510

# (layer, kind, Chinese name pattern, how many, where: community | village | any)
PLACES: tuple[tuple[str, str, str, int, str], ...] = (
    ("vulnerable", "school", "{v}小学", 6, "any"),
    ("vulnerable", "school", "{v}中学", 2, "community"),
    ("vulnerable", "kindergarten", "{v}幼儿园", 6, "any"),
    ("vulnerable", "nursing_home", "{v}敬老院", 3, "village"),
    ("vulnerable", "clinic", "{v}卫生室", 10, "village"),
    ("vulnerable", "clinic", "霞客镇卫生院", 1, "community"),
    ("shelter", "shelter", "{v}应急避难场所", 10, "any"),
    ("resource", "pump", "{v}排涝泵站", 6, "village"),
    ("resource", "sandbag_depot", "{v}防汛物资仓库", 4, "any"),
    ("resource", "vehicle", "{v}应急车辆停放点", 3, "community"),
    ("resource", "fire_rescue", "霞客镇消防救援站", 1, "community"),
    ("resource", "fire_rescue", "{v}微型消防站", 5, "village"),
)
SHELTER_CAPACITY = (500, 3000)  # people, inclusive bounds, in hundreds


def population(
    codes: Sequence[str],
    areas: Sequence[float],
    community: Sequence[bool],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Residents and registered people of each level-2 grid, adding up to the town's totals."""
    density = np.where(np.asarray(community), COMMUNITY_DENSITY, 1.0)
    weight = np.asarray(areas) * density * rng.lognormal(0, 0.25, len(codes))
    residents = _apportion(RESIDENTS, weight)
    share = np.where(np.asarray(community), 0.55, 0.75) * rng.uniform(0.9, 1.1, len(codes))
    registered = _apportion(REGISTERED, residents * share)
    return [
        {"grid": code, "resident": int(res), "registered": int(reg)}
        for code, res, reg in zip(codes, residents, registered, strict=True)
    ]


def _apportion(total: int, weight: np.ndarray) -> np.ndarray:
    """Whole numbers in proportion to `weight` that add up to `total` (largest remainder)."""
    exact = total * weight / weight.sum()
    whole = np.floor(exact).astype(int)
    order = np.argsort(-(exact - whole), kind="stable")
    whole[order[: total - int(whole.sum())]] += 1
    return np.asarray(whole)


def places(
    villages: Sequence[tuple[str, str, Any]], rng: np.random.Generator, start: int
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Properties and points (in the villages' CRS) of every place; `villages` are (name, kind,
    polygon). Ids are `<kind>-<n>`; phone suffixes count up from `start`."""
    props: list[dict[str, Any]] = []
    points: list[Any] = []
    for layer, kind, pattern, count, where in PLACES:
        pool = [v for v in villages if where == "any" or v[1] == where]
        chosen = rng.choice(len(pool), size=count, replace=count > len(pool))
        for index in chosen:
            name, _, polygon = pool[int(index)]
            number = sum(1 for p in props if p["kind"] == kind) + 1
            item: dict[str, Any] = {
                "id": f"{kind}-{number:02d}",
                "layer": layer,
                "kind": kind,
                "name": pattern.format(v=name.removesuffix("社区").removesuffix("村")),
            }
            if layer == "shelter":
                low, high = SHELTER_CAPACITY
                item["capacity"] = int(rng.integers(low // 100, high // 100 + 1)) * 100
            item["contact"] = "值班室"
            item["phone"] = f"{PHONE_PREFIX}{start + len(props):04d}"
            props.append(item)
            points.append(_inside(polygon, rng))
    _unique_names(props)
    return props, points


def _inside(polygon: Any, rng: np.random.Generator) -> Any:
    """A random point well inside `polygon` (rejection sampling in its bounding box)."""
    inner = polygon.buffer(-150) if polygon.buffer(-150).area > 0 else polygon
    west, south, east, north = inner.bounds
    while True:
        x, y = rng.uniform(west, east), rng.uniform(south, north)
        if inner.contains(shapely.Point(x, y)):
            return shapely.Point(round(x, 1), round(y, 1))


def _unique_names(props: list[dict[str, Any]]) -> None:
    """Two places of one name in one village get 一, 二 … after it."""
    seen: dict[str, int] = {}
    for item in props:
        seen[item["name"]] = seen.get(item["name"], 0) + 1
    counter: dict[str, int] = {}
    for item in props:
        if seen[item["name"]] > 1:
            counter[item["name"]] = counter.get(item["name"], 0) + 1
            item["name"] = f"{item['name']}（{'一二三四五六'[counter[item['name']] - 1]}）"
