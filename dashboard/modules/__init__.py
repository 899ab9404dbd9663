"""The wall's module panels: one file per module here, each exposing ``MODULE``.

A town adds its own module as one new file (a `Module` from `_base`): it is found by name,
nothing else to register. MODULES lists them in their `order`.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

from dashboard.modules._base import Figure, Module, ModuleData, Text

log = logging.getLogger(__name__)
Result = tuple[Module, list[Figure]]


def _discover() -> tuple[Module, ...]:
    found: dict[str, Module] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module: Module | None = getattr(
            importlib.import_module(f"{__name__}.{info.name}"), "MODULE", None
        )
        if module is not None:
            found[module.id] = module
    return tuple(sorted(found.values(), key=lambda m: (m.order, m.id)))


MODULES: tuple[Module, ...] = _discover()

__all__ = ["MODULES", "Figure", "Module", "ModuleData", "Result", "Text", "compute"]


def compute(data: ModuleData, modules: tuple[Module, ...] = MODULES) -> list[Result]:
    """Every module's figures for this snapshot; a module that fails shows "no data"."""
    results: list[Result] = []
    for module in modules:
        try:
            figures = module.figures(data)
        except Exception:  # a town's own module must not take the wall's push down
            log.exception("module %s failed", module.id)
            figures = []
        results.append((module, figures))
    return results
