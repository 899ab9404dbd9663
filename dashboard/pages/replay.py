"""The wall's replay: `/wall?replay=<from>/<to>&speed=N` plays a past period back.

The period is read once (dashboard/replay_data.py) and kept for the page; every half second
the page asks for the state at its moment — `from` plus the time since it opened times the
speed — and is sent the queue, the counts, the alerts and the incidents' entries when they
changed. Nothing is written: the live centre goes on untouched beside it.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

import redis
from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from core.keys import Keys
from core.times import BEIJING
from dashboard import ids
from dashboard.context import WallContext
from dashboard.i18n import Lang, lang_of, t
from dashboard.page_actions import digest
from dashboard.replay_data import (
    ReplayError,
    Window,
    parse_window,
    read_window,
    row_text,
    state_at,
)

TICK_MS = 500
ROWS_SHOWN = 60
KEPT = 8  # periods kept in memory for the pages replaying them
_read: OrderedDict[tuple[str, int, int], dict[str, Any]] = OrderedDict()


def _period(r: redis.Redis, keys: Keys, window: Window) -> dict[str, Any]:
    """The period's data, read once per process and kept for its pages (the newest KEPT)."""
    key = (keys.prefix, int(window.start.timestamp() * 1000), int(window.end.timestamp() * 1000))
    if key not in _read:
        _read[key] = read_window(r, keys, window)
        while len(_read) > KEPT:
            _read.popitem(last=False)
    _read.move_to_end(key)
    return _read[key]


def _clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _shown(data: dict[str, Any], moment: int, lang: Lang) -> dict[str, Any]:
    """The children of each part at `moment`."""
    state = state_at(data, moment)
    rows = [
        html.Tr(
            [html.Td(cell) for cell in row_text(row, data["cases"].get(row["id"]), lang)],
            className="replay-closed" if row["status"] == "closed" else None,
            **{"data-case": row["id"]},
        )
        for row in state["rows"][:ROWS_SHOWN]
    ]
    done = moment >= data["end"]
    ended = " · " + t("replay.done", lang)
    counts = t("replay.counts", lang, new=str(state["new"]), open=str(state["open"]),
               closed=str(state["closed"]))  # fmt: skip
    alerts = [html.Li(f"{_clock(at)[11:16]} {title}") for at, title, _ in state["alerts"]]
    incidents = [
        html.Li(f"{_clock(at)[11:16]} {incident} {_kind(kind, lang)} {title}")
        for at, incident, kind, title in state["incidents"]
    ]
    return {
        "clock": _clock(min(moment, data["end"])) + (ended if done else ""),
        "counts": counts,
        "queue": rows,
        "alerts": alerts[-20:] or [html.Li(t("incident.none", lang))],
        "incidents": incidents[-20:] or [html.Li(t("incident.none", lang))],
        "digest": digest([[r["id"], r["stage"], r["status"]] for r in state["rows"][:ROWS_SHOWN]]
                         + [len(alerts), len(incidents), done, moment // 1000]),
    }  # fmt: skip


KINDS = frozenset({"declared", "ended", "notices_sent", "notice_acked", "case_opened"})


def _kind(kind: str, lang: Lang) -> str:
    return t(f"replay.kind.{kind}", lang) if kind in KINDS else kind


def replay_layout(wall: WallContext, lang: Lang, replay: str, speed: str | None) -> html.Div:
    """The replay page, or what is wrong with its address."""
    try:
        window = parse_window(replay, speed)
        data = _period(wall.r, wall.keys, window)
    except ReplayError as exc:
        return _message(lang, t("replay.bad", lang, why=str(exc)))
    except redis.RedisError:
        return _message(lang, t("tablet.redis_down", lang))
    loaded = int(time.time() * 1000)
    shown = _shown(data, data["start"], lang)
    period = t("replay.period", lang, start=_clock(data["start"]), end=_clock(data["end"]),
               speed=f"{window.speed:g}")  # fmt: skip
    heads = [t(f"replay.head.{k}", lang) for k in ("time", "title", "category", "place", "stage")]
    return html.Div(
        id=ids.WALL_REPLAY_ROOT,
        className="replay",
        lang="zh-CN" if lang == "zh" else "en",
        children=[
            html.Header(className="replay-header", children=[
                html.Span(t("replay.badge", lang), className="replay-badge"),
                html.H1(period, className="replay-period"),
                html.Span(shown["clock"], id=ids.WALL_REPLAY_CLOCK, className="replay-clock"),
                html.Span(shown["counts"], id=ids.WALL_REPLAY_COUNTS, className="replay-counts"),
                html.A(t("replay.live", lang), href="?" + ("lang=en" if lang == "en" else ""),
                       className="replay-live"),
            ]),
            html.P(t("replay.truncated", lang), className="replay-note")
            if data["truncated"] else None,
            html.Main(className="replay-main", children=[
                html.Section(className="replay-queue", children=[
                    html.H2(t("replay.queue", lang)),
                    html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in heads])),
                                html.Tbody(shown["queue"], id=ids.WALL_REPLAY_QUEUE)]),
                ]),
                html.Section(className="replay-side", children=[
                    html.H2(t("replay.alerts", lang)),
                    html.Ul(shown["alerts"], id=ids.WALL_REPLAY_ALERTS),
                    html.H2(t("replay.incidents", lang)),
                    html.Ul(shown["incidents"], id=ids.WALL_REPLAY_INCIDENTS),
                ]),
            ]),
            dcc.Store(id=ids.WALL_REPLAY_CONFIG, data={
                "lang": lang, "replay": replay, "speed": speed or "1", "loaded": loaded}),
            dcc.Store(id=ids.WALL_REPLAY_SHOWN, data=shown["digest"]),
            dcc.Interval(id=ids.WALL_REPLAY_TICK, interval=TICK_MS),
        ],
    )  # fmt: skip


def _message(lang: Lang, said: str) -> html.Div:
    return html.Div(
        id=ids.WALL_REPLAY_ROOT,
        className="replay",
        lang="zh-CN" if lang == "zh" else "en",
        children=[html.P(said, className="replay-note", role="alert")],
    )


def register_replay_callbacks(app: Dash, wall: WallContext) -> None:
    @app.callback(
        Output(ids.WALL_REPLAY_CLOCK, "children"),
        Output(ids.WALL_REPLAY_COUNTS, "children"),
        Output(ids.WALL_REPLAY_QUEUE, "children"),
        Output(ids.WALL_REPLAY_ALERTS, "children"),
        Output(ids.WALL_REPLAY_INCIDENTS, "children"),
        Output(ids.WALL_REPLAY_SHOWN, "data"),
        Input(ids.WALL_REPLAY_TICK, "n_intervals"),
        State(ids.WALL_REPLAY_CONFIG, "data"),
        State(ids.WALL_REPLAY_SHOWN, "data"),
        prevent_initial_call=True,
    )
    async def play(_n: int | None, config: Any, shown: Any) -> tuple[Any, ...]:
        config = config or {}
        lang = lang_of(config.get("lang"))
        try:
            window = parse_window(str(config.get("replay", "")), str(config.get("speed", "1")))
            data = await asyncio.to_thread(_period, wall.r, wall.keys, window)
        except (ReplayError, redis.RedisError):
            raise PreventUpdate from None
        elapsed = int(time.time() * 1000) - int(config.get("loaded") or 0)
        moment = data["start"] + int(elapsed * window.speed)
        now = _shown(data, moment, lang)
        if now["digest"] == shown:
            raise PreventUpdate
        return (now["clock"], now["counts"], now["queue"], now["alerts"], now["incidents"],
                now["digest"])  # fmt: skip
