"""A plausible 经济运行 feed: the statistics station's monthly indicators, sent once at start.

For every month of the year already published (a month's figures come out by the 15th of
the next), each indicator as 当月 (the month) and 累计 (January to it), with its year-on-year
change. Magnitudes are those of a strong Jiangsu manufacturing town; February dips for the
Spring Festival. The same seed gives the same figures, so a restart re-sends nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import numpy as np

from core.times import beijing
from ingest.sim.common import Record, json_bodies


class Indicator(NamedTuple):
    code: str
    name: str
    unit: str
    typical: float  # a typical month
    office: str  # 填报单位
    additive: bool  # summed into 累计; a growth rate's 累计 is the rate of the year so far


INDICATORS = (
    Indicator("GSGYZCZ", "规上工业总产值", "亿元", 58.0, "镇统计站", True),
    Indicator("GSGYZJZZS", "规上工业增加值增速", "%", 7.0, "镇统计站", False),
    Indicator("KPXS", "工业开票销售", "亿元", 71.0, "镇经济发展局", True),
    Indicator("GSGYLRZE", "规上工业利润总额", "亿元", 3.2, "镇统计站", True),
    Indicator("YBGGYSSR", "一般公共预算收入", "亿元", 1.6, "镇财政所", True),
    Indicator("SSSR", "税收收入", "亿元", 1.35, "镇财政所", True),
    Indicator("GDZCTZ", "固定资产投资", "亿元", 6.2, "镇经济发展局", True),
    Indicator("GYTR", "工业投入", "亿元", 4.1, "镇经济发展局", True),
    Indicator("SHXFPLSZE", "社会消费品零售总额", "亿元", 5.3, "镇统计站", True),
    Indicator("JCKZE", "进出口总额", "亿美元", 1.8, "镇经济发展局", True),
    Indicator("SJSYWZ", "实际使用外资", "万美元", 820.0, "镇经济发展局", True),
    Indicator("GYYDL", "工业用电量", "万千瓦时", 18500.0, "镇经济发展局", True),
    Indicator("XZSCZT", "新增市场主体", "户", 150.0, "市场监管分局", True),
    Indicator("XZGSQY", "新增规上工业企业", "家", 1.2, "镇经济发展局", True),
)
COUNTS = frozenset({"户", "家"})
SEASON = {1: 0.95, 2: 0.72, 3: 1.02, 12: 1.12}  # the Spring Festival, the year-end push


def published_months(now: datetime) -> list[int]:
    """This year's months whose figures are out: last month's after the 15th."""
    local = beijing(now)
    last = local.month - 1 if local.day > 15 else local.month - 2
    return list(range(1, max(last, 0) + 1))


@dataclass
class EconomyFeed:
    """The town's monthly indicators, all sent when the feed starts; nothing afterwards."""

    seed: int = 0
    feed: str = "economy"
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 7])

    def backfill(self, now: datetime) -> list[bytes]:
        year = beijing(now).year
        records = [
            r
            for indicator in INDICATORS
            for r in self.series(indicator, year, published_months(now))
        ]
        return json_bodies(records)

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        return []

    def series(self, indicator: Indicator, year: int, months: list[int]) -> list[Record]:
        """One indicator's records, month by month: 当月 and 累计 (January to the month)."""
        trend = float(self.rng.normal(6.5, 2.5))  # this year's growth, %
        values: list[float] = []
        last_year: list[float] = []
        records = []
        for month in months:
            value, yoy = self._month(indicator, month, trend)
            values.append(value)
            last_year.append(value / (1 + yoy / 100))
            ytd_yoy = (sum(values) / sum(last_year) - 1) * 100
            ytd = sum(values) if indicator.additive else sum(values) / len(values)
            common = {"tjyf": f"{year}-{month:02d}", "zbdm": indicator.code}
            records += [
                {**common, **self._figure(indicator, "当月", value, yoy)},
                {**common, **self._figure(indicator, "累计", ytd, ytd_yoy)},
            ]
        return records

    def _month(self, indicator: Indicator, month: int, trend: float) -> tuple[float, float]:
        """The month's figure and its year-on-year change (%)."""
        if not indicator.additive:  # a growth rate: the figure is itself the change
            rate = trend + float(self.rng.normal(0, 0.8))
            return rate, rate
        value = indicator.typical * SEASON.get(month, 1.0) * float(self.rng.normal(1, 0.06))
        return value, trend + float(self.rng.normal(0, 2.5))

    @staticmethod
    def _figure(indicator: Indicator, scope: str, value: float, yoy: float) -> Record:
        figure: Record = {
            "zbmc": indicator.name,
            "kj": scope,
            "sz": round(value) if indicator.unit in COUNTS else round(value, 2),
            "jldw": indicator.unit,
            "tbdw": indicator.office,
        }
        if indicator.additive:
            figure["tbzz"] = round(yoy, 1)
        return figure
