"""Which new cases of a batch are duplicates, and of which open case: the engine's side of
cases/duplicates.py.

The candidates are the open cases reported within the longest window of the rules around the
batch's new reports (one ZRANGEBYSCORE on the open-case index, scored by report time, and
one MGET), plus the batch's own earlier new cases: a report sent twice in one batch joins
the first. ``find_parent`` then decides by category, geodesic distance and time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import redis

from cases.alarms import FEED as ALARM_FEED
from cases.duplicates import Report, Rules, duplicate_rules, find_parent
from cases.model import Case
from towncc.keys import Keys
from towncc.replies import text

Loader = Callable[[list[str]], Mapping[str, Case | None]]


def as_report(case: Case) -> Report | None:
    """A case as duplicate detection sees it; None when it has no point to compare."""
    if case.lon is None or case.lat is None:
        return None
    return Report(case.id, case.category, case.lon, case.lat, case.reported_at)


def mergeable(case: Case) -> bool:
    """An open report that could be a parent: not merged into another, and not an alarm
    (a station's alarms are one case per metric by construction, never duplicates)."""
    return (
        case.status == "open"
        and case.parent is None
        and case.stage != "merged"
        and case.feed != ALARM_FEED
    )


def longest_window(rules: Rules, new: Sequence[Case]) -> timedelta | None:
    """The longest window among the new cases' categories; None if none can merge."""
    windows = [rule.window for case in new if (rule := rules.rule(case.category)) is not None]
    return max(windows) if windows else None


def candidate_ids(r: redis.Redis, keys: Keys, new: Sequence[Case], rules: Rules) -> list[str]:
    """Open cases reported within the longest window of any new case's report time."""
    window = longest_window(rules, new)
    if window is None or not new:
        return []
    times = [case.reported_at for case in new]
    low = int((min(times) - window).timestamp() * 1000)
    high = int((max(times) + window).timestamp() * 1000)
    found: Any = r.zrangebyscore(keys.open_cases, low, high)
    return [text(i) for i in found]


def parents(
    new: Sequence[Case], candidates: Mapping[str, Case | None], rules: Rules | None = None
) -> dict[str, str]:
    """New case id → the id of the open case it duplicates, for each duplicate in ``new``.

    ``new`` is in the order the batch created them; an earlier one can be a later one's parent.
    """
    rules = rules or duplicate_rules()
    pool: dict[str, Report] = {}
    for case in candidates.values():
        if case is not None and mergeable(case) and (report := as_report(case)) is not None:
            pool[case.id] = report
    found: dict[str, str] = {}
    for case in new:
        report = as_report(case)
        if report is None or case.feed == ALARM_FEED or rules.rule(case.category) is None:
            continue
        nearby = [p for cid, p in pool.items() if cid != case.id]
        parent = find_parent(report, nearby, rules)
        if parent is not None:
            found[case.id] = parent
        elif case.status == "open":
            pool[case.id] = report  # the first of its kind: a parent for the rest of the batch
    return found
