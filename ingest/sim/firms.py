"""The town's enterprises, shared by the simulators that speak of them (registry, safety,
labour, party, inspections): one deterministic roster per seed, with valid unified social
credit codes.

The roster is the seed's town in size, every firm of it synthetic: ``ENTERPRISES`` (3,216)
enterprises, of which exactly ``ABOVE_SCALE`` (169) are above designated size (规上) — all of
them active, drawn mostly from manufacturing — and about 95 % of the rest active (存续, 在业).
Most firms are small (a median of about a dozen employees); a 规上 firm has 50 to 800.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import shapely
from stdnum.cn.uscc import calc_check_digit

from ingest.sim.common import pick, street_address, town_point
from layers.town import Town

REGION = "320281"  # 江阴市, GB/T 2260
# GB 32100's character set (digits and capitals without I, O, S, V, Z).
CODE_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check
PLACES = ("璜塘", "霞客", "东湖", "旸岐", "星岸", "马镇", "峭岐", "北渚", "梅园", "湖庄", "芦墩")
STATUSES = ("存续", "在业", "停业", "注销")
STATUS_WEIGHTS = (0.85, 0.1, 0.03, 0.02)
ACTIVE = frozenset(STATUSES[:2])
LEGAL_FORMS = (
    "有限责任公司(自然人投资或控股)", "有限责任公司(自然人独资)",
    "股份有限公司(非上市、自然人投资或控股)", "个人独资企业", "普通合伙企业",
)  # fmt: skip
LEGAL_WEIGHTS = (0.62, 0.22, 0.04, 0.08, 0.04)
WORDS = (
    "华丰", "金泰", "宏达", "永盛", "恒源", "新科", "联发", "振华", "远航", "天成", "瑞祥", "鑫隆",
    "宏昌", "嘉禾", "润泽", "东升", "海纳", "博远", "汇通", "盛达", "佳信", "协和", "长江", "澄江",
    "暨阳", "锦华", "明珠", "兴业", "富源", "祥和", "和顺", "德隆", "裕丰", "泰和", "康达", "正大",
    "利民", "光明", "华星", "鼎盛", "弘毅", "立信", "精工", "宏宇", "腾飞", "金鹰", "银河", "星火",
    "晨光", "绿源", "蓝天", "百川", "万通", "千禧", "中诚", "大成", "晟泰", "凯迪", "恒力", "新源",
)  # fmt: skip
ENTERPRISES = 3216  # the seed's town: 3,000+ enterprises …
ABOVE_SCALE = 169  # … of which 169 above designated size
SMALL_MEDIAN = 12  # employees of a typical small firm (lognormal, capped below LARGE)
LARGE = 300


@dataclass(frozen=True)
class Industry:
    """A GB/T 4754-2017 class as the registry writes it, and the hazards inspectors find."""

    section: str
    code: str
    word: str
    scope: str
    profile: str  # which hazards (ingest.sim.safety) are typical
    weight: float


INDUSTRIES = (
    Industry("C", "1713", "纺织印染", "棉布印染；针纺织品制造、加工、销售", "textile", 5),
    Industry("C", "1761", "针织", "针织或钩针编织物织造；服装辅料销售", "textile", 3),
    Industry("C", "1810", "服饰", "服装、服饰制造、加工、销售", "textile", 3),
    Industry(
        "C", "2614", "化工", "有机化学原料制造（不含危险化学品）；化工产品销售", "chemical", 2
    ),
    Industry("C", "2927", "塑业", "日用塑料制品制造；塑料制品销售", "machinery", 2),
    Industry("C", "3130", "钢材", "钢压延加工；金属材料销售", "metal", 2),
    Industry("C", "3311", "钢结构", "金属结构制造；钢结构工程施工", "metal", 3),
    Industry("C", "3484", "机械", "机械零部件加工；通用设备制造", "machinery", 4),
    Industry("C", "3824", "电子", "电力电子元器件制造；电子产品销售", "machinery", 2),
    Industry("E", "4710", "建筑安装工程", "房屋建筑工程施工；建筑劳务分包", "construction", 2),
    Industry("F", "5211", "商贸", "日用百货、五金交电销售", "generic", 2),
    Industry("G", "5435", "物流", "危险货物道路运输；普通货物仓储服务", "chemical", 1),
    Industry("H", "6210", "餐饮管理", "餐饮服务；食品销售", "generic", 1),
)


@dataclass(frozen=True)
class Firm:
    uscc: str
    name: str
    legal_form: str
    industry: Industry
    above_scale: bool
    employees: int
    founded: date
    address: str
    lon: float
    lat: float
    status: str  # 登记状态

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def org_code(rng: np.random.Generator, modern: bool) -> str:
    """A GB 11714 organisation code, the nine characters inside a USCC: eight characters and
    their check (11 − Σ value·weight mod 11; 10 is X, 11 is 0). Codes since 2015 begin MA."""
    if modern:
        body = "MA" + "".join(rng.choice(list(CODE_SET), 6))
    else:
        body = "".join(rng.choice(list("0123456789"), 8))
    value = sum(int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    check = 11 - value % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc(rng: np.random.Generator, modern: bool, kind: str = "91") -> str:
    """A valid unified social credit code of the town's region: ``kind`` 91 is a company,
    92 an individual business; the last character is GB 32100's check."""
    first17 = kind + REGION + org_code(rng, modern)
    return first17 + calc_check_digit(first17)


