"""The tablet's views, touch first: the town, a village, a grid, a case. Every tap target is a
link (at least 44 px tall) to the tablet's address for the next view, so the address follows
the drill-down, a link can be shared and the browser's back goes up a step.

Figures come as read (dashboard/tablet_data.py); every text from a feed goes in as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode

from dash import dcc, html

from cases.routing import table
from dashboard import ids
from dashboard.analysis import History, Indicator
from dashboard.components.case_panel import case_panel
from dashboard.components.sketch import case_map, sketch
from dashboard.i18n import Lang, t
from dashboard.tablet_data import LISTED, Area, TownOverview
from dashboard.view import case_point, category_label, place, summary
from layers.town import Person, Town

PATH = "/tablet"
# The KPIs of the overview and the ranking, and whether a rise is good (a falling rework
# rate is; a falling p90 first response is).
KPIS: Final[tuple[tuple[str, bool], ...]] = (
    ("closure_rate", True),
    ("on_time_rate", True),
    ("rework_rate", False),
    ("extension_rate", False),
    ("first_response_p90", False),
)
RANKS: Final = tuple(k for k, _ in KPIS)
DEFAULT_RANK: Final = "on_time_rate"


def _data(name: str, value: str) -> Any:
    """A data-* (or aria-*) attribute as keyword arguments of a component."""
    return {name if name.startswith("aria-") else f"data-{name}": value}


def _n(value: int) -> str:
    return f"{value:,}"


def href(lang: Lang, **params: str | None) -> str:
    """The tablet's address for a view (the language kept)."""
    pairs = {k: v for k, v in params.items() if v}
    if lang == "en":
        pairs["lang"] = "en"
    return PATH + ("?" + urlencode(pairs) if pairs else "")


def tap(children: Any, to: str, class_name: str = "") -> dcc.Link:
    """A tap target (at least 44 px either way: tablet.css) to another view."""
    return dcc.Link(children, href=to, className=f"tablet-tap {class_name}".strip())


def crumbs(
    lang: Lang,
    town: Town,
    village: str | None = None,
    grid: str | None = None,
    case: str | None = None,
) -> html.Nav:
    """Where the view is: 全镇 › 村 › 网格 › 案件, each step a link up."""
    steps: list[Any] = [tap(t("tablet.town", lang), href(lang), "tablet-crumb")]
    if village:
        name = str(town.l1.at[village, "name"]) if village in town.l1.index else village
        steps.append(tap(name, href(lang, village=village), "tablet-crumb"))
    if grid:
        name = str(town.l2.at[grid, "name"]) if grid in town.l2.index else grid
        steps.append(tap(name, href(lang, village=village, grid=grid), "tablet-crumb"))
    if case:
        steps.append(html.Span(case, className="tablet-crumb is-here"))
    return html.Nav(
        steps, className="tablet-crumbs", **_data("aria-label", t("tablet.where", lang))
    )


def _figure(value: Mapping[str, Any] | None) -> tuple[float | None, str]:
    """A KPI figure's number and its printed text ("—" for none)."""
    if not value:
        return None, "—"
    number, text = value.get("percent", value.get("minutes")), value.get("text")
    return (None, "—") if text is None else (number, str(text))


def change(now: Mapping[str, Any], before: Mapping[str, Any], key: str, lang: Lang) -> str:
    """How a KPI moved against the previous period, in its own unit."""
    a, _ = _figure(now.get(key))
    b, _ = _figure(before.get(key))
    if a is None or b is None:
        return t("tablet.no_change", lang)
    unit = "tablet.minutes" if key == "first_response_p90" else "tablet.points"
    return t("tablet.change", lang, delta=t(unit, lang, n=f"{a - b:+.1f}"))


def _trend(now: Mapping[str, Any], before: Mapping[str, Any], key: str, rise_good: bool) -> str:
    a, _ = _figure(now.get(key))
    b, _ = _figure(before.get(key))
    if a is None or b is None or a == b:
        return ""
    return " is-better" if (a > b) == rise_good else " is-worse"


def tile(label: str, value: str, note: str = "", extra: str = "", key: str = "") -> html.Div:
    return html.Div(
        [
            html.Span(label, className="tablet-tile-label"),
            html.Strong(value, className="tablet-tile-value", **(_data("kpi", key) if key else {})),
            html.Span(note, className="tablet-tile-note"),
        ],
        className="tablet-tile" + extra,
    )


