"""Who may do what: the one permission table of the centre.

Every route the web process serves is a row: its method, its path template, the roles that may
call it (OPEN: anyone, signed in or not). The web layer enforces it (dashboard/guard.py), the
permission-matrix test checks every row against every role, and docs/security.md shows
`matrix_markdown()`'s output, kept equal to it by a test: the table is the documentation.
A request no row matches is refused: a route added without a row here is closed, not open.

Case actions have a second table: which role may ask for which action (`ACTION_ROLES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from access.roles import ROLES

OPEN = "anyone"
PEOPLE = frozenset({"duty", "handler", "inspector", "leader", "admin"})
READERS = PEOPLE | {"wall"}  # every page and read route: the wall screen's token reads too
ACTORS = frozenset({"duty", "handler", "inspector", "leader"})  # who acts on cases
INCIDENT_LEADERS = frozenset({"leader"})  # who declares and ends an incident (应急)


@dataclass(frozen=True, slots=True)
class Rule:
    method: str  # an HTTP method, or WS for a WebSocket
    path: str  # a template: {name} is one segment, {name:path} the rest of the path
    roles: frozenset[str]  # who may; {OPEN}: anyone
    what: str
    feed: str = ""  # the feed a feed token must name here: a feed, or "{feed}" for the path's

    @property
    def open(self) -> bool:
        return OPEN in self.roles

    def feed_of(self, params: dict[str, str]) -> str:
        """The feed this request is for (a feed token must be that feed's); "" for none."""
        return params.get("feed", "") if self.feed == "{feed}" else self.feed


def _rule(
    method: str, path: str, roles: frozenset[str] | str, what: str, *, feed: str = ""
) -> Rule:
    return Rule(method, path, frozenset({roles}) if isinstance(roles, str) else roles, what, feed)


RULES: tuple[Rule, ...] = (
    _rule("GET", "/healthz", OPEN, "health check (load balancers, `make demo`)"),
    _rule("GET", "/login", OPEN, "the sign-in page"),
    _rule("POST", "/auth/login", OPEN, "sign in: a session cookie and its CSRF token"),
    _rule("POST", "/auth/logout", READERS, "end this session"),
    _rule("GET", "/openapi.json", OPEN, "the API's description (holds no data)"),
    _rule("GET", "/docs", OPEN, "the API's description, as a page"),
    _rule("GET", "/docs/oauth2-redirect", OPEN, "part of /docs"),
    _rule("GET", "/redoc", OPEN, "the API's description, as a page"),
    _rule("GET", "/assets/{name:path}", OPEN, "stylesheets, scripts, fonts, map tiles"),
    _rule("GET", "/_dash-component-suites/{name:path}", OPEN, "Dash's scripts"),
    _rule("GET", "/_favicon.ico", OPEN, "the icon"),
    _rule("GET", "/metrics", frozenset({"admin"}), "Prometheus metrics (an admin token)"),
    _rule("GET", "/", READERS, "redirects to the wall"),
    _rule("GET", "/wall", READERS, "the wall"),
    _rule("GET", "/admin", frozenset({"admin"}), "the operations page (dead letters, feeds)"),
    _rule("GET", "/console", PEOPLE, "the duty console (each role sees its own actions)"),
    _rule("GET", "/tablet", PEOPLE, "the leaders' tablet (town, villages, grids, cases)"),
    _rule("GET", "/_dash-layout", READERS, "a page's tree (the page must be the role's)"),
    _rule("GET", "/_dash-dependencies", READERS, "the pages' callbacks"),
    _rule("GET", "/_reload-hash", READERS, "Dash's reload check"),
    _rule("POST", "/_dash-update-component", READERS, "a page's callback"),
    _rule("WS", "/_dash-ws-callback", READERS, "the live push"),
    _rule("WS", "/_wall-rows", READERS, "the wall's queue rows and the page's acknowledgements"),
    _rule("GET", "/api/cases", READERS, "cases, filtered and paged"),
    _rule("GET", "/api/counts", READERS, "the header's figures"),
    _rule("GET", "/api/cases/{case_id:path}", READERS, "one case with its history"),
    _rule("POST", "/api/cases/{case_id:path}/actions", ACTORS, "act on a case (ACTION_ROLES)"),
    _rule("GET", "/api/commands/{command_id}", ACTORS, "the outcome of an action"),
    _rule("GET", "/api/feeds", READERS, "the feeds' lights"),
    _rule("GET", "/api/kpi", READERS, "the assessment figures"),
    _rule("GET", "/api/modules", READERS, "the module panels' figures"),
    _rule("GET", "/api/queues/town", READERS, "the cases escalated to the town"),
    _rule("GET", "/api/queues/village/{village}", READERS, "the cases escalated to a village"),
    _rule("GET", "/api/incidents", READERS, "incidents (应急), newest first"),
    _rule("POST", "/api/incidents", INCIDENT_LEADERS, "declare an incident"),
    _rule(
        "GET",
        "/api/incidents/{incident_id}",
        READERS,
        "one incident, its area, timeline",
    ),
    _rule("POST", "/api/incidents/{incident_id}/end", INCIDENT_LEADERS, "end an incident"),
    _rule("GET", "/incidents/{incident_id}/report", PEOPLE, "an incident's report (printable)"),
    _rule(
        "POST",
        "/api/notices/reply",
        frozenset({"feed"}),
        "an SMS reply (the gateway's uplink)",
        feed="sms",
    ),
    _rule("GET", "/ack/{token}", OPEN, "a notice's acknowledgement page (its secret link)"),
    _rule("POST", "/ack/{token}", OPEN, "acknowledge a notice (its secret link)"),
    _rule("GET", "/api/deadletters", frozenset({"admin"}), "dead letters (raw payloads)"),
    _rule(
        "POST",
        "/api/ingest/{feed}",
        frozenset({"feed"}),
        "intake (that feed's token)",
        feed="{feed}",
    ),
    _rule("GET", "/open311/v2/services.json", OPEN, "Open311 service list (public)"),
    _rule("GET", "/open311/v2/services/{code}.json", OPEN, "one service's definition"),
    _rule("GET", "/open311/v2/requests.json", READERS, "Open311 requests"),
    _rule("GET", "/open311/v2/requests/{id}.json", READERS, "one Open311 request"),
    _rule(
        "POST",
        "/open311/v2/requests.json",
        frozenset({"feed"}),
        "a citizen's report (an open311 token)",
        feed="open311",
    ),
)

# Which role may ask for which case action (POST /api/cases/<id>/actions, by its `action`).
ACTION_ROLES: dict[str, frozenset[str]] = {
    **{a: frozenset({"duty"}) for a in (
        "register", "dispatch", "return", "park", "resume", "merge", "cancel", "close")},
    "accept": frozenset({"handler"}),  # of the handler's own team
    "handle": frozenset({"handler"}),
    "verify": frozenset({"inspector"}),  # never a case they accepted or handled
    "extend": frozenset({"leader"}),  # an approved extension: the leader is its approver
    "escalate": frozenset({"duty", "leader"}),  # 升级 by hand
}  # fmt: skip
TEAM_ACTIONS = frozenset({"accept", "handle"})  # only on cases of the handler's own team

# Pages by their path, and who may see each (a layout request names its page).
PAGES: dict[str, frozenset[str]] = {
    "wall": READERS,
    "admin": frozenset({"admin"}),
    "console": PEOPLE,  # people at desks, not a wall's screen
    "tablet": PEOPLE,  # leaders' tablets; people, not a wall's screen
}


def _pattern(template: str) -> re.Pattern[str]:
    out, pos = [], 0
    for m in re.finditer(r"\{(\w+)(:path)?\}", template):
        out.append(re.escape(template[pos : m.start()]))
        out.append(f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out))


