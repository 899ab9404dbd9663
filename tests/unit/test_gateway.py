"""The SMS-over-HTTP gateway against a real HTTP server on loopback (the town's gateway's
stand-in: it records what it was sent and answers as told), and the demo's simulation."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from emergency.gateway import GatewayError, HttpSms, Message, Simulated

NOW = datetime(2026, 7, 15, 2, tzinfo=UTC)
MESSAGE = Message("INC-20260715-0001-N001", "夏振华", "10005106817", '【应急】"暴雨"：请确认 {0}')


class Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:  # the handler's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append(
            {"body": json.loads(body), "auth": self.headers.get("Authorization")}
        )
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def gateway() -> Iterator[str]:
    Gateway.received, Gateway.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert not thread.is_alive()


def test_a_message_is_posted_as_the_template_says_with_its_values_quoted(gateway: str) -> None:
    sms = HttpSms(gateway, sign="霞客镇", token="t0ken")  # noqa: S106  # a test's
    sms.send(MESSAGE, NOW)
    [got] = Gateway.received
    assert got["body"] == {"mobile": "10005106817", "content": MESSAGE.text,
                           "ref": MESSAGE.ref, "sign": "霞客镇"}  # fmt: skip
    assert got["auth"] == "Bearer t0ken"


def test_a_towns_own_template_and_basic_auth(gateway: str) -> None:
    template = '{{"to": [{phone}], "msg": {{"body": {text}}}}}'
    sms = HttpSms(gateway, template, user="town", password="pw")  # noqa: S106  # a test's
    sms.send(MESSAGE, NOW)
    [got] = Gateway.received
    assert got["body"] == {"to": ["10005106817"], "msg": {"body": MESSAGE.text}}
    assert got["auth"].startswith("Basic ")


def test_a_refusal_or_no_answer_is_a_gateway_error(gateway: str) -> None:
    Gateway.status = 503
    with pytest.raises(GatewayError, match="answered 503"):
        HttpSms(gateway).send(MESSAGE, NOW)
    with pytest.raises(GatewayError, match="did not answer"):
        HttpSms("http://127.0.0.1:9/none", timeout_s=1).send(MESSAGE, NOW)


@pytest.mark.parametrize("template", ['{"to": {phone}', '{{"to": {phone}, "x": {nope}}}'])
def test_a_template_that_gives_no_json_stops_the_start(template: str) -> None:
    with pytest.raises(ValueError, match="sms_template"):
        HttpSms("http://127.0.0.1:9/", template)


def test_the_simulation_answers_some_notices_after_a_delay_and_each_once() -> None:
    sim = Simulated(random.Random(1), answer_share=0.5, delay_s=(10, 60))
    refs = [f"INC-1-N{n:03d}" for n in range(1, 41)]
    for ref in refs:
        sim.send(Message(ref, "x", "1", "t"), NOW)
        sim.send(Message(ref, "x", "1", "again"), NOW)  # sent again: decided once
    assert sim.replies(NOW + timedelta(seconds=9)) == []
    answered = sim.replies(NOW + timedelta(seconds=61))
    assert 5 < len(answered) < 35 and len({r for r, _ in answered}) == len(answered)
    assert sim.replies(NOW + timedelta(hours=1)) == []