def kpi_value(figures: Mapping[str, Any], key: str, lang: Lang) -> str:
    _, text = _figure(figures.get(key))
    if key == "first_response_p90" and text != "—":
        return t("tablet.minutes", lang, n=text)
    return text


def town_view(overview: TownOverview, town: Town, lang: Lang, rank: str) -> list[Any]:
    counts = overview.counts
    now, before = overview.kpi["town"], overview.before["town"]
    period = overview.kpi["period"]["label"]
    tiles = [
        tile(t("tablet.open", lang), f"{counts.open_total:,}"),
        tile(t("tablet.late", lang), f"{counts.late:,}", extra=" is-alert" if counts.late else ""),
        tile(t("tablet.today_reports", lang), f"{counts.today_total:,}"),
        tile(t("tablet.today_closed", lang), f"{overview.closed_today:,}"),
    ]
    kpis = [
        tile(
            t(f"kpi.{key}", lang),
            kpi_value(now, key, lang),
            change(now, before, key, lang),
            _trend(now, before, key, good),
            key,
        )
        for key, good in KPIS
    ]
    return [
        crumbs(lang, town),
        html.Section(
            [html.H2(t("tablet.now", lang)), html.Div(tiles, className="tablet-tiles")],
            className="tablet-block",
        ),
        html.Section(
            [
                html.H2(
                    t("tablet.kpis", lang, period=period, before=overview.before["period"]["label"])
                ),
                html.Div(kpis, className="tablet-tiles", id=ids.TABLET_TOWN_KPIS),
            ],
            className="tablet-block",
        ),
        escalated(overview.escalated, lang, "tablet.to_town"),
        html.Section(
            [
                html.H2(t("tablet.villages", lang)),
                rank_choice(lang, rank),
                villages(overview, counts.village_open, lang, rank),
            ],
            className="tablet-block",
        ),
    ]


def rank_choice(lang: Lang, rank: str) -> html.Nav:
    return html.Nav(
        [
            tap(
                t(f"kpi.{key}", lang),
                href(lang, rank=key),
                "tablet-chip" + (" is-chosen" if key == rank else ""),
            )
            for key in RANKS
        ],
        className="tablet-chips",
        **_data("aria-label", t("tablet.rank_by", lang)),
    )


def ranked(groups: Sequence[Mapping[str, Any]], rank: str) -> list[Mapping[str, Any]]:
    """The villages best first by ``rank``; those without the figure last, by name."""
    rise_good = dict(KPIS)[rank]
    have = [g for g in groups if g.get("key") and _figure(g.get(rank))[0] is not None]
    lack = [g for g in groups if g.get("key") and _figure(g.get(rank))[0] is None]
    have.sort(key=lambda g: (_figure(g.get(rank))[0] or 0.0) * (-1 if rise_good else 1))
    return have + sorted(lack, key=lambda g: str(g.get("name")))


def villages(
    overview: TownOverview, open_by_village: Mapping[str, int], lang: Lang, rank: str
) -> html.Ol:
    rows = []
    for n, group in enumerate(ranked(overview.kpi["groups"], rank), start=1):
        code = str(group["key"])
        figures = [
            html.Span(
                [
                    html.Span(t(f"kpi.{key}", lang), className="tablet-kpi-name"),
                    html.Span(
                        kpi_value(group, key, lang),
                        className="tablet-kpi-value",
                        **_data("kpi", key),
                    ),
                ],
                className="tablet-kpi" + (" is-rank" if key == rank else ""),
            )
            for key in RANKS
        ]
        rows.append(
            html.Li(
                tap(
                    [
                        html.Span(str(n), className="tablet-rank"),
                        html.Span(str(group.get("name") or code), className="tablet-name"),
                        html.Span(
                            t("tablet.open_n", lang, n=_n(open_by_village.get(code, 0))),
                            className="tablet-open",
                        ),
                        html.Span(figures, className="tablet-kpis"),
                    ],
                    href(lang, village=code),
                    "tablet-village",
                ),
                **_data("village", code),
            )
        )
    return html.Ol(rows, className="tablet-list")


def _map(town: Town, grids: Sequence[str], area: Area, name: str, lang: Lang) -> html.Figure:
    points = [p for c in area.cases if (p := case_point(c)) is not None]
    late = frozenset(str(c["id"]) for c in area.cases if c.get("late"))
    alt = t("tablet.map_alt", lang, name=name, n=_n(len(points)), total=_n(area.total))
    uri, _ = sketch(town, grids, points, late, alt)
    caption = t("tablet.mapped", lang, n=_n(len(points)), total=_n(area.total))
    return html.Figure(
        [html.Img(src=uri, alt=alt, className="tablet-map"), html.Figcaption(caption)],
        className="tablet-figure",
    )


