"""Debian's Chromium under Playwright, with the flags that give WebGL on a headless machine."""

from __future__ import annotations

import shutil

from playwright.sync_api import Browser, Playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--enable-unsafe-swiftshader",
    "--use-angle=swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("Debian's chromium is not installed (scripts/system-deps.sh test)")
    return path


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


# Where a map graph `gd` draws point `n` of its trace `t`, in page pixels (MapLibre projects it).
MAP_POINT = """(gd, t, n) => {
  const sub = gd._fullLayout.map._subplot;
  const trace = gd._fullData[t];
  const at = sub.map.project([trace.lon[n], trace.lat[n]]);
  const box = sub.map.getCanvas().getBoundingClientRect();
  return [box.left + at.x, box.top + at.y];
}"""
