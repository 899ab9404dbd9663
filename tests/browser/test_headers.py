"""The browser's rules (dashboard/headers.py) in Chromium: the sign-in and admin pages run
under the Content-Security-Policy without one violation (the wall's tests fail on any console
error, which a violation is too), an inline script that something slipped into a page does not
run, and every answer carries the rules."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.support.webserver import WallServer

pytestmark = [pytest.mark.browser, pytest.mark.redis]
DESK = {"width": 1920, "height": 1080}
# Count the policy's refusals from the first script on (each would also be a console error).
WATCH = "window.__refused = []; document.addEventListener('securitypolicyviolation', e => "
WATCH += "window.__refused.push(e.violatedDirective + ' ' + e.blockedURI));"
INJECT = """() => {
  const s = document.createElement('script');
  s.textContent = 'window.__ran = true';
  document.body.appendChild(s);
  return window.__ran === true;
}"""


def _holds(page: Page, where: str) -> None:
    assert page.evaluate("() => window.__refused") == [], where
    assert page.evaluate(INJECT) is False, f"{where}: an inline script ran"
    assert page.evaluate("() => window.__refused.length") == 1, "the policy refused it"


def test_the_sign_in_and_admin_pages_run_under_the_policy_and_an_inline_script_does_not(
    browser: Browser, wall_server: WallServer
) -> None:
    # The wall: every wall test fails on a console error, which each violation also is.
    context = browser.new_context(viewport=DESK)
    try:
        page = context.new_page()
        page.add_init_script(WATCH)
        page.goto(f"{wall_server.url}/login")
        _holds(page, "sign-in")
        name, password = wall_server.admin
        page.fill("#username", name)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/wall*")
        page.goto(f"{wall_server.url}/admin")
        page.wait_for_selector(".ag-root", timeout=30_000)
        _holds(page, "admin")
    finally:
        context.close()


def test_every_answer_carries_the_rules(wall_server: WallServer) -> None:
    with httpx.Client(base_url=wall_server.url) as client:
        for path in ("/login", "/healthz", "/api/cases", "/assets/wall.css", "/nothing"):
            answer = client.get(path)
            assert answer.headers["X-Content-Type-Options"] == "nosniff", path
            assert answer.headers["Referrer-Policy"] == "same-origin", path
            policy = answer.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy and "'unsafe-eval'" not in policy, path
            assert "script-src 'self' 'sha256-" in policy, path
