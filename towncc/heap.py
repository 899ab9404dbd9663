"""A long-running process's heap after start-up: out of the collector's way.

Python's cyclic garbage collector now and then walks every object the process holds (a full,
"generation 2" collection). After start-up the web process holds the town's geometry, the
wall's figures and every imported module: walking them took about 170 ms, with the event
loop stopped, so an intake POST or a wall's push that came then waited as long (bench/wall
and the probe behind docs/performance.md). What start-up built lives as long as the process,
so it is collected once and then frozen (`gc.freeze`): later collections walk only what came
after it.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect what start-up left over, then exempt the rest from later collections; the
    number of objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
