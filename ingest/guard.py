"""What the sink enforces on every result it writes, whatever the path it came by.

- Times: an Event outside the plausible-time window becomes a dead letter (ingest.sanity).
- Secrets: every stored payload is redacted (ingest.redact), an Event's raw text included.
- Bounds: a dead letter keeps the first ``RAW_KEPT_BYTES`` of its raw payload, with the
  payload's full length in bytes and its sha256; its reason and source id are capped too,
  so no entry of the dead-letter stream exceeds ``ENTRY_MAX_BYTES`` of field values, and the
  stream's exact MAXLEN (budget // ENTRY_MAX_BYTES) keeps it within its byte budget.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC

from redis.typing import EncodableT, FieldT

from core.event import DeadLetter, Event
from core.settings import Settings
from ingest.redact import Redactor
from ingest.sanity import TimeWindow

RAW_KEPT_BYTES = 16 * 1024
REASON_MAX_CHARS = 1000
SOURCE_ID_MAX_CHARS = 200
FEED_MAX_CHARS = 64
# The field values of one stored dead letter at most: the raw head, the reason and source id
# at four bytes a character, the feed, and the short fields (length, hash, flag, time, scope)
# with every field's name.
_CAPPED_CHARS = REASON_MAX_CHARS + SOURCE_ID_MAX_CHARS + FEED_MAX_CHARS
ENTRY_MAX_BYTES = RAW_KEPT_BYTES + 4 * _CAPPED_CHARS + 256
DEFAULT_BUDGET_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Guard:
    """The window, the redactor and the dead-letter stream's exact cap, from the settings."""

    window: TimeWindow = field(default_factory=TimeWindow)
    redact: Redactor = field(default_factory=Redactor)
    deadletter_maxlen: int = DEFAULT_BUDGET_BYTES // ENTRY_MAX_BYTES

    @classmethod
    def of(cls, settings: Settings) -> Guard:
        return cls(
            TimeWindow(settings.ingest_earliest.astimezone(UTC), settings.ingest_ahead),
            Redactor(t.get_secret_value() for t in settings.ingest_tokens.values()),
            max(1, settings.deadletter_budget_bytes // ENTRY_MAX_BYTES),
        )

    def event(self, event: Event) -> Event | DeadLetter:
        """The Event to store (its raw text redacted), or its dead letter when its times are
        implausible."""
        reason = self.window.refuse(event)
        if reason is not None:
            return DeadLetter(
                feed=event.feed,
                reason=reason,
                raw=event.raw,
                received_at=event.received_at,
                source_id=event.source_id,
            )
        if self.redact.might_hold(event.raw):
            raw = self.redact(event.raw)
            return event if raw == event.raw else event.replace(raw=raw)
        return event

    def reason(self, dead: DeadLetter) -> str:
        """The reason as stored and answered: redacted (it may quote a value) and capped."""
        return _cap(self.redact(dead.reason), REASON_MAX_CHARS)

    def dead_fields(self, dead: DeadLetter) -> dict[FieldT, EncodableT]:
        """The stream entry of a dead letter: redacted, its raw payload's head kept."""
        return {
            "feed": _cap(dead.feed, FEED_MAX_CHARS),
            "reason": self.reason(dead),
            **kept_head(dead.raw, RAW_KEPT_BYTES, self.redact),
            "received_at": dead.received_at.astimezone(UTC).isoformat(),
            "source_id": _cap(self.redact(dead.source_id or ""), SOURCE_ID_MAX_CHARS),
            "scope": dead.scope,
        }


def kept_head(raw: str, limit: int, redact: Redactor) -> dict[FieldT, EncodableT]:
    """A stored payload, bounded: the first ``limit`` bytes of its redacted text (never half a
    character), with the redacted text's full length in bytes, its sha256, and whether it was
    cut. Redacted before it is cut, so a secret is never half kept and the cut holds."""
    text = redact(raw).encode("utf-8", "replace")
    return {
        "raw": text[:limit].decode("utf-8", "ignore"),
        "raw_bytes": len(text),
        "raw_sha256": hashlib.sha256(text).hexdigest(),
        "truncated": int(len(text) > limit),
    }


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
