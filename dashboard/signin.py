"""The sign-in page (`GET /login`): a plain form, outside Dash, that any browser can open
before it is anyone; assets/signin/ posts it to `POST /auth/login` (dashboard/guard.py)."""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from dashboard.i18n import lang_of, t

PATH = "/login"


def signin_page(lang_value: str | None, town: str, after: str | None = None) -> str:
    """The form in the asked language; ``after``: the page to go to once signed in."""
    lang = lang_of(lang_value)
    other = "en" if lang == "zh" else "zh"
    switch = escape("?" + urlencode({"lang": other, **({"next": after} if after else {})}))

    def say(key: str) -> str:
        return escape(t(f"signin.{key}", lang))

    title = escape(f"{t('signin.title', lang)} · {t('app.title', lang, town=town)}")
    html_lang, other_lang = ("zh-CN", "en") if lang == "zh" else ("en", "zh-CN")
    return f"""<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{title}">
<title>{title}</title>
<link rel="icon" href="/_favicon.ico">
<link rel="stylesheet" href="/assets/signin/signin.css">
</head>
<body>
<main>
<h1>{escape(t("app.title", lang, town=town))}</h1>
<form id="signin" data-wrong="{say("wrong")}" data-locked="{say("locked")}"
 data-failed="{say("failed")}">
<label for="username">{say("username")}</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">{say("password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{say("submit")}</button>
<p id="signin-message" role="alert"></p>
</form>
<p class="signin-lang"><a href="{switch}" lang="{other_lang}">{say("other")}</a></p>
</main>
<script src="/assets/signin/signin.js"></script>
</body>
</html>
"""


def signin_router(town: str) -> APIRouter:
    router = APIRouter()

    @router.get(PATH, response_class=HTMLResponse, include_in_schema=False)
    def signin(
        lang: Annotated[str | None, Query()] = None,
        after: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    ) -> HTMLResponse:
        """The sign-in form."""
        page = signin_page(lang, town, after)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return router
