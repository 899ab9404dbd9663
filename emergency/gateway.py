"""The phone gateway: what sends a `notifications` entry to a phone.

- `HttpSms`: SMS over HTTP, for a town's own gateway (most Chinese SMS platforms take a POST
  of JSON): the URL, a body template in which `{phone}`, `{text}`, `{ref}` and `{sign}` are
  filled in (each as a JSON string), and a bearer token or a user and password.
- `Simulated`: the demo's. It sends nothing; each message is "answered" by its recipient after
  a random delay, or not at all, so that the demo's notices are acknowledged, re-sent and
  escalated as a real day's are.
- `Off`: nothing is sent (the entries stay in the stream for a gateway added later).

A gateway never logs a phone number or a message's text: those are personal data.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx


@dataclass(frozen=True, slots=True)
class Message:
    ref: str  # the notice's id (an incident's), or the case's (an escalation's)
    to: str
    phone: str
    text: str


class GatewayError(RuntimeError):
    """The gateway did not take the message: it is tried again."""


class Gateway(Protocol):
    name: str

    def send(self, message: Message, now: datetime) -> None: ...

    def replies(self, now: datetime) -> list[tuple[str, str]]:
        """Acknowledgements that arrived: (notice id, how), e.g. ("INC-…-N001", "reply")."""
        ...


@dataclass
class Off:
    name: str = "off"

    def send(self, message: Message, now: datetime) -> None:
        return None

    def replies(self, now: datetime) -> list[tuple[str, str]]:
        return []


@dataclass
class HttpSms:
    """SMS over HTTP: one POST per message; an answer other than 2xx is a GatewayError."""

    url: str
    template: str = '{{"mobile": {phone}, "content": {text}, "ref": {ref}, "sign": {sign}}}'
    sign: str = ""
    token: str = ""
    user: str = ""
    password: str = ""
    timeout_s: float = 5.0
    name: str = "http"
    client: httpx.Client | None = None

    def __post_init__(self) -> None:
        """A template that does not give JSON stops the start-up, not the first notice."""
        try:
            self.body(Message("ref", "to", "10005100000", "text"))
        except GatewayError as exc:
            raise ValueError(f"sms_template: {exc}") from None

    def body(self, message: Message) -> bytes:
        values = {"phone": message.phone, "text": message.text, "ref": message.ref,
                  "sign": self.sign}  # fmt: skip
        quoted = {k: json.dumps(v, ensure_ascii=False) for k, v in values.items()}
        try:
            filled = self.template.format(**quoted)
            json.loads(filled)
        except (KeyError, IndexError, ValueError) as exc:
            raise GatewayError(f"the template does not give JSON ({type(exc).__name__})") from None
        return filled.encode("utf-8")

    def send(self, message: Message, now: datetime) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        auth: dict[str, Any] = (
            {"auth": httpx.BasicAuth(self.user, self.password)} if self.user else {}
        )
        client = self.client or httpx.Client(timeout=self.timeout_s)
        try:
            answer = client.post(self.url, content=self.body(message), headers=headers, **auth)
        except httpx.HTTPError as exc:
            raise GatewayError(f"the SMS gateway did not answer: {type(exc).__name__}") from None
        finally:
            if self.client is None:
                client.close()
        if not answer.is_success:
            raise GatewayError(f"the SMS gateway answered {answer.status_code}")

    def replies(self, now: datetime) -> list[tuple[str, str]]:
        return []  # replies come to POST /api/notices/reply, from the gateway's uplink


@dataclass
class Simulated:
    """Each incident notice is acknowledged with probability `answer_share`, after a delay
    between `delay_s` seconds; escalation messages and repeats are only counted."""

    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311  # a simulation
    answer_share: float = 0.7
    delay_s: tuple[float, float] = (20.0, 240.0)
    name: str = "simulated"
    sent: list[Message] = field(default_factory=list)
    _due: list[tuple[datetime, str]] = field(default_factory=list)
    _decided: set[str] = field(default_factory=set)

    def send(self, message: Message, now: datetime) -> None:
        self.sent.append(message)
        if "-N" not in message.ref or message.ref in self._decided:
            return
        self._decided.add(message.ref)
        if self.rng.random() < self.answer_share:
            delay = timedelta(seconds=self.rng.uniform(*self.delay_s))
            self._due.append((now + delay, message.ref))

    def replies(self, now: datetime) -> list[tuple[str, str]]:
        ready = [ref for at, ref in self._due if at <= now]
        self._due = [(at, ref) for at, ref in self._due if at > now]
        return [(ref, "reply") for ref in ready]
