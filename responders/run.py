"""The simulated staff at work: read the open cases through the API, act on those whose next
step is due, through the same actions API as people, each person under their own token.

One poll reads every open case in a stage someone acts on (`GET /api/cases?stage=…`, every
page), asks `plan.next_step` for each, and posts the due ones oldest first. An answer other
than applied is logged and the loop goes on: a refusal (the case moved meanwhile) is not
retried until the case changes, a 429 leaves that person's other steps to the next poll, an
unreachable server ends the poll. Nothing here writes to Redis but the people's tokens.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import redis

from access.tokens import create_token, list_tokens, revoke_token
from cases.lifecycle import ACTION_ZH
from cases.lifecycle_events import Action
from core.keys import Keys
from responders.plan import Candidates, Profile, Step, next_step
from responders.staff import Person, Staff

log = logging.getLogger(__name__)
STAGES = ("reported", "registered", "dispatched", "accepted", "handled", "verified")
PAGE = 1000
POLL_S = 5.0
MAX_TRIED = 100_000


class Tokens:
    """Each person's API token, made when they first act (access control on); an earlier
    run's tokens of the same people are revoked at start."""

    def __init__(self, r: redis.Redis, keys: Keys, people: list[Person]) -> None:
        self.r, self.keys = r, keys
        self.made: dict[str, str] = {}
        names = {p.display for p in people}
        for stale in {t.name for t in list_tokens(r, keys)} & names:
            revoke_token(r, keys, stale)

    def of(self, person: Person) -> str:
        if person.display not in self.made:
            self.made[person.display] = create_token(
                self.r, self.keys, role=person.role, name=person.display,
                team=person.team if person.role == "handler" else None, now=time.time(),
            )  # fmt: skip
        return self.made[person.display]


@dataclass
class Responder:
    """Polls and acts; ``tokens`` None when access control is off (the body names the actor)."""

    client: Any  # an httpx.Client, or the warm-up's client of the app served in process
    staff: Staff
    candidates: Candidates
    tokens: Tokens | None = None
    profile: Profile = field(default_factory=Profile)
    seed: int = 0
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # (case, version) acted on or refused: not again until the case changes (a queued action
    # the engine has not applied yet must not be sent twice).
    tried: set[tuple[Any, Any]] = field(default_factory=set)
    done: dict[str, int] = field(default_factory=dict)  # outcomes, for the log and tests

    def headers(self, person: Person) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.of(person)}"} if self.tokens else {}

    def cases(self) -> Iterator[dict[str, Any]]:
        """Every open case in a stage someone acts on, page by page (one read of every open
        case: fewer round trips than a read per stage)."""
        reader = self.staff.duty_officer(0)
        url: str | None = f"/api/cases?status=open&limit={PAGE}"
        while url:
            answer = self.client.get(url, headers=self.headers(reader))
            if answer.status_code != 200:
                raise ValueError(f"GET {url} answered {answer.status_code}")
            yield from (c for c in answer.json() if c.get("stage") in STAGES)
            url = answer.links.get("next", {}).get("url")

    def due(self, now: datetime) -> list[tuple[Step, dict[str, Any]]]:
        found = []
        for case in self.cases():
            if (case.get("id"), case.get("version")) in self.tried:
                continue
            try:
                step = next_step(case, self.staff, self.candidates, self.profile, self.seed)
            except (ValueError, TypeError, KeyError) as exc:  # one odd case stops no one
                log.warning("responders: case %s skipped: %s", case.get("id"), exc)
                self.tried.add((case.get("id"), case.get("version")))
                continue
            if step is not None and step.at <= now:
                found.append((step, case))
        return sorted(found, key=lambda pair: pair[0].at)

    def poll(self) -> int:
        """One round: the number of actions applied (or queued)."""
        try:
            steps = self.due(self.clock())
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("responders: cannot read the cases (%s); trying again", exc)
            return 0
        applied, waiting, kinds = 0, set(), Counter[str]()
        for step, case in steps:
            if step.person.display in waiting:
                continue
            try:
                outcome = self.act(step, case)
            except httpx.HTTPError as exc:
                log.warning("responders: %s of %s not sent (%s)", step.action, case["id"], exc)
                break
            self.done[outcome] = self.done.get(outcome, 0) + 1
            if outcome == "failed":  # the server is in trouble: the rest can wait a poll
                break
            if outcome == "limited":
                waiting.add(step.person.display)
            if outcome in ("applied", "pending"):
                applied += 1
                kinds[_zh(step.action)] += 1
        if applied:
            log.info(
                "responders: %d actions (%s)",
                applied,
                ", ".join(f"{k} {n}" for k, n in kinds.items()),
            )
        return applied

    def act(self, step: Step, case: dict[str, Any]) -> str:
        body = {**step.body, "actor": step.person.display}
        answer = self.client.post(
            f"/api/cases/{case['id']}/actions", json=body, headers=self.headers(step.person)
        )
        if len(self.tried) > MAX_TRIED:
            self.tried.clear()
        label = f"{_zh(step.action)} {case['id']} by {step.person.display}"
        if answer.status_code in (200, 202):
            self.tried.add((case["id"], case.get("version", 0)))
            log.debug("responders: %s", label)
            return "applied" if answer.status_code == 200 else "pending"
        if answer.status_code == 429:
            return "limited"
        if answer.status_code in (404, 409, 422):
            # The case moved on (or went) meanwhile, or the step does not fit it: not again
            # until the case changes.
            self.tried.add((case["id"], case.get("version", 0)))
            log.debug("responders: %s refused (%s): %s", label, answer.status_code, _reason(answer))
            return "refused"
        log.warning("responders: %s not applied (%s); trying later", label, answer.status_code)
        return "failed"

    def run(self, stop: threading.Event, every: float = POLL_S) -> None:
        while not stop.is_set():
            self.poll()
            stop.wait(every)


def _zh(action: str) -> str:
    """The action as the history names it (cases/lifecycle.py)."""
    return ACTION_ZH[Action(action)]


def _reason(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    return str(body.get("reason") or body.get("detail") or body)[:200]
