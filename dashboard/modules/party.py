"""党建引领: party organisations and members, and this month's activities (feed `party`)."""

from __future__ import annotations

from dashboard.modules._base import (
    PEOPLE,
    Figure,
    Module,
    ModuleData,
    Text,
    attrs,
    beijing_day,
    number,
    numbers,
)


def figures(data: ModuleData) -> list[Figure]:
    orgs = data.records("party", "organisation")
    today = data.today
    month = [
        a
        for a in data.records("party", "activity")
        if (day := beijing_day(a.get("occurred_at")))
        and (day.year, day.month) == (today.year, today.month)
    ]
    if not orgs and not month:
        return []
    members = numbers(attrs(o).get("members") for o in orgs)
    found = [Figure(Text("党组织", "Organisations"), number(len(orgs)), Text("个", ""))]
    if members:
        found.append(Figure(Text("党员", "Members"), number(sum(members)), PEOPLE))
    found.append(
        Figure(Text("本月活动", "Activities this month"), number(len(month)), Text("次", ""))
    )
    joined = numbers(attrs(a).get("participants") for a in month)
    if joined:
        found.append(
            Figure(Text("本月参加", "Attended this month"), number(sum(joined)), Text("人次", ""))
        )
    return found


MODULE = Module("party", Text("党建引领", "Party leadership"), "党建引领", figures, order=10)
