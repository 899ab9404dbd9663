"""Generate the synthetic demo town in ``layers/data``: ``python -m layers.generate``.

The town is modelled on 徐霞客镇 (Jiangyin, Jiangsu) — about 110 km², an irregular outline,
16 villages and communities (level-1 grids) each split into 2 or 3 level-2 grids — but every
name, border and person is fictional. Geometry is built in UTM 51N (EPSG:32651) so Voronoi
cells and areas are true to scale, then written in WGS84 with 6 decimals (about 0.1 m). A fixed
seed and a hand-rolled GeoJSON writer make every run byte-identical with the same GEOS/PROJ.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import mapping

from layers import _emergency
from layers._people import build_roster
from layers.town import DATA_DIR, WGS84, town_centroid

SEED = 20_261_128
CENTRE_LON, CENTRE_LAT = 120.40, 31.78
AREA_KM2 = 110.0
METRIC_CRS = "EPSG:32651"
CODE_PREFIX = "XXK"
OUTLINE_VERTICES = 180
ORDINALS = "一二三"

# (name, kind, bearing in degrees clockwise from north, distance from the centre as a fraction
# of the outline's radius on that bearing). Hand-placed so that the communities round the seat
# are small and the outlying villages large, as in a real township; the seat comes first.
VILLAGES: tuple[tuple[str, str, float, float], ...] = (
    ("璜塘社区", "community", 330.0, 0.08),
    ("霞客社区", "community", 300.0, 0.30),
    ("东湖村", "village", 165.0, 0.24),
    ("旸岐社区", "community", 50.0, 0.28),
    ("星岸社区", "community", 235.0, 0.28),
    ("北渚村", "village", 5.0, 0.58),
    ("梅园村", "village", 80.0, 0.60),
    ("湖庄村", "village", 140.0, 0.66),
    ("芦墩村", "village", 200.0, 0.62),
    ("西滩村", "village", 270.0, 0.62),
    ("北庄村", "village", 325.0, 0.84),
    ("桑林村", "village", 35.0, 0.86),
    ("石桥村", "village", 110.0, 0.84),
    ("南旸村", "village", 170.0, 0.88),
    ("泾口村", "village", 225.0, 0.86),
    ("新丰村", "village", 280.0, 0.84),
)

Array = NDArray[Any]


def generate(out_dir: Path = DATA_DIR, seed: int = SEED) -> list[Path]:
    """Write grids_l1.geojson, grids_l2.geojson, roster.json, town.json, population.csv and
    emergency.geojson into `out_dir`."""
    rng = np.random.default_rng(seed)
    origin = _project([CENTRE_LON], [CENTRE_LAT])[0]
    harmonics = rng.uniform([0.02, 0.0], [0.07, 2 * math.pi], size=(5, 2))
    outline, scale = _outline(origin, harmonics, rng)
    seeds = _village_seeds(origin, scale, harmonics, rng)
    villages = _clip_voronoi(seeds, outline)
    grids, owners = _split_villages(villages, rng)
    vertices = shapely.multipoints(np.unique(shapely.get_coordinates(grids), axis=0))
    villages, grids = _close_t_junctions(villages, vertices), _close_t_junctions(grids, vertices)
    l1, l2 = _to_wgs84(villages), _to_wgs84(grids)
    _check_coverage(l1, l2)
    l1_codes = [f"{CODE_PREFIX}-{i + 1:02d}" for i in range(len(VILLAGES))]
    l2_codes = _l2_codes(l1_codes, owners)
    out_dir.mkdir(parents=True, exist_ok=True)
    l1_path, l2_path = out_dir / "grids_l1.geojson", out_dir / "grids_l2.geojson"
    roster_path, meta_path = out_dir / "roster.json", out_dir / "town.json"
    _write_geojson(l1_path, l1, _l1_properties(l1_codes))
    _write_geojson(l2_path, l2, _l2_properties(l2_codes, l1_codes, owners))
    _write_json(roster_path, build_roster(l2_codes, rng))
    _write_json(meta_path, _town_meta(l1))
    return [
        l1_path,
        l2_path,
        roster_path,
        meta_path,
        *_emergency_files(out_dir, villages, grids, owners, l2_codes, seed),
    ]


def _emergency_files(
    out_dir: Path, villages: Array, grids: Array, owners: list[int], codes: list[str], seed: int
) -> list[Path]:
    """population.csv and emergency.geojson, from a generator of their own (so the grids and
    the roster stay what they were)."""
    rng = np.random.default_rng(seed + 1)
    community = [VILLAGES[owner][1] == "community" for owner in owners]
    rows = _emergency.population(codes, shapely.area(grids) / 1e6, community, rng)
    csv_path = out_dir / "population.csv"
    lines = [
        "grid,resident,registered",
        *(f"{r['grid']},{r['resident']},{r['registered']}" for r in rows),
    ]
    csv_path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    named = [
        (name, kind, geom) for (name, kind, _, _), geom in zip(VILLAGES, villages, strict=True)
    ]
    props, points = _emergency.places(named, rng, start=0)
    places_path = out_dir / "emergency.geojson"
    _write_geojson(places_path, _to_wgs84(np.asarray(points, dtype=object)), props)
    return [csv_path, places_path]


def _project(lons: list[float], lats: list[float]) -> Array:
    points = gpd.GeoSeries(gpd.points_from_xy(lons, lats), crs=WGS84).to_crs(METRIC_CRS)
    coords: Array = shapely.get_coordinates(points.to_numpy())
    return coords


def _unit_radius(theta: Array, harmonics: Array) -> Array:
    """Radius of the outline at math angle `theta`: a north–south ellipse, made irregular by
    low-order harmonics (a positive polar radius always gives a simple polygon)."""
    orders = np.arange(2, 2 + len(harmonics))[:, None]
    wobble = 1 + (harmonics[:, :1] * np.cos(orders * theta + harmonics[:, 1:])).sum(axis=0)
    ellipse = 1 / np.hypot(np.cos(theta), np.sin(theta) / 1.3)
    return np.asarray(wobble * ellipse)


def _outline(origin: Array, harmonics: Array, rng: np.random.Generator) -> tuple[Any, float]:
    """The town outline in metres, scaled to AREA_KM2; returns it and the scale factor."""
    theta = np.linspace(0, 2 * math.pi, OUTLINE_VERTICES, endpoint=False)
    # Smoothed noise gives a ragged border (field edges, creeks) without spikes.
    noise = np.convolve(np.tile(rng.normal(0, 0.02, theta.size), 3), np.ones(3) / 3, "same")
    radius = _unit_radius(theta, harmonics) * (1 + noise[theta.size : 2 * theta.size])
    ring = np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])
    scale = math.sqrt(AREA_KM2 * 1e6 / shapely.area(shapely.polygons(ring)))
    outline = shapely.polygons(origin + scale * ring)
    return outline, scale


def _village_seeds(
    origin: Array, scale: float, harmonics: Array, rng: np.random.Generator
) -> Array:
    """The VILLAGES table's polar placements in metres, slightly jittered."""
    bearings = np.radians([v[2] for v in VILLAGES])
    theta = math.pi / 2 - bearings
    distance = np.array([v[3] for v in VILLAGES]) * _unit_radius(theta, harmonics) * scale
    offsets = np.column_stack([distance * np.cos(theta), distance * np.sin(theta)])
    return np.asarray(origin + offsets + rng.normal(0, 0.01 * scale, offsets.shape))


