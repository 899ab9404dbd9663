"""A case's photos: the addresses its source records gave, read from the raw records, each
once, only http(s) ones (a screen links them; a `javascript:` address is never a link)."""

from __future__ import annotations

import pytest
import redis

from cases.engine import Engine
from core.keys import Keys
from dashboard.api import case_detail
from tests.support.pipeline import drain, push
from tests.support.urban import reported_now, urban_record

pytestmark = pytest.mark.redis
PHOTO = "https://img.example.cn/xxk/T-000701-1.jpg"


def test_the_photos_are_the_records_http_addresses_each_once(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    at = reported_now()
    given = [PHOTO, "javascript:alert(1)", " " + PHOTO, "ftp://img.example.cn/x.jpg"]
    push(r, keys, [urban_record(701, sbsj=at, tp=given)])
    push(r, keys, [urban_record(701, sbsj=at, tp=[PHOTO, PHOTO + "?2"], zt="处置中")])
    drain(engine)
    found = case_detail(r, keys, "urban:T-000701", None)
    assert found is not None
    assert found["photos"] == [PHOTO, PHOTO + "?2"]
    push(r, keys, [urban_record(702, sbsj=at)])
    drain(engine)
    assert (case_detail(r, keys, "urban:T-000702", None) or {})["photos"] == []