def case_list(
    cases: Sequence[Mapping[str, Any]], lang: Lang, total: int, **where: str
) -> list[Any]:
    """The newest LISTED cases, each a tap to its view, and how many of how many are listed."""
    if not cases:
        return [html.P(t("tablet.no_cases", lang), className="tablet-hint")]
    items = [
        html.Li(
            tap(
                [
                    html.Span(category_label(dict(c), lang), className="tablet-name"),
                    html.Span(summary(dict(c)), className="tablet-summary"),
                    html.Span(
                        [
                            str(c.get("stage_zh" if lang == "zh" else "stage_en") or ""),
                            " · ",
                            place(dict(c), lang),
                            *_handed_to(c, lang),
                        ],
                        className="tablet-where",
                    ),
                ],
                href(lang, **where, case=str(c["id"])),
                "tablet-case" + (" is-late" if c.get("late") else ""),
            ),
            **_data("case", str(c["id"])),
        )
        for c in cases[:LISTED]
    ]
    note = t("tablet.listed", lang, n=_n(min(len(cases), LISTED)), total=_n(total))
    return [html.Ol(items, className="tablet-list"), html.P(note, className="tablet-hint")]


def _handed_to(case: Mapping[str, Any], lang: Lang) -> list[str]:
    """ " · 责任人 role name" for a case escalated to a person; nothing otherwise."""
    who = case.get("responsible") or {}
    if not who:
        return []
    named = f"{who.get('role_name', '')} {who.get('name', '')}".strip()
    return [" · ", t("tablet.handed_to", lang, who=named)]


def escalated(queue: tuple[int, Sequence[Mapping[str, Any]]], lang: Lang, title: str) -> Any:
    """The cases escalated to this level, with whom each was handed to."""
    total, cases = queue
    return block(t(title, lang, n=_n(total)), *case_list(cases, lang, total))


def people(persons: Sequence[Person], lang: Lang) -> html.Ul:
    """Each person with a tap-to-call link."""
    if not persons:
        return html.Ul([html.Li(t("console.none", lang))], className="tablet-people")
    return html.Ul(
        [
            html.Li(
                html.A(
                    [
                        html.Span(p.role_name, className="tablet-role"),
                        html.Span(p.name, className="tablet-name"),
                        html.Span(p.phone, className="tablet-phone"),
                    ],
                    href=f"tel:{p.phone}",
                    className="tablet-tap tablet-call",
                )
            )
            for p in persons
        ],
        className="tablet-people",
    )


def village_people(town: Town, village: str) -> list[Person]:
    """The village's leader (the routing table's, who takes its escalated cases) and each of
    its grids' 网格长."""
    escalation = table().escalation
    found: list[Person] = []
    leader = escalation.villages.get(village)
    if leader is not None:
        found.append(Person("leader", escalation.village_role, leader.name, leader.phone))
    for grid in town.l2.index[town.l2["village"] == village]:
        found += [p for p in town.roster.get(str(grid), []) if p.role == "chief"]
    return found


def block(title: str, *children: Any) -> html.Section:
    return html.Section([html.H3(title), *children], className="tablet-block")


def area_view(
    area: Area,
    town: Town,
    lang: Lang,
    where: Mapping[str, str],
    name: str,
    beside: Any,
    grids: Sequence[str],
    below: Sequence[Any] = (),
) -> list[Any]:
    """A village's or a grid's view: where it is, its open and late cases, ``beside`` (its
    grids, its staff) next to its map, ``below``, then its newest cases."""
    late = " is-alert" if area.late else ""
    return [
        crumbs(lang, town, where.get("village"), where.get("grid")),
        html.H2(name, className="tablet-title"),
        html.Div(
            [
                tile(t("tablet.open", lang), _n(area.total)),
                tile(t("tablet.late", lang), _n(area.late), extra=late),
            ],
            className="tablet-tiles",
        ),
        html.Div(
            [beside, block(t("tablet.map", lang), _map(town, grids, area, name, lang))],
            className="tablet-pair",
        ),
        *below,
        block(t("tablet.cases", lang), *case_list(area.cases, lang, area.total, **where)),
    ]


