"""What a wall module is: an id, a title, its pillar, and a pure function of a `ModuleData`.

A module's function reads only the snapshot it is given (no I/O) and returns a few
`Figure`s; an empty list means it has no data yet, and the panel says so: a module never
shows a number its feeds did not send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from cases.counts import Counts
from core.times import BEIJING

Record = Mapping[str, Any]

PILLARS = ("党建引领", "便民服务一窗口", "综合执法一队伍", "镇村治理一张网", "指挥调度一中心")
FEATURES = ("经济运行", "企业管理", "文旅融合", "用工监测")


class Text(NamedTuple):
    """A text in both languages of the wall."""

    zh: str
    en: str

    def of(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


NO_UNIT = Text("", "")


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of a panel: a label, the value as shown, a unit."""

    label: Text
    value: str
    unit: Text = NO_UNIT
    note: str = ""  # a short qualifier beside the value (a year-on-year change)


@dataclass(frozen=True, slots=True)
class ModuleData:
    """What the modules read, fetched once per refresh (dashboard/modules/data.py).

    Every figure that is a count reads `counts` (over every open case, cases/counts.py),
    never a list of cases: the wall only ever holds the newest few thousand.
    """

    now: datetime
    metrics: tuple[Record, ...] = ()  # `latest:metric`: the newest record per source
    counts: Counts | None = None  # None: nothing counted (Redis did not answer), all zero
    village_names: Mapping[str, str] = field(default_factory=dict)  # village code → name
    # The newest open cases with their view, for the map's marks only: never counted here.
    cases: tuple[Record, ...] = ()

    @property
    def count(self) -> Counts:
        return self.counts if self.counts is not None else Counts(self.now)

    def records(self, feed: str, record: str | None = None) -> list[Record]:
        """The newest metric records of `feed` (of one `attrs.record` type if given)."""
        found = [m for m in self.metrics if m.get("feed") == feed]
        if record is None:
            return found
        return [m for m in found if attrs(m).get("record") == record]

    @property
    def today(self) -> date:
        return self.now.astimezone(BEIJING).date()


Compute = Callable[[ModuleData], list[Figure]]


@dataclass(frozen=True, slots=True)
class Module:
    """A panel of the wall's right-hand column; `order` places it (pillars first)."""

    id: str
    title: Text
    pillar: str  # one of PILLARS or FEATURES (or a town's own feature)
    figures: Compute
    order: int = 100
    # The figures of a past day, from that day's readings alone (None: the module has no
    # history; cases/readings.py DAILY_FEEDS keeps the days): the tablet's analysis.
    past: Compute | None = None


def attrs(record: Record) -> Mapping[str, Any]:
    value = record.get("attrs")
    return value if isinstance(value, Mapping) else {}


def beijing_day(value: Any) -> date | None:
    """The Beijing date of an ISO time (UTC text as the adapters store it), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).date()


def number(value: float | int, digits: int = 0) -> str:
    """A figure as the wall shows it: thousands grouped, `digits` decimals."""
    return f"{value:,.{digits}f}"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}" if whole else "—"


def numbers(values: Iterable[Any]) -> list[float]:
    """The numeric values among `values` (null and text skipped, never counted as 0)."""
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


PIECES = Text("件", "cases")
PEOPLE = Text("人", "people")
