"""A plausible 便民服务中心 (one-window service hall): cases accepted in opening hours, busiest
mid-morning (Beijing 09:00–11:00) and again early in the afternoon, a few over lunch (午间不
打烊, with fewer staff), none at night; then their progress and finishing under the same 办件编号.

The hall is the seed's (its numbers synthetic): ``windows`` (10) 综合受理 windows, each taking
any item (一窗受理), and about 100,000 cases a year by the day's kind (`DayRates`): 3,200 on
a peak day — the first working day of a month, and the first after a statutory holiday —,
700 on the working day after one, 290 on another Monday, 205 on any other working day, none
on a day off. Working days follow China's holiday calendar (调休 included; weekdays where it
has no arrangement yet).

Modes: 即办件 are finished at the window within minutes; 承诺件 within their promised days
(at office hours); 不见面审批 are applied for online, accepted and finished by staff within
hours. A finished case often carries the applicant's 好差评 rating.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

import chinese_calendar
import numpy as np

from core.times import beijing
from ingest.sim.common import (
    DayCurve,
    Pending,
    Record,
    arrivals,
    beijing_text,
    bell,
    json_bodies,
    office_time,
    open_between,
    pick,
    since_midnight,
)

OPEN = ((8.5, 12.0), (13.5, 17.5))  # Beijing hours; fewer windows over lunch, shut at night
LUNCH = (12.0, 13.5)
LUNCH_RATE = 0.05  # over lunch, on the curve's scale (a third of its floor in open hours)


@dataclass(frozen=True)
class Item:
    """One item (事项) of the province's list as this hall handles it."""

    code: str
    name: str
    kind: str
    department: str
    window: str
    mode: str  # 即办件 | 承诺件 | 不见面审批
    days: int  # promised days (承诺时限)
    weight: float


SOCIAL, CIVIL = "镇社会保障服务中心", "镇民政办"
MARKET, PLANNING = "江阴市市场监管局霞客分局", "镇自然资源和规划所"
WINDOW = "综合受理{n}号窗口"  # 一窗受理: every window takes every item
ONLINE = "网上受理"
INSTANT, PROMISED, REMOTE = "即办件", "承诺件", "不见面审批"
PUBLIC, BENEFIT, PERMIT = "公共服务", "行政给付", "行政许可"
ITEMS = (
    Item("320281-SB-0012", "城乡居民基本养老保险参保登记", PUBLIC, SOCIAL, WINDOW, INSTANT, 0, 8),
    Item("320281-YB-0003", "城乡居民基本医疗保险参保登记", PUBLIC, SOCIAL, WINDOW, INSTANT, 0, 10),
    Item("320281-JY-0001", "就业失业登记", PUBLIC, SOCIAL, WINDOW, INSTANT, 0, 5),
    Item("320281-YB-0021", "异地就医备案", PUBLIC, SOCIAL, ONLINE, REMOTE, 1, 4),
    Item("320281-YB-0030", "灵活就业人员医保缴费", PUBLIC, SOCIAL, ONLINE, REMOTE, 1, 3),
    Item("320281-MZ-0008", "城乡最低生活保障申请", BENEFIT, CIVIL, WINDOW, PROMISED, 20, 2),
    Item("320281-MZ-0015", "临时救助申请", BENEFIT, CIVIL, WINDOW, PROMISED, 10, 2),
    Item("320281-MZ-0022", "高龄津贴申领", BENEFIT, CIVIL, WINDOW, INSTANT, 0, 2),
    Item("320281-CL-0002", "残疾人证申领", PUBLIC, "镇残疾人联合会", WINDOW, PROMISED, 15, 1.5),
    Item("320281-WJ-0004", "生育登记", PUBLIC, "镇卫生健康办", WINDOW, INSTANT, 0, 4),
    Item("320281-GA-0011", "居住证申领", PUBLIC, "霞客派出所", WINDOW, PROMISED, 7, 3),
    Item("320281-SJ-0031", "个体工商户设立登记", PERMIT, MARKET, WINDOW, INSTANT, 0, 3),
    Item("320281-SJ-0033", "营业执照变更登记", PERMIT, MARKET, ONLINE, REMOTE, 1, 3),
    Item("320281-SJ-0045", "食品经营许可", PERMIT, MARKET, WINDOW, PROMISED, 10, 2),
    Item("320281-ZR-0006", "农村村民宅基地审批", PERMIT, PLANNING, WINDOW, PROMISED, 20, 1),
)
RATINGS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
RATING_WEIGHTS = (0.72, 0.22, 0.04, 0.015, 0.005)
CURVE = DayCurve(
    lambda h: (
        (0.15 + bell(h, 10.0, 0.9) + 0.65 * bell(h, 14.5, 0.8))
        if open_between(h, *OPEN)
        else (LUNCH_RATE if open_between(h, LUNCH) else 0.0)
    )
)


