"""One module per upstream feed; FEEDS maps a feed name to its adapter."""

from __future__ import annotations

from ingest.adapter import Adapter
from ingest.feeds import urban

FEEDS: dict[str, Adapter] = {adapter.feed: adapter for adapter in (urban.ADAPTER,)}
