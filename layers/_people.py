"""Fictional staff for the demo town's grids (一长五员): names and unreachable phone numbers.

Phone numbers start with 100 and have 11 digits (written like a mobile number, e.g.
100-0510-1234 → "10005101234"). The 10x block is not allocated to subscribers in China's
telecommunications numbering plan (mobile numbers start with 13–19), so a demo number can
never ring a real person.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from layers.town import ROLES

PHONE_PREFIX = "1000510"  # 100 + Wuxi's area code 0510, then four digits

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史"
    "黎贺顾毛郝龚邵万钱严武戴孔汤缪承"
)
GIVEN_NAMES = (
    "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "霞", "平", "刚", "秀英", "桂英", "建华", "志强", "晓东", "海燕", "国平",
    "春梅", "文杰", "雪梅", "建国", "丽华", "小红", "卫东", "红霞", "永刚", "玉兰", "德明",
    "金凤", "立新", "亚萍", "振华", "国强", "美玲", "建新", "晓燕", "宏伟", "佳怡", "子轩",
    "浩然", "梓涵", "俊杰", "雨欣", "一鸣", "思远", "家豪", "欣怡", "宇航", "晨曦",
)  # fmt: skip


def build_roster(codes: Sequence[str], rng: np.random.Generator) -> dict[str, list[dict[str, str]]]:
    """Six people per level-2 grid, every name and phone number distinct."""
    needed = len(codes) * len(ROLES)
    names = _distinct_names(needed, rng)
    suffixes = rng.choice(10_000, size=needed, replace=False)
    people = iter(zip(names, suffixes, strict=True))
    roster: dict[str, list[dict[str, str]]] = {}
    for code in codes:
        roster[code] = [
            {"role": role, "role_name": role_name, "name": name, "phone": _phone(suffix)}
            for (role, role_name), (name, suffix) in zip(ROLES.items(), people, strict=False)
        ]
    return roster


def _distinct_names(count: int, rng: np.random.Generator) -> list[str]:
    pool = [s + g for s in SURNAMES for g in GIVEN_NAMES]
    if count > len(pool):
        raise ValueError(f"only {len(pool)} distinct names for {count} people")
    return [pool[i] for i in rng.choice(len(pool), size=count, replace=False)]


def _phone(suffix: int | np.integer) -> str:
    return f"{PHONE_PREFIX}{int(suffix):04d}"
