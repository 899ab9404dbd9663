"""Mapping tables (source code → internal meaning) kept as data files a town can edit."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
CATEGORY_CODE = re.compile(r"[a-z][a-z0-9_]*")


@cache
def mapping(feed: str, directory: Path = MAPPINGS_DIR) -> dict[str, Any]:
    """The mapping table of a feed; a missing or broken file is a configuration error."""
    path = directory / f"{feed}.json"
    try:
        table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"mapping table for feed {feed!r} unreadable: {path}: {exc}") from exc
    return table


@dataclass(frozen=True, slots=True)
class Code:
    """One class of a source's code table: its name, other spellings, internal category."""

    key: str
    name: str
    category: str
    aliases: tuple[str, ...] = ()
    local: bool = False

    def named(self, name: str) -> bool:
        return name == self.name or name in self.aliases


@dataclass(frozen=True, slots=True)
class CodeTable:
    codes: dict[str, Code]
    names: dict[str, str]  # every known name → category: the fallback for an unknown code


@cache
def code_table(
    feed: str, local: str, key: re.Pattern[str], directory: Path = MAPPINGS_DIR
) -> CodeTable:
    """A national standard's codes (the feed's table) with the town's own (``local``) merged
    in, checked as they load: a wrong table would misfile every report that uses it, so any
    problem stops the intake here, all of them named at once."""
    problems: list[str] = []
    standard = _codes(mapping(feed, directory), f"{feed}.json", key, problems, local=False)
    own = _codes(mapping(local, directory), f"{local}.json", key, problems, local=True)
    problems += [
        f"{local}.json: {code} collides with the standard's {code} in {feed}.json "
        "(a local code never overrides one: use a class the standard leaves free)"
        for code in sorted(standard.keys() & own.keys())
    ]
    codes = {**own, **standard}
    extra = mapping(feed, directory).get("category_names", {})
    names = _names(codes, extra, f"{feed}.json", problems)
    if problems:
        raise RuntimeError(f"code table of feed {feed!r} refused: " + "; ".join(problems))
    return CodeTable(codes, names)


def _codes(
    table: dict[str, Any], source: str, key: re.Pattern[str], problems: list[str], *, local: bool
) -> dict[str, Code]:
    entries = table.get("codes")
    if not isinstance(entries, dict):
        problems.append(f"{source}: no 'codes' object")
        return {}
    found: dict[str, Code] = {}
    for code, entry in entries.items():
        entry = entry if isinstance(entry, dict) else {}
        name, category = entry.get("name"), entry.get("category")
        aliases = entry.get("aliases", [])
        if not key.fullmatch(code):
            problems.append(f"{source}: {code!r} is not a code of the form {key.pattern}")
        elif not isinstance(name, str) or not name.strip():
            problems.append(f"{source}: {code} has no name")
        elif not isinstance(category, str) or not CATEGORY_CODE.fullmatch(category):
            problems.append(f"{source}: {code} has no category code (got {category!r})")
        elif not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.append(f"{source}: {code}: aliases must be a list of names")
        else:
            found[code] = Code(code, name.strip(), category, tuple(aliases), local)
    return found


def _names(
    codes: dict[str, Code], extra: dict[str, Any], source: str, problems: list[str]
) -> dict[str, str]:
    """Names to categories: the codes' names and aliases, then the names no code carries."""
    names: dict[str, str] = {}
    for code in codes.values():
        for name in (code.name, *code.aliases):
            if names.setdefault(name, code.category) != code.category:
                problems.append(f"{source}: the name {name!r} means both {names[name]} and "
                                f"{code.category} ({code.key})")  # fmt: skip
    for name, category in extra.items():
        if name.startswith("_"):
            continue
        if not isinstance(category, str) or not CATEGORY_CODE.fullmatch(category):
            problems.append(f"{source}: category_names: {name!r} has no category code")
        elif names.setdefault(name, category) != category:
            problems.append(f"{source}: category_names says {name!r} is {category}, "
                            f"the code table says {names[name]}")  # fmt: skip
    return names