@cache
def _compiled() -> tuple[tuple[Rule, re.Pattern[str]], ...]:
    # Longer templates first: /api/cases/{id}/actions before /api/cases/{id:path}.
    ordered = sorted(RULES, key=lambda r: -len(r.path.replace("{", "").replace("}", "")))
    return tuple((r, _pattern(r.path)) for r in ordered)


def find(method: str, path: str) -> tuple[Rule, dict[str, str]] | None:
    """The row for a request (HEAD reads as GET), with its path's parameters; None: no row."""
    method = "GET" if method == "HEAD" else method
    for rule, pattern in _compiled():
        if rule.method == method and (m := pattern.fullmatch(path)):
            return rule, m.groupdict()
    return None


def methods_at(path: str) -> tuple[str, ...]:
    """The HTTP methods the table has for ``path`` (a request with another one: 405)."""
    matched = [rule.path for rule, pattern in _compiled() if pattern.fullmatch(path)]
    if not matched:
        return ()
    # The resource is the most specific template that matches: /api/cases/x/actions is an
    # action route, though /api/cases/{case_id:path} would read it as a case's id.
    found = {rule.method for rule in RULES if rule.path == matched[0]}
    return tuple(sorted(found - {"WS"}))


def page_of(path: str) -> str:
    """The page a path shows: Dash serves the wall on every path that is not another page's."""
    name = path.strip("/").split("/")[0]
    return name if name in PAGES else "wall"


def matrix_markdown() -> str:
    """The table as docs/security.md shows it."""
    roles = [r for r in ROLES]
    head = "| method | path | " + " | ".join(roles) + " | what |"
    lines = [head, "|" + "---|" * (len(roles) + 3)]
    for rule in RULES:
        cells = ["✓" if rule.open or role in rule.roles else "" for role in roles]
        path = rule.path if not rule.open else f"{rule.path} (open)"
        lines.append(f"| {rule.method} | `{path}` | " + " | ".join(cells) + f" | {rule.what} |")
    lines += ["", "| action | " + " | ".join(roles) + " |", "|" + "---|" * (len(roles) + 1)]
    for action, allowed in ACTION_ROLES.items():
        cells = ["✓" if role in allowed else "" for role in roles]
        lines.append(f"| `{action}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
