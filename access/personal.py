"""Reporters' contact details, and who sees them whole.

Only the duty officer (who calls a reporter back) and the admin see a name, a phone number
and an e-mail address as they came; every other role sees them masked the way Chinese
government sites show them: 138****2222, 张*, z***@example.com. A caller the centre does not
know (access control off) sees them masked too.
"""

from __future__ import annotations

from collections.abc import Mapping

from access.roles import Principal

SEES_CONTACTS = frozenset({"duty", "admin"})
CONTACT_FIELDS = ("name", "phone", "email")
_KEEP_HEAD, _KEEP_TAIL = 3, 4  # of a phone number's digits


def mask_phone(phone: str) -> str:
    """The first three and the last four digits kept (138****2222); a short one starred whole."""
    digits = phone.strip()
    if len(digits) <= _KEEP_HEAD + _KEEP_TAIL:
        return "*" * len(digits)
    hidden = len(digits) - _KEEP_HEAD - _KEEP_TAIL
    return digits[:_KEEP_HEAD] + "*" * hidden + digits[-_KEEP_TAIL:]


def mask_name(name: str) -> str:
    """The first character kept (张三 → 张*, Li Wei → L******)."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_email(email: str) -> str:
    """The first character of the mailbox and the domain kept (z***@example.com)."""
    box, at, domain = email.strip().partition("@")
    if not at:
        return mask_name(box)
    return box[:1] + "*" * max(len(box) - 1, 3) + "@" + domain


MASKS = {"name": mask_name, "phone": mask_phone, "email": mask_email}


def sees_contacts(who: Principal | None) -> bool:
    return who is not None and who.role in SEES_CONTACTS


def contact_for(contact: Mapping[str, str], who: Principal | None) -> dict[str, str]:
    """A reporter's contact as ``who`` may see it: whole, or each field masked."""
    whole = sees_contacts(who)
    return {
        field: value if whole else MASKS[field](value)
        for field in CONTACT_FIELDS
        if (value := contact.get(field))
    }
