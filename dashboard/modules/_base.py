"""What a wall module is: an id, a title, its pillar, and a pure function of a `ModuleData`.

A module's function reads only the snapshot it is given (no I/O) and returns a few
`Figure`s; an empty list means it has no data yet, and the panel says so: a module never
shows a number its feeds (or the town's own files: its grids, its population) did not send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from cases.counts import Counts
from cases.readings import has_name, parse_name, sum_name, summary_of, tally_name
from core.times import BEIJING, stored_beijing

Record = Mapping[str, Any]
Summary = Mapping[str, int]

PILLARS = ("党建引领", "便民服务一窗口", "综合执法一队伍", "镇村治理一张网", "指挥调度一中心")
FEATURES = (
    "经济运行", "企业管理", "文旅融合", "用工监测", "安全生产", "生态环境", "防汛", "12345诉求",
    "综合执法", "网格党建",
)  # fmt: skip


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
class TownFacts:
    """What the town's own files say, not a feed: its grids and their villages, its people."""

    grids: Mapping[str, str] = field(default_factory=dict)  # level-2 grid → its village
    resident: int | None = None  # 常住人口 (layers/data/population.csv)
    registered: int | None = None  # 户籍人口


@dataclass(frozen=True, slots=True)
class ModuleData:
    """What the modules read, fetched once per refresh (dashboard/modules/data.py).

    Every figure that is a count reads `counts` (over every open case, cases/counts.py),
    never a list of cases: the wall only ever holds the newest few thousand. A module feed's
    figures read its summary (`summary`: the engine's tallies, cases/readings.py SUMMARIES),
    never its thousands of records.
    """

    now: datetime
    # Records of the module feeds (`latest:metric`): the wall reads only the few a panel shows
    # as they are (the economy's newest month); a past day's or a test's are all of them.
    metrics: tuple[Record, ...] = ()
    counts: Counts | None = None  # None: nothing counted (Redis did not answer), all zero
    village_names: Mapping[str, str] = field(default_factory=dict)  # village code → name
    # The newest open cases with their view, for the map's marks only: never counted here.
    cases: tuple[Record, ...] = ()
    # feed → the engine's summary of its current records, today's and this month's periods
    # (absent: computed from `metrics`).
    summaries: Mapping[str, Summary] = field(default_factory=dict)
    stations: Mapping[str, Record] = field(default_factory=dict)  # `<feed>:<station>` → reading
    alarms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # station → in alarm
    # Today's KPI counters (cases/kpi_buckets.py) by grouping: `<unit>|r` reported, `|c` closed.
    today_kpi: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    town: TownFacts | None = None
    # The summaries computed from `metrics` (a past day's, a test's), once per feed.
    _computed: dict[str, Summary] = field(default_factory=dict, init=False, repr=False,
                                          compare=False)  # fmt: skip

    @property
    def count(self) -> Counts:
        return self.counts if self.counts is not None else Counts(self.now)

    def summary(self, feed: str) -> Summary:
        """The feed's summary: the engine's, or computed from the records given."""
        found = self.summaries.get(feed)
        if found is None:
            found = self._computed.get(feed)
        if found is None:
            found = self._computed[feed] = summary_of(feed, self.records(feed))
        return found

    def tally(self, feed: str, **values: Any) -> int:
        """The feed's current records with these values (cases/readings.py `tally_name`)."""
        return self.summary(feed).get(tally_name(values), 0)

    def total(self, feed: str, attr: str, **values: Any) -> int | None:
        """The sum of ``attr`` over those records; None when none of them gave it."""
        summary = self.summary(feed)
        if not summary.get(has_name(attr, values)):
            return None
        return summary.get(sum_name(attr, values), 0)

    def tallies(self, feed: str, dim: str, **values: Any) -> dict[str, int]:
        """value of ``dim`` → the records with it and these values."""
        return {found[0]: n for found, n in self.groups(feed, (dim,), **values).items()}

    def groups(self, feed: str, dims: tuple[str, ...], **values: Any) -> dict[tuple[str, ...], int]:
        """The values of ``dims`` → the records with them and these values (read from the
        tally by exactly these dimensions)."""
        wanted = {k: tally_name({k: v}).split("=", 1)[1] for k, v in values.items()}
        found: dict[tuple[str, ...], int] = {}
        for name, n in self.summary(feed).items():
            parts = parse_name(name)
            if parts is None or set(parts) != {*wanted, *dims} or n <= 0:
                continue
            if all(parts[k] == v for k, v in wanted.items()):
                found[tuple(parts[d] for d in dims)] = n
        return found

    def kpi_today(self, grouping: str, metric: str, unit: str | None = None) -> int:
        """Today's KPI counter of a unit (or summed over the grouping's units, the cases of
        none aside)."""
        found = self.today_kpi.get(grouping, {})
        if unit is not None:
            return found.get(f"{unit}|{metric}", 0)
        return sum(n for k, n in found.items() if k.partition("|")[0] and k.endswith(f"|{metric}"))

    def station_readings(self, feed: str) -> dict[str, Record]:
        """The newest reading of each station of ``feed``."""
        return {k: v for k, v in self.stations.items() if v.get("feed") == feed}

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
    local = stored_beijing(value)
    return local.date() if local else None


def number(value: float | int, digits: int = 0) -> str:
    """A figure as the wall shows it: thousands grouped, `digits` decimals."""
    return f"{value:,.{digits}f}"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}" if whole else "—"


def numbers(values: Iterable[Any]) -> list[float]:
    """The numeric values among `values` (null and text skipped, never counted as 0)."""
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def pair(*values: int) -> str:
    """Figures side by side, as one value: "3 / 17"."""
    return " / ".join(number(v) for v in values)


PIECES = Text("件", "cases")
PEOPLE = Text("人", "people")
UNITS = Text("个", "")
TIMES = Text("次", "")