def mistype(code: str) -> str:
    """The code with a wrong check character, as a clerk might type it."""
    good = code[-1]
    wrong = CODE_SET[(CODE_SET.index(good) + 7) % len(CODE_SET)]
    return code[:-1] + wrong


def _name(rng: np.random.Generator, industry: Industry, taken: set[str]) -> str:
    while True:
        name = f"江阴市{rng.choice(PLACES)}{rng.choice(WORDS)}{industry.word}有限公司"
        if name not in taken:
            taken.add(name)
            return name


def _firm(rng: np.random.Generator, town: Town, taken: set[str]) -> Firm:
    industry = pick(rng, INDUSTRIES, [i.weight for i in INDUSTRIES])
    founded = date(1995, 1, 1) + timedelta(days=int(rng.integers(0, 29 * 365)))
    lon, lat = town_point(rng, town.boundary, town.centre, 0.35)
    employees = int(rng.lognormal(np.log(SMALL_MEDIAN), 0.8))
    return Firm(
        uscc=uscc(rng, modern=founded.year >= 2016),
        name=_name(rng, industry, taken),
        legal_form=pick(rng, LEGAL_FORMS, LEGAL_WEIGHTS),
        industry=industry,
        above_scale=False,
        employees=min(max(employees, 1), LARGE - 1),
        founded=founded,
        address=street_address(rng, f"江阴市{town.name}"),
        lon=lon,
        lat=lat,
        status=pick(rng, STATUSES, STATUS_WEIGHTS),
    )


def _above_scale(rng: np.random.Generator, firms: list[Firm], count: int) -> list[Firm]:
    """``count`` active firms made 规上 (manufacturers three times as likely), with the
    headcount of one; every other firm stays below."""
    active = [i for i, f in enumerate(firms) if f.active]
    weights = np.array([3.0 if firms[i].industry.section == "C" else 1.0 for i in active])
    chosen = rng.choice(
        active, size=min(count, len(active)), replace=False, p=weights / weights.sum()
    )
    found = list(firms)
    for i in chosen:
        employees = int(rng.integers(50, 800))
        found[int(i)] = replace(firms[int(i)], above_scale=True, employees=employees)
    return found


def town_firms(
    town: Town, seed: int = 0, count: int = ENTERPRISES, above_scale: int = ABOVE_SCALE
) -> list[Firm]:
    """The roster: the same firms for the same seed, whichever simulator asks; exactly
    ``above_scale`` of them 规上, all active."""
    rng = np.random.default_rng([seed, 1701])
    shapely.prepare(town.boundary)
    taken: set[str] = set()
    firms = [_firm(rng, town, taken) for _ in range(count)]
    return _above_scale(rng, firms, above_scale)