def _clip_voronoi(seeds: Array, area: Any) -> Array:
    """Voronoi cells of `seeds` (in seed order) clipped to `area`; each must stay one piece."""
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=area, ordered=True)
    clipped = shapely.intersection(shapely.get_parts(cells), area)
    if not (shapely.get_type_id(clipped) == 3).all():
        raise RuntimeError("a Voronoi cell fell apart when clipped: move the seeds")
    return np.asarray(clipped)


def _split_villages(villages: Array, rng: np.random.Generator) -> tuple[Array, list[int]]:
    """Split each village into 2 or 3 grids (3 for the larger ones), north first."""
    median_area = float(np.median(shapely.area(villages)))
    grids: list[Any] = []
    owners: list[int] = []
    for owner, village in enumerate(villages):
        count = 3 if village.area > median_area * rng.uniform(0.8, 1.4) else 2
        pieces = _clip_voronoi(_balanced_points(village, count, rng), village)
        north_first = np.argsort(-shapely.get_y(shapely.point_on_surface(pieces)), kind="stable")
        grids.extend(pieces[north_first])
        owners.extend([owner] * count)
    return np.asarray(grids, dtype=object), owners


def _balanced_points(polygon: Any, count: int, rng: np.random.Generator) -> Array:
    """`count` seeds whose Voronoi cells split `polygon` into similar areas: k-means centres
    of random points inside it (Lloyd's iterations)."""
    west, south, east, north = polygon.bounds
    samples = rng.uniform([west, south], [east, north], size=(2000, 2))
    samples = samples[shapely.contains_xy(polygon, samples[:, 0], samples[:, 1])]
    centres: Array = samples[rng.choice(len(samples), size=count, replace=False)]
    for _ in range(30):
        nearest = np.linalg.norm(samples[:, None] - centres[None], axis=2).argmin(axis=1)
        centres = np.array([samples[nearest == k].mean(axis=0) for k in range(count)])
    return centres


