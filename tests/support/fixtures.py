"""The recorded payloads every adapter is held to: tests/fixtures/feeds/<feed>/{good,bad}/.

A bad fixture may have a sibling ``<name>.reason`` holding text its dead letter's reason
must contain.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def fixture_feeds() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def fixtures(kind: str) -> list[tuple[str, Path]]:
    """(feed, path) of every good or bad fixture, reason files excluded."""
    return [
        (feed, path)
        for feed in fixture_feeds()
        for path in sorted((FIXTURES / feed / kind).glob("*"))
        if path.suffix != ".reason"
    ]


def expected_reason(path: Path) -> str | None:
    reason = path.with_suffix(".reason")
    return reason.read_text(encoding="utf-8").strip() if reason.exists() else None
