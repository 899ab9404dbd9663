"""One module per upstream feed, each exposing ``ADAPTER``; FEEDS maps feed names to them.

A new feed is one new module here: it is found by name, nothing else to register.
"""

from __future__ import annotations

import importlib
import pkgutil

from ingest.adapter import Adapter


def _discover() -> dict[str, Adapter]:
    found: dict[str, Adapter] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        adapter: Adapter | None = getattr(
            importlib.import_module(f"{__name__}.{info.name}"), "ADAPTER", None
        )
        if adapter is not None:
            found[adapter.feed] = adapter
    return dict(sorted(found.items()))


FEEDS: dict[str, Adapter] = _discover()