@dataclass(frozen=True)
class DayRates:
    """Cases accepted a day, by the kind of day (a day off: none)."""

    peak: float = 3200.0  # the first working day of a month or after a statutory holiday
    after_peak: float = 700.0  # the working day after a peak day
    monday: float = 290.0
    working: float = 205.0

    def of(self, day: date) -> float:
        if not working_day(day):
            return 0.0
        if peak_day(day):
            return self.peak
        if peak_day(previous_working_day(day)):
            return self.after_peak
        return self.monday if day.weekday() == 0 else self.working

    def year(self, year: int) -> float:
        """The cases expected in a calendar year."""
        first = date(year, 1, 1)
        return sum(
            self.of(first + timedelta(days=k)) for k in range((date(year + 1, 1, 1) - first).days)
        )


@cache
def working_day(day: date) -> bool:
    """A working day of China's calendar (调休 Saturdays included); Monday to Friday where the
    calendar has no arrangement for the year yet."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


@cache
def statutory_holiday(day: date) -> bool:
    try:
        return chinese_calendar.get_holiday_detail(day)[1] is not None and not working_day(day)
    except NotImplementedError:
        return False


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while not working_day(day):
        day -= timedelta(days=1)
    return day


@cache
def peak_day(day: date) -> bool:
    """The first working day of its month, or the first after a statutory holiday."""
    if not working_day(day):
        return False
    before = day - timedelta(days=1)
    if previous_working_day(day).month != day.month:
        return True
    while not working_day(before):
        if statutory_holiday(before):
            return True
        before -= timedelta(days=1)
    return False


@dataclass
class ServiceHallFeed:
    """The hall's 一窗通办 system: cases by the day's kind (``rates``), then their updates."""

    rates: DayRates = field(default_factory=DayRates)
    windows: int = 10
    seed: int = 0
    first_number: int = 1
    prefix: str = "XXK"
    backfill_span: timedelta = timedelta(0)
    feed: str = "service_hall"
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 6])
        self._numbers = itertools.count(self.first_number)
        self._pending: Pending[Record] = Pending()

    def backfill(self, now: datetime) -> list[bytes]:
        """Today's cases so far (the hall's day, Beijing), or the backfill span if longer."""
        if self.backfill_span <= timedelta(0):
            return []
        return self.tick(now, max(self.backfill_span, since_midnight(now)).total_seconds())

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        records = [self.accept(t) for t in arrivals(self.rng, self._rate, now, seconds)]
        return json_bodies(records + self._pending.due(now))

    def _rate(self, t: datetime) -> float:
        """Cases a second at ``t``: the day's cases spread by the day's curve."""
        return CURVE.per_second(t, self.rates.of(beijing(t).date()))

    def accept(self, t: datetime) -> Record:
        """A case accepted at ``t``; its later records are scheduled."""
        item = pick(self.rng, ITEMS, [i.weight for i in ITEMS])
        record: Record = {
            "bjbh": f"{self.prefix}-BJ-{beijing(t):%Y%m%d}-{next(self._numbers):06d}",
            "sxbm": item.code,
            "sxmc": item.name,
            "sxlx": item.kind,
            "bm": item.department,
            "ck": item.window.format(n=int(self.rng.integers(1, self.windows + 1))),
            "blfs": item.mode,
            "slsj": beijing_text(t),
            "cnsx": item.days,
            "zt": "已受理",
        }
        self._schedule(record, item, t)
        return record

    def _schedule(self, record: Record, item: Item, t: datetime) -> None:
        if item.mode == INSTANT:
            done = t + timedelta(minutes=float(self.rng.gamma(3.0, 4.0)) + 2)
        elif item.mode == REMOTE:
            done = office_time(self.rng, t + timedelta(hours=float(self.rng.uniform(0.5, 6))))
        else:
            working = t + timedelta(hours=float(self.rng.uniform(1, 20)))
            self._pending.push(
                office_time(self.rng, working), {**record, "zt": "办理中", "bz": "材料齐全，审核中"}
            )
            days = item.days * float(self.rng.uniform(0.3, 1.0))
            done = office_time(self.rng, max(t + timedelta(days=days), working))
        self._pending.push(done, self._finished(record, done))

    def _finished(self, record: Record, done: datetime) -> Record:
        finished: Record = {**record, "zt": "已办结", "bjsj": beijing_text(done)}
        if self.rng.random() < 0.8:
            finished["pj"] = pick(self.rng, RATINGS, RATING_WEIGHTS)
        return finished
