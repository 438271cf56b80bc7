"""Text with HTML, script and template syntax in every user text field renders
escaped: on every page and htmx fragment that shows it, and in the PDFs, where
outside URLs in user text make the renderer fetch nothing.

Each field gets its own tag, so the test can tell that the field's text reached
a page (escaped) as well as that it never arrived raw.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest

from app.core import tenancy
from tests.access import requests_for, resolvers


def short(tag: str) -> str:
    """≤ 60 characters, for name-sized columns."""
    return f'<script>alert("{tag}")</script>Z{{{{7*7}}}}Z'


def long(tag: str) -> str:
    return short(tag) + '<img src=x onerror=alert(1)><img src="http://example.invalid/x.png">' \
        '<span style="background:url(http://example.invalid/y.png)">u</span>'


def escaped(tag: str) -> str:
    return f"&lt;script&gt;alert(&#34;{tag}&#34;)&lt;/script&gt;Z{{{{7*7}}}}Z"


RAW = re.compile(r"<script>alert|<img[^>]*(?:onerror|example\.invalid)|Z49Z")


@pytest.fixture
def hostile(db, factories, taipei_objects):
    """taipei_objects with hostile text in every user text field; returns tag -> where it should show."""
    from app.campaigns.models import Campaign, DutyContact
    from app.cases.models import CaseContact, CaseNote, FamilyCase, ServicePlan
    from app.cases.reference import ContactMethod
    from app.intake.models import Report
    from app.meetings import services as meetings
    from app.meetings.models import ActionItem, Meeting, MeetingSeries, Recommendation
    from app.referrals import services as referrals
    from app.referrals.models import Referral

    o = taipei_objects
    taipei = factories.county("臺北市")
    sw1, dv1 = factories.user("tpe.sw1"), factories.user("tpe.dv1")
    with tenancy.tenant_scope(taipei.id):
        report = db.session.get(Report, o["tpe_report"])
        report.narrative, report.address = long("rn"), short("ra")
        report.persons[0].name = short("rp")
        case = db.session.get(FamilyCase, o["tpe_case"])
        case.address = short("ca")
        case.members[0].name = short("cm")
        db.session.add(CaseNote(tenant_id=taipei.id, case_id=case.id, text=long("cn"), written_by_id=sw1.id))
        db.session.add(CaseContact(tenant_id=taipei.id, case_id=case.id, contacted_at=case.created_at,
                                   method=ContactMethod.HOME_VISIT, note=long("cc"), worker_id=sw1.id, worker_name="社工"))
        db.session.get(ServicePlan, o["tpe_plan"]).goals = long("cp")
        referral = db.session.get(Referral, o["tpe_referral"])
        referral.reason, referral.services_requested = long("fr"), long("fs")
        db.session.flush()
        referrals.message(referral, dv1, dv1.memberships[0], long("fm"))
        series = db.session.get(MeetingSeries, o["tpe_series"])
        series.name = short("ms")
        item = db.session.get(ActionItem, o["tpe_item"])
        item.title, item.instruction = short("mt"), long("mi")
        meeting = db.session.get(Meeting, o["tpe_meeting"])
        meetings.write_progress(item, meeting, sw1.memberships[0].unit_id, long("mp"), Recommendation.CONTINUE,
                                user=sw1)
        campaign = db.session.get(Campaign, o["campaign"])
        campaign.name = short("kn")
        duty = db.session.get(DutyContact, o["tpe_duty"])
        duty.person, duty.note = short("kp"), long("kd")[:200]
        sw1.display_name = short("un")[:50]
        db.session.commit()
    return {"rn", "ra", "rp", "ca", "cm", "cn", "cc", "cp", "fr", "fs", "fm", "ms", "mt", "mi", "mp", "kn", "kp",
            "kd", "un"}


PEOPLE = ["tpe.sw1", "tpe.sup", "tpe.dispatch", "tpe.admin", "tpe.dv1", "moh.protect", "sysadmin"]


def test_every_page_and_fragment_escapes_user_text(app, as_user, factories, hostile, taipei_objects):
    urls = [url for endpoint, method, url, _ in requests_for(app, resolvers(factories, taipei_objects))
            if method == "GET" and endpoint not in ("static", "reports.download", "reports.national",
                                                   "meetings.document_pdf", "cases.document_download",
                                                   "referrals.document_download")]  # files, not pages
    seen, raw = set(), []
    for username in PEOPLE:
        person = as_user(username)
        for url in urls:
            for headers in ({}, {"HX-Request": "true"}):
                response = person.get(url, headers=headers)
                assert response.status_code < 500, (username, url, headers)
                body = response.get_data(as_text=True)
                if RAW.search(body):
                    raw.append(f"{username} {url} {headers}: …{body[max(0, RAW.search(body).start() - 80):][:200]}")
                seen |= {tag for tag in hostile if escaped(tag) in body}
    assert not raw, "raw user markup in pages:\n" + "\n".join(raw[:20])
    assert seen == hostile, f"fields whose text no page showed (escaped): {sorted(hostile - seen)}"


# --- PDFs ---------------------------------------------------------------------------------------

pdf = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed (make test installs it)")


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the locked fetcher for."""
    from app.core.pdf import LockedFetcher

    urls = []
    original = LockedFetcher.fetch

    def spy(self, url, *args, **kwargs):
        urls.append(url)
        return original(self, url, *args, **kwargs)

    monkeypatch.setattr(LockedFetcher, "fetch", spy)
    return urls


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", text)


