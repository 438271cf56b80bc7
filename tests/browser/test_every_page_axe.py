"""Every page without an address parameter, opened by each kind of user, so that axe (tests/browser/axe.py)
also checks the pages no journey happens to pass: the administrators' settings, the ministry's
overviews, the partner's lists, the public pages. Downloads and the API are not pages."""
import pytest

from tests.browser.axe import ENABLED
from tests.browser.helpers import login, logout
from tests.support import LIVE

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not ENABLED, reason="axe runs in the SQLite half of .ci/run (AXE=on to run it here)")]

PERSONAS = ["tpe.sw1", "tpe.dispatch", "tpe.admin", "ngo.staff", "moh.protect", "sysadmin"]
NOT_PAGES = ("/api/", "/static/", "/healthz", "/logout", "/fhir", "/exchange/")


def _pages() -> list[str]:
    paths = set()
    for rule in LIVE["app"].url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule.startswith(NOT_PAGES):
            continue
        if rule.rule.endswith((".csv", ".pdf", ".xlsx", "/count", "/districts", "/list-run")):
            continue
        paths.add(rule.rule)
    return sorted(paths)


@pytest.mark.parametrize("username", [None, *PERSONAS])
def test_every_page_as(page, username):
    if username:
        login(page, username)
        page.wait_for_url("**/")
    seen = 0
    for path in _pages():
        try:
            answer = page.goto(path)
        except Exception:  # a download, not a page
            continue
        if answer is not None and answer.headers.get("content-type", "").startswith("text/html"):
            seen += 1
    assert seen > 10
    assert page.axe.problems() == [], page.axe.problems()
    if username:
        logout(page)
