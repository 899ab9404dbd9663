"""The wall's queue filter, read from the page's address: which feeds and categories it shows.

`?feed=urban,water` shows only those feeds; `?category=-parking,-street_vending` hides those
categories; a list may mix both (`?category=parking,street_vending` keeps two, a `-` code is
hidden even if another rule would keep it). Codes are the internal ones (`ingest.feeds`,
`cases/data/categories.json`). The server applies the filter to the snapshot and to every
tick; the page carries it in its cursor store, so a reconnect keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from cases.categories import category
from dashboard.i18n import Lang, t
from dashboard.lights import feed_label
from dashboard.routing import page_address

PARAMS = ("feed", "category")
CODE = re.compile(r"-?[a-z0-9_]{1,40}")
MAX_CODES = 50  # an address is typed by a person: more than this is not a filter


@dataclass(frozen=True, slots=True)
class Rule:
    """One parameter: codes to keep (empty: keep all) and codes to hide."""

    keep: frozenset[str] = frozenset()
    hide: frozenset[str] = frozenset()

    def allows(self, code: str) -> bool:
        return code not in self.hide and (not self.keep or code in self.keep)

    def text(self) -> str:
        """The parameter's value: kept codes, then hidden ones with a `-`."""
        return ",".join([*sorted(self.keep), *(f"-{c}" for c in sorted(self.hide))])


def parse_rule(values: Iterable[str]) -> Rule:
    """A rule from a parameter's values (repeated or comma-separated); junk is ignored."""
    codes = [c.strip().lower() for v in values for c in v.split(",")]
    valid = [c for c in codes if CODE.fullmatch(c)][:MAX_CODES]
    keep = frozenset(c for c in valid if not c.startswith("-"))
    hide = frozenset(c[1:] for c in valid if c.startswith("-"))
    return Rule(keep, hide)


@dataclass(frozen=True, slots=True)
class CaseFilter:
    feed: Rule = Rule()
    category: Rule = Rule()

    @property
    def active(self) -> bool:
        return self != CaseFilter()

    def matches(self, case: Mapping[str, Any]) -> bool:
        feed = str(case.get("feed") or str(case.get("id", "")).split(":", 1)[0])
        return self.feed.allows(feed) and self.category.allows(str(case.get("category") or ""))

    def query(self) -> dict[str, str]:
        """The address parameters that give this filter (none when it lets everything by)."""
        found = {name: getattr(self, name).text() for name in PARAMS}
        return {name: value for name, value in found.items() if value}


def filter_of(query: Mapping[str, Any] | None) -> CaseFilter:
    """The filter of parsed query parameters (`parse_qs`) or of a stored `query()` dict."""
    query = query or {}

    def values(name: str) -> list[str]:
        value = query.get(name) or []
        return [value] if isinstance(value, str) else [str(v) for v in value]

    return CaseFilter(*(parse_rule(values(name)) for name in PARAMS))


def request_filter() -> CaseFilter:
    """The filter of the page being served, from its address (see dashboard.routing)."""
    return filter_of(parse_qs(page_address().query))


def page_query(lang: Lang, case_filter: CaseFilter, hidden: Iterable[str] = ()) -> str:
    """A wall address's query that keeps the view: "?lang=en&feed=urban&hide=teams" (or "");
    ``hidden``: the map layers turned off."""
    params = {"lang": "en"} if lang == "en" else {}
    params |= case_filter.query()
    if layers := ",".join(sorted(hidden)):
        params["hide"] = layers
    return f"?{urlencode(params, safe=',-')}" if params else ""


def describe(case_filter: CaseFilter, lang: Lang) -> str:
    """What the queue's title says about the filter: "" when everything is shown."""
    names = {"feed": lambda c: feed_label(c, lang), "category": lambda c: _category(c, lang)}
    comma, semicolon = ("、", "；") if lang == "zh" else (", ", "; ")
    parts = []
    for name in PARAMS:
        rule: Rule = getattr(case_filter, name)
        for key, codes in (("filter.only", rule.keep), ("filter.hide", rule.hide)):
            if codes:
                what = comma.join(map(names[name], sorted(codes)))
                parts.append(t(key, lang, what=what))
    return semicolon.join(parts)


def _category(code: str, lang: Lang) -> str:
    found = category(code)
    name = found.zh if lang == "zh" else found.en
    return name if found.code == code else code
