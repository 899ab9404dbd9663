"""The API does what its description says: schemathesis (every check) against the running web
process, each route called with a token of a role that may call it.

The description (/openapi.json) is FastAPI's, completed by dashboard/api_doc.py with what the
layers in front of the routes answer. Some routes have rules the description cannot state,
and the run is told so, route by route (CROSS_FIELD): there a schema-valid request may still
be refused, with the status the description documents for it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from access.policy import find
from core.keys import Keys
from core.settings import Settings
from dashboard.api_doc import METHODS, example_path
from ingest.feeds import FEEDS
from tests.support.access import LOCAL, token
from tests.support.procs import gone_within
from tests.support.webserver import WallServer
from towncc.embedded import EmbeddedRedis
from towncc.server import create_app

SEED = os.environ.get("TOWNCC_API_FUZZ_SEED", "20261207")  # a fixed run unless told otherwise
EXAMPLES = os.environ.get("TOWNCC_API_FUZZ_EXAMPLES", "15")
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's default
# Routes whose rules join parameters or read a native format, which JSON Schema cannot state:
# a schema-valid request there may be refused with the documented status.
CROSS_FIELD = {
    # period or from+to; a day that does not exist (02-30); a period not begun
    "GET /api/kpi": "422",
    # start_date..end_date in order and within 90 days
    "GET /open311/v2/requests.json": "400",
    # the filters of open cases, with status=closed or all
    "GET /api/cases": "400",
    # the feeds' native bodies (CAP XML, CSV, JSON lines): unreadable is kept and answered 400
    **{f"POST /api/ingest/{feed}": "400" for feed in FEEDS},
    # an incident's shape names which of point + radius, polygon or alert is its area, and
    # the area must be one and touch the town
    "POST /api/incidents": "422",
}


def _config(server: WallServer, redis_url: str, keys: Keys) -> str:
    """schemathesis.toml: a duty officer's token by default, an admin's for the admin's
    routes, each feed's own token for its intake."""
    duty = token(redis_url, keys, "duty")
    lines = [f'headers = {{ Authorization = "Bearer {duty}" }}', ""]

    def operation(name: str, bearer: str | None, status: str | None = None) -> None:
        lines.extend(["[[operations]]", f'include-name = "{name}"'])
        if bearer:
            lines.append(f'headers = {{ Authorization = "Bearer {bearer}" }}')
        if status:
            statuses = ", ".join(f'"{s}"' for s in sorted({*ACCEPTED, status}))
            lines.append(f"checks.positive_data_acceptance.expected-statuses = [{statuses}]")
        lines.append("")

    for name in ("GET /api/deadletters", "GET /metrics"):
        operation(name, server.admin_token)
    for feed in FEEDS:
        name = f"POST /api/ingest/{feed}"
        operation(name, token(redis_url, keys, "feed", feed=feed), CROSS_FIELD[name])
    operation("POST /open311/v2/requests.json", token(redis_url, keys, "feed", feed="open311"))
    leader = token(redis_url, keys, "leader")
    operation("POST /api/incidents", leader, CROSS_FIELD["POST /api/incidents"])
    operation("POST /api/incidents/{incident_id}/end", leader)
    operation("POST /api/notices/reply", token(redis_url, keys, "feed", feed="sms"))
    for name in ("GET /api/kpi", "GET /open311/v2/requests.json", "GET /api/cases"):
        operation(name, None, CROSS_FIELD[name])
    return "\n".join(lines)


@pytest.fixture(scope="module")
def api_server(
    redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WallServer, Keys]]:
    keys = Keys("apicontract:")
    server = WallServer(redis_server.url, keys, tmp_path_factory.mktemp("api") / "server.log")
    # The run writes and signs in hundreds of times a minute: over the rates, every answer
    # would be 429 and the routes behind it untested (the rates have their own test).
    server.env.update(TOWNCC_WRITE_RATE="100000/minute", TOWNCC_SIGN_IN_RATE="100000/minute")
    server.start()
    yield server, keys
    server.stop()
    assert server.process is not None
    _, left = gone_within([server.process.pid], 10)
    assert not left, "the web process outlived the test"


def test_schemathesis_finds_no_failure(
    api_server: tuple[WallServer, Keys], redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    server, keys = api_server
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(server, redis_server.url, keys))
    args = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run"]
    args += [f"{server.url}/openapi.json", "--checks", "all", "--workers", "1"]
    args += ["--max-examples", EXAMPLES, "--seed", SEED, "--no-color"]
    run = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    counted = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counted and counted[1] == counted[2] and int(counted[1]) > 1000, run.stdout[-5_000:]
    # A run whose tokens did not work would pass while testing only the refusals.
    assert "Authentication failed" not in run.stdout, run.stdout[-5_000:]


@pytest.fixture
def described(settings: Settings, r: redis.Redis) -> dict[str, object]:
    with TestClient(create_app(settings).server, base_url=LOCAL) as client:
        found: dict[str, object] = client.get("/openapi.json").json()
        return found


def test_every_operation_documents_what_the_layers_in_front_of_it_answer(
    described: dict[str, object],
) -> None:
    """Host check 400, outage 503 everywhere; 401/403 where the guard asks; 413 for a body."""
    paths = described["paths"]
    assert isinstance(paths, dict)
    for path, item in paths.items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            answers = set(op["responses"])
            rule = find(method.upper(), example_path(path))
            assert rule is not None, f"{method} {path} has no row in the permission table"
            assert {"400", "503"} <= answers, (method, path)
            if not rule[0].open:
                assert {"401", "403"} <= answers, (method, path)
                assert op["security"], (method, path)
            if "requestBody" in op:
                assert "413" in answers, (method, path)