def _close_t_junctions(geoms: Array, vertices: Any) -> Array:
    """Insert every vertex of the grids into the edges it lies on, so that shared borders
    (between grids, and between a village and its grids) are vertex-identical.

    Clipping a village's split adds vertices on the village border that the village and the
    neighbouring village's grids lack; rounding to 6 decimals would turn those T-junctions
    into hairline gaps and overlaps.
    """
    return np.asarray(shapely.snap(geoms, vertices, tolerance=1e-3))


def _to_wgs84(geoms: Array) -> Array:
    lonlat = gpd.GeoSeries(geoms, crs=METRIC_CRS).to_crs(WGS84).to_numpy()
    rounded = shapely.transform(lonlat, lambda xy: np.round(xy, 6))
    # RFC 7946: exterior rings counter-clockwise.
    return np.asarray(shapely.orient_polygons(shapely.remove_repeated_points(rounded)))


def _check_coverage(l1: Array, l2: Array) -> None:
    for level, geoms in (("level-1", l1), ("level-2", l2)):
        if not shapely.is_valid(geoms).all() or not shapely.coverage_is_valid(geoms):
            raise RuntimeError(f"{level} grids are not a clean partition after rounding")


def _l2_codes(l1_codes: list[str], owners: list[int]) -> list[str]:
    seen: dict[int, int] = {}
    codes = []
    for owner in owners:
        seen[owner] = seen.get(owner, 0) + 1
        codes.append(f"{l1_codes[owner]}-{seen[owner]:02d}")
    return codes


def _l1_properties(codes: list[str]) -> list[dict[str, str]]:
    return [
        {"code": code, "name": name, "kind": kind}
        for code, (name, kind, _, _) in zip(codes, VILLAGES, strict=True)
    ]


def _l2_properties(
    codes: list[str], l1_codes: list[str], owners: list[int]
) -> list[dict[str, str]]:
    village_names = [VILLAGES[owner][0] for owner in owners]
    return [
        {
            "code": code,
            "name": f"{village_name}第{ORDINALS[int(code[-2:]) - 1]}网格",
            "village": l1_codes[owner],
            "village_name": village_name,
        }
        for code, owner, village_name in zip(codes, owners, village_names, strict=True)
    ]


def _town_meta(l1: Array) -> dict[str, Any]:
    """Name, centre (where the simulator places most cases), bbox and area in EPSG:32651.

    The centre is the centroid that `Town.load` falls back to, so a town loaded without
    town.json has the same centre; it lies in the seat, 璜塘社区.
    """
    town = gpd.GeoSeries([shapely.union_all(l1)], crs=WGS84)
    lonlat = town_centroid(town)
    return {
        "name": "霞客镇",
        "name_en": "Xiake Town (synthetic demo)",
        "centre": [round(float(v), 6) for v in lonlat],
        "bbox": [round(float(v), 6) for v in town.total_bounds],
        "area_km2": round(float(town.to_crs(METRIC_CRS).area.iloc[0]) / 1e6, 2),
        "crs": WGS84,
    }


def _write_geojson(path: Path, geoms: Array, properties: Sequence[dict[str, Any]]) -> None:
    """One feature per line, keys in a fixed order: stable bytes and readable diffs."""
    features = [
        json.dumps(
            {"type": "Feature", "properties": props, "geometry": mapping(geom)},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for props, geom in zip(properties, geoms, strict=True)
    ]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(features) + "\n]}\n"
    path.write_bytes(text.encode("utf-8"))


def _write_json(path: Path, value: dict[str, Any]) -> None:
    """One top-level key per line and, for lists, one item per line: short readable diffs."""

    def dump(item: Any) -> str:
        return json.dumps(item, ensure_ascii=False, separators=(", ", ": "))

    def entry(key: str, item: Any) -> str:
        if isinstance(item, list) and item and isinstance(item[0], dict):
            return f"{dump(key)}: [\n  " + ",\n  ".join(map(dump, item)) + "\n ]"
        return f"{dump(key)}: {dump(item)}"

    text = "{\n " + ",\n ".join(entry(k, v) for k, v in value.items()) + "\n}\n"
    path.write_bytes(text.encode("utf-8"))


def main() -> None:
    for path in generate():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