def village_view(area: Area, town: Town, lang: Lang) -> list[Any]:
    code = area.code
    name = str(town.l1.at[code, "name"]) if code in town.l1.index else code
    grids = [str(g) for g in town.l2.index[town.l2["village"] == code]]
    grid_items = [
        html.Li(
            tap(
                [
                    html.Span(str(town.l2.at[g, "name"]), className="tablet-name"),
                    html.Span(
                        t("tablet.open_n", lang, n=_n(area.units.get(g, (0, 0))[0])),
                        className="tablet-open",
                    ),
                    html.Span(
                        t("tablet.late_n", lang, n=_n(area.units.get(g, (0, 0))[1])),
                        className="tablet-late",
                    ),
                ],
                href(lang, village=code, grid=g),
                "tablet-grid",
            ),
            **_data("grid", g),
        )
        for g in grids
    ]
    beside = block(t("tablet.grids", lang), html.Ol(grid_items, className="tablet-list"))
    staff = block(t("tablet.people", lang), people(village_people(town, code), lang))
    queue = escalated(area.escalated, lang, "tablet.to_village")
    return area_view(area, town, lang, {"village": code}, name, beside, grids, [staff, queue])


def grid_view(area: Area, town: Town, lang: Lang) -> list[Any]:
    code = area.code
    known = code in town.l2.index
    village = str(town.l2.at[code, "village"]) if known else ""
    name = str(town.l2.at[code, "name"]) if known else code
    beside = block(t("console.roster", lang), people(town.roster.get(code, []), lang))
    where = {"village": village, "grid": code}
    return area_view(area, town, lang, where, name, beside, [code])


def case_view(
    case: Mapping[str, Any] | None,
    town: Town,
    lang: Lang,
    teams: Mapping[str, str],
    where: Mapping[str, str | None],
) -> list[Any]:
    """The case's detail and timeline (the console's panel, as the API gives it to the
    caller); the actions' form goes beside it (the page's)."""
    village, grid = where.get("village"), where.get("grid")
    if case is None:
        return [crumbs(lang, town, village, grid), html.P(t("console.gone", lang))]
    people_of = town.roster.get(str(case.get("grid") or ""), [])
    return [
        crumbs(
            lang, town, village or case.get("village"), grid or case.get("grid"), str(case["id"])
        ),
        html.Div(
            case_panel(
                case, people_of, lang, teams, case_map(town, case, t("console.where", lang))
            ),
            className="tablet-case-panel",
        ),
    ]


def _signed(value: float | None, unit: str = "%") -> str:
    return "—" if value is None else f"{value:+.1f}{unit}"


def _plain(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], caption: str) -> html.Div:
    """A small table that scrolls sideways inside its own box if it must, never the page."""
    return html.Div(
        html.Table(
            [
                html.Caption(caption),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
            ],
            className="tablet-table",
        ),
        className="tablet-table-box",
    )


def analysis_view(
    indicators: Sequence[Indicator], histories: Sequence[History], town: Town, lang: Lang
) -> list[Any]:
    """For the 参谋: the economy month by month with its change on the year before, and the
    modules with a history day by day."""
    economy: list[Any] = [
        _table(
            [
                t("tablet.month", lang),
                t("tablet.value", lang, unit=i.unit),
                t("tablet.yoy", lang),
                t("tablet.ytd", lang, unit=i.unit),
                t("tablet.ytd_yoy", lang),
            ],
            [
                [m.month, _plain(m.value), _signed(m.yoy), _plain(m.ytd), _signed(m.ytd_yoy)]
                for m in i.months
            ],
            i.name,
        )
        for i in indicators
    ]
    days: list[Any] = []
    for history in histories:
        labels = list(
            dict.fromkeys(f.label.of(lang) for _, figures in history.days for f in figures)
        )
        rows = []
        for day, figures in history.days:
            values = {f.label.of(lang): f"{f.value} {f.unit.of(lang)}".strip() for f in figures}
            rows.append([day.strftime("%m-%d"), *(values.get(label, "—") for label in labels)])
        days.append(_table([t("tablet.day", lang), *labels], rows, history.module.title.of(lang)))
    return [
        crumbs(lang, town),
        html.H2(t("tablet.analysis", lang), className="tablet-title"),
        block(
            t("tablet.economy", lang),
            *(economy or [html.P(t("tablet.no_data", lang), className="tablet-hint")]),
        ),
        block(
            t("tablet.history", lang),
            *(days or [html.P(t("tablet.no_data", lang), className="tablet-hint")]),
        ),
    ]
