"""Screenshot pixels as arrays, for checking what a person would see."""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from playwright.sync_api import Page

from dashboard.components.wall_map import CHOROPLETH_OPACITY, OPEN_CASES_DARK
from dashboard.theme import MAP_BACKGROUND


def rgb(png: bytes) -> NDArray[np.uint8]:
    """A screenshot as a (height, width, 3) RGB array."""
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def hex_rgb(colour: str) -> NDArray[np.float64]:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def calm_grid_colour() -> NDArray[np.float64]:
    """A grid with no open case: the scale's first colour over the night fill."""
    zero = hex_rgb(str(OPEN_CASES_DARK[0][1]))
    return CHOROPLETH_OPACITY * zero + (1 - CHOROPLETH_OPACITY) * hex_rgb(MAP_BACKGROUND)


def calm_share(page: Page) -> float:
    """The share of the map's central 400×400 px showing a calm grid's colour."""
    box = page.locator(".maplibregl-canvas").bounding_box()
    assert box is not None and box["width"] > 1000 and box["height"] > 1000
    middle = {"x": box["x"] + box["width"] / 2 - 200, "y": box["y"] + box["height"] / 2 - 200}
    pixels = rgb(page.screenshot(clip={**middle, "width": 400, "height": 400}))
    distance = np.abs(pixels.reshape(-1, 3).astype(float) - calm_grid_colour()).max(axis=1)
    return float((distance <= 10).mean())


def drawn_share(page: Page) -> float:
    """The share of the map's central 400×400 px showing neither background nor bare white.

    The white-bg style paints white until the night fill layer loads; a blank map is white or
    the night colour, so only drawn grids (and points) count.
    """
    box = page.locator(".maplibregl-canvas").bounding_box()
    assert box is not None
    middle = {"x": box["x"] + box["width"] / 2 - 200, "y": box["y"] + box["height"] / 2 - 200}
    pixels = rgb(page.screenshot(clip={**middle, "width": 400, "height": 400}))
    flat = pixels.reshape(-1, 3).astype(float)
    far_from = [np.abs(flat - hex_rgb(c)).max(axis=1) > 10 for c in (MAP_BACKGROUND, "#ffffff")]
    return float(np.logical_and(*far_from).mean())