def literal(tag: str) -> str:
    return re.sub(r"\s+", "", f'<script>alert("{tag}")</script>Z{{{{7*7}}}}Z')


@pdf
def test_meeting_pdfs_show_user_text_literally_and_fetch_nothing(app, db, factories, hostile, taipei_objects,
                                                                 fetched, tmp_path):
    from app.meetings import documents
    from app.meetings.models import DocumentKind, Meeting

    with tenancy.tenant_scope(factories.county("臺北市").id), app.test_request_context():
        meeting = db.session.get(Meeting, taipei_objects["tpe_meeting"])
        for kind, tags in ((DocumentKind.TRACKING, ("mt", "mi", "mp")), (DocumentKind.MINUTES, ("ms", "mt"))):
            html = documents.html_for(meeting, kind)
            assert not RAW.search(html), kind
            data, _ = documents.pdf_bytes(html)
            text = pdf_text(data, tmp_path)
            for tag in tags:
                assert literal(tag) in text, (kind, tag)
            if kind == DocumentKind.TRACKING:
                assert "http://example.invalid/x.png" in text  # the <img> is text, not an image
    assert all(url.startswith("data:") for url in fetched), fetched


@pdf
def test_report_pdf_shows_user_text_literally_and_fetches_nothing(app, db, fetched, tmp_path):
    from app.core.pdf import render_pdf
    from app.reports import queries, services
    from app.reports.models import PeriodKind, ReportKind
    from app.reports.periods import Period

    counts = queries.count_empty(ReportKind.VISITS)
    counts["by_centre"] = {short("rc"): dict(counts["total"])}  # a 社福中心's name, typed by a county administrator
    with app.test_request_context():
        html = services.render_html(ReportKind.VISITS, queries.derive(ReportKind.VISITS, counts), county_name=short("rk"),
                                    period=Period.of(PeriodKind.QUARTER, 2026, 3), version=2, correction=long("rx"),
                                    today=date(2026, 11, 30))
    assert not RAW.search(html)
    data, _ = render_pdf(html)
    text = pdf_text(data, tmp_path)
    for tag in ("rc", "rk", "rx"):
        assert literal(tag) in text, tag
    assert "http://example.invalid/x.png" in text
    assert all(url.startswith("data:") for url in fetched), fetched


def test_the_spy_sees_what_the_renderer_would_fetch(fetched):
    """The spy is on the path WeasyPrint uses: markup that asks for outside URLs reaches it, and is refused."""
    from app.core.pdf import render_pdf

    render_pdf('<img src="http://example.invalid/x.png"><div style="background:url(file:///etc/passwd)">x</div>')
    assert "http://example.invalid/x.png" in fetched and "file:///etc/passwd" in fetched
