"""Reporters' contacts as a role other than duty or admin sees them (access/personal.py), and
the contact a record's reporter gives (cases/reporters.py)."""

from __future__ import annotations

import pytest

from access.personal import contact_for, mask_email, mask_name, mask_phone
from access.roles import Principal
from cases.reporters import contact_of


@pytest.mark.parametrize(
    ("phone", "shown"),
    [("13812342222", "138****2222"), ("+8613812342222", "+86*******2222"),
     ("0510-86001234", "051******1234"), ("1234567", "*******"), ("", "")],
)  # fmt: skip
def test_a_phone_keeps_its_first_three_and_last_four(phone: str, shown: str) -> None:
    assert mask_phone(phone) == shown


def test_a_name_and_a_mailbox_keep_their_first_character() -> None:
    assert (mask_name("张三"), mask_name("欧阳娜娜"), mask_name("Li Wei")) == (
        "张*",
        "欧***",
        "L*****",
    )
    assert mask_email("ab@example.cn") == "a***@example.cn"  # a short box: no length given away
    assert mask_email("no-at-sign") == "n*********"


def test_only_duty_and_admin_see_a_contact_whole() -> None:
    contact = {"name": "张三", "phone": "13812342222", "email": "zs@example.cn", "other": "x"}
    for role in ("duty", "admin"):
        who = Principal("user", "u", "U", role)
        assert contact_for(contact, who) == {k: contact[k] for k in ("name", "phone", "email")}
    for role in ("leader", "handler", "inspector", "wall", "feed"):
        seen = contact_for(contact, Principal("token", "t", "T", role))
        assert seen == {"name": "张*", "phone": "138****2222", "email": "z***@example.cn"}
    assert contact_for(contact, None)["phone"] == "138****2222"  # access control off


def test_a_records_reporter_gives_a_name_phone_and_mailbox() -> None:
    open311 = {"first_name": "三", "last_name": "张", "phone": " 13812342222 ", "device_id": "d"}
    assert contact_of({"reporter": open311}) == {"name": "张三", "phone": "13812342222"}
    latin = {"first_name": "Wei", "last_name": "Li", "email": "li@example.cn"}
    assert contact_of({"reporter": latin}) == {"name": "Wei Li", "email": "li@example.cn"}
    assert contact_of({"reporter": "王五"}) == {"name": "王五"}  # the governance export's 上报人
    assert contact_of({"reporter": "  "}) == contact_of({}) == contact_of({"reporter": 3}) == {}
