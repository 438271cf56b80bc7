"""Every date a person reads is ROC (民國), no date is typed into the browser's Gregorian picker, and
every choice list can be told apart (no two options or checkboxes read alike: 「家扶基金會（民間）」 four times).

With the whole demo data set loaded, each persona walks every GET page it can reach by links
from its home page (breadth first, same site, no downloads). The visible text, the values of
visible inputs and their placeholders must hold no Gregorian date (``2026-12-06``, ``2026/12/06``),
and no input may be ``type="date"`` or ``datetime-local`` (the browser's Gregorian calendar):
dates are entered in the one ROC picker (``data-roc-date``).
"""
from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

GREGORIAN = re.compile(r"\b(?:19|20)\d\d-\d\d-\d\d\b|\b(?:19|20)\d\d/\d\d?/\d\d?\b")
SKIP = re.compile(r"^/(?:static/|logout|login|api/|healthz)|\.(?:pdf|xlsx|csv|ods)(?:\?|$)|/(?:pdf|xlsx|csv|download)(?:/|\?|$)|"
                  r"[?&]format=")
PERSONAS = ["tpe.sw1", "tpe.sup", "tpe.dispatch", "tpe.dv1", "tpe.admin", "ngo.staff", "moh.protect", "sysadmin"]
MAX_PAGES = 120


class _Reader(HTMLParser):
    """Visible text, visible input values and placeholders; links; machine date inputs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.native_dates: list[str] = []
        self._hidden_depth = 0
        self.selects: list[tuple[str, list[str]]] = []  # (name, option labels)
        self._select = None
        self._option = None
        self.label_for: dict[str, list[str]] = {}
        self._label = None
        self.checks: list[tuple[str, str]] = []  # (name, id) of checkboxes and radios
        self._forms = 0  # the same radio group may stand in several forms (one per household member)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden_depth += 1
        if tag == "a" and a.get("href") and "download" not in a:
            self.links.append(a["href"])
        if tag == "select":
            self._select = (a.get("name") or "?", [])
        if tag == "option" and self._select is not None:
            self._option = []
        if tag == "label" and a.get("for"):
            self._label = (a["for"], [])
        if tag == "form":
            self._forms += 1
        if tag == "input" and (a.get("type") or "").lower() in ("checkbox", "radio") and a.get("id"):
            self.checks.append((f"{a.get('name') or '?'}#{self._forms}", a["id"]))
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("date", "datetime-local", "month", "week"):
                self.native_dates.append(a.get("name") or "?")
            if kind in ("text", "search", "tel", "email", "number", "url"):
                self.text.append(a.get("value") or "")
                self.text.append(a.get("placeholder") or "")
        if tag == "textarea":
            self.text.append(a.get("placeholder") or "")
        for name in ("title", "aria-label", "data-bs-title"):
            if a.get(name):
                self.text.append(a[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden_depth:
            self._hidden_depth -= 1
        if tag == "option" and self._option is not None and self._select is not None:
            self._select[1].append(" ".join("".join(self._option).split()))
            self._option = None
        if tag == "select" and self._select is not None:
            self.selects.append(self._select)
            self._select = None
        if tag == "label" and self._label is not None:
            self.label_for[self._label[0]] = " ".join("".join(self._label[1]).split())
            self._label = None

    def handle_data(self, data):
        if not self._hidden_depth:
            self.text.append(data)
        if self._option is not None:
            self._option.append(data)
        if self._label is not None:
            self._label[1].append(data)

    def duplicate_choices(self) -> list[str]:
        """Choice lists in which two choices read the same."""
        out = []
        groups = [(f"<select name={name}>", labels) for name, labels in self.selects]
        by_name: dict[str, list[str]] = {}
        for name, ident in self.checks:
            by_name.setdefault(name, []).append(self.label_for.get(ident, ident))
        groups += [(f"checkboxes {name.rsplit('#', 1)[0]}", labels) for name, labels in by_name.items()]
        for where, labels in groups:
            seen, twice = set(), set()
            for label in labels:
                (twice if label in seen else seen).add(label)
            if twice:
                out.append(f"{where}: {sorted(twice)}")
        return out


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    return reader


def test_reader_finds_gregorian_dates_and_native_pickers():
    r = read('<p>2027-03-06 檢討</p><input type="hidden" value="2026-12-06"><input type="date" name="d">'
             '<script>var x="2026-01-01"</script><span>115/12/06</span><input value="2026/12/6">')
    found = GREGORIAN.findall(" ".join(r.text))
    assert found == ["2027-03-06", "2026/12/6"] and r.native_dates == ["d"]


def test_reader_finds_choices_that_read_alike():
    r = read('<select name="u"><option value="1">家扶基金會（民間）</option><option value="2">家扶基金會（民間）</option>'
             '<option value="3">善牧</option></select><input type="checkbox" name="c" id="c1"><label for="c1">甲</label>'
             '<input type="checkbox" name="c" id="c2"><label for="c2">甲</label><select name="ok"><option>乙</option></select>')
    assert r.duplicate_choices() == ["<select name=u>: ['家扶基金會（民間）']", "checkboxes c: ['甲']"]


@pytest.fixture
def demo_world(db):
    from app.campaigns.demo import seed_demo_campaign
    from app.cases.demo import seed_demo_cases
    from app.intake.demo import seed_demo_reports
    from app.meetings.demo import seed_demo_meetings
    from app.referrals.demo import seed_demo_referrals
    from app.reports.demo import seed_demo_reports as seed_demo_statistics

    for seed in (seed_demo_reports, seed_demo_cases, seed_demo_referrals, seed_demo_meetings, seed_demo_campaign,
                 seed_demo_statistics):
        seed()
        db.session.commit()


def crawl(user, start: str = "/"):
    seen, queue, problems, choices = set(), deque([start]), [], []
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = user.get(url)
        if response.status_code != 200 or "text/html" not in response.headers.get("Content-Type", ""):
            continue
        html = response.get_data(as_text=True)
        reader = read(html)
        text = " ".join(reader.text)
        for match in GREGORIAN.finditer(text):
            problems.append(f"{url}: 西元日期 {match.group(0)!r} in …{text[max(0, match.start() - 40):match.end() + 20]!r}")
        for name in reader.native_dates:
            problems.append(f"{url}: <input type=date/datetime-local name={name!r}>")
        choices += [f"{url}: {d}" for d in reader.duplicate_choices()]
        for href in reader.links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(href):
                continue
            if href not in seen:
                queue.append(href)
    return seen, problems, choices


WALKED: dict = {}  # persona -> what its walk found (both tests read one walk)


def walk(as_user, username):
    if username not in WALKED:
        WALKED[username] = crawl(as_user(username))
    return WALKED[username]


@pytest.mark.parametrize("username", PERSONAS)
def test_every_page_reads_roc_dates(demo_world, as_user, username):
    seen, problems, _ = walk(as_user, username)
    assert len(seen) > 3, f"{username} reached only {sorted(seen)}"
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("username", PERSONAS)
def test_every_choice_list_can_be_told_apart(demo_world, as_user, username):
    _, _, choices = walk(as_user, username)
    assert not choices, "\n".join(sorted(set(choices)))


def test_public_pages_read_roc_dates(demo_world, client):
    _, problems, choices = crawl(client, "/report")
    assert not problems, "\n".join(sorted(set(problems)))
    assert not choices, "\n".join(sorted(set(choices)))
