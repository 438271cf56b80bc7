"""Every POST route of the app, fed Hypothesis-generated form bodies.

Routes come from the URL map (through the access matrix's ROUTES, resolvers and
``taipei_objects``); each is paired with a persona allowed to use it and with the
WTForms form class its view reads (FORMS below: a POST route missing from it fails
``test_every_post_route_has_a_fuzz_spec``). For every field the strategies draw a
plausible value, arbitrary Unicode (emoji, RTL marks, NUL and other control
characters), 10k–100k characters, text where a number, date or choice belongs,
several values where one belongs, or nothing at all; dates out of range (民國 0,
-1, 999, 115/13/40, 115/02/30; 0001-01-01, 9999-12-31, 1900-02-29) and malformed
ID numbers. Every response must be below 500; a refusal (4xx, or a 200 page with
its form's errors) must say why in Chinese, and must leave the database exactly
as it was (row counts and a checksum of every row of every table).

The numbers per route are written to test-artifacts/form_fuzz_summary.json.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import statistics
import sys
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.access import (ACCOUNT, COUNTY_ADMIN, DISPATCH, MEMBER, MINISTRY, PARTNER, PUBLIC, ROUTES,
                                      SUP, SW, SYSADMIN, requests_for, resolvers)

EXAMPLES_PER_ROUTE = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SUMMARY: dict[str, int] = {}
# Shrinking replays a failing route hundreds of times on a shared database; the unshrunk example is reported.
PHASES = [Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("FUZZ_SHRINK") else [])


# --- Which form each POST route reads ---------------------------------------------------------

@dataclass
class Spec:
    form: str | None = None  # "module:Class" of the WTForms form the view binds to request.form
    prefix: str | None = None  # the prefix the view passes, when it is not the form's own PREFIX
    extra: dict = field(default_factory=dict)  # fields the view reads from request.form itself: name -> kind
    persona: str | None = None  # a username when the access matrix's first allowed persona would be the wrong side
    records: tuple = ()  # tables a refusal rightly writes to (a failed login is audited)


A, C, CA, I, M, RF, RP, T, REF = ("app.accounts.forms", "app.cases.forms", "app.campaigns.forms", "app.intake.forms",
                                  "app.meetings.forms", "app.referrals.forms", "app.reports.forms", "app.tenants.forms",
                                  "app.cases.reference_admin")
RECEIVER = "tpe.dv1"  # the referral of taipei_objects goes to 家防中心: the receiving side acts there

FORMS: dict[str, Spec] = {
    "accounts.login": Spec(f"{A}:LoginForm", records=("audit_events",)),
    "accounts.logout": Spec(),
    "accounts.switch_unit": Spec(extra={"membership_id": "int"}, persona="tpe.sw2"),
    "accounts.change_password": Spec(f"{A}:ChangePasswordForm"),
    "accounts.admin_user_new": Spec(f"{A}:UserCreateForm"),
    "accounts.admin_user_grant": Spec(f"{A}:GrantRoleForm"),
    "accounts.admin_user_revoke": Spec(f"{A}:ConfirmForm"),
    "accounts.admin_user_reset": Spec(f"{A}:ConfirmForm"),
    "accounts.admin_user_reset_totp": Spec(),
    # a wrong code counts toward the account's lockout (users) and is audited
    "accounts.login_verify": Spec(f"{A}:TotpCodeForm", records=("audit_events", "users")),
    "accounts.totp_setup": Spec(f"{A}:TotpCodeForm", persona="tpe.sw1", records=("audit_events", "users")),
    "accounts.totp_disable": Spec(f"{A}:TotpCodeForm", persona="tpe.sw1", records=("audit_events", "users")),
    "retention.decide": Spec("app.retention.forms:DecisionForm", extra={"case_ids": "int"}),
    "retention.case_review": Spec("app.retention.forms:DecisionForm"),
    # Centre staff are no persona of the matrix: posted by a 社福中心 worker, refused before the form is read; the
    # centre's own forms with bad input are tested in tests/investigations/test_views.py.
    **{f"investigations.{name}": Spec(f"app.investigations.forms:{form}", persona="tpe.sw1")
       for name, form in (("start", "StartForm"), ("conclude", "ConcludeForm"), ("dispatch", "DispatchForm"),
                          ("close", "CloseForm"))},
    "investigations.settings": Spec("app.investigations.forms:StartDateForm"),
    "accounts.admin_user_deactivate": Spec(f"{A}:ConfirmForm"),
    "accounts.admin_user_activate": Spec(f"{A}:ConfirmForm"),
    "tenants.unit_new": Spec(f"{T}:UnitForm"),
    "tenants.unit_edit": Spec(f"{T}:UnitForm"),
    "tenants.county_edit": Spec(f"{T}:CountyForm"),
    "tenants.partner_edit": Spec(f"{T}:PartnerForm"),
    "tenants.partner_branch_new": Spec(f"{T}:BranchForm"),
    "tenants.ministry_unit_edit": Spec(f"{T}:MinistryUnitForm"),
    "public.report_submit": Spec(f"{I}:PublicReportForm", extra={"add_person": "text"}),
    "public.report_status": Spec(f"{I}:StatusLookupForm"),
    "api.create_report": Spec(),  # JSON with a bearer token: tests/intake/test_api.py and schemathesis
    "intake.report_new": Spec(f"{I}:IntakeReportForm", extra={"add_person": "text"}),
    "intake.report_claim": Spec(),
    "intake.report_release": Spec(f"{I}:ReleaseForm", "rel"),
    "intake.report_screen_out": Spec(f"{I}:ScreenOutForm", "so"),
    "intake.report_dispatch": Spec(f"{I}:DispatchForm", "d"),
    "intake.report_refer": Spec(f"{I}:ReferForm", "r"),
    "intake.report_transfer": Spec(f"{I}:TransferForm", "t"),
    "intake.deadline_rules": Spec(f"{I}:DispatchRuleForm"),
    "intake.api_tokens": Spec(f"{I}:ApiTokenForm"),
    "intake.api_token_revoke": Spec(),
    "exchange.clients": Spec("app.exchange.forms:ClientForm"),
    "exchange.client_revoke": Spec(),
    # FHIR JSON with a bearer token (tests/exchange/test_fhir.py and schemathesis); without one, 401 and an audit entry
    "fhir.create_report": Spec(records=("audit_events",)),
    "fhir.send_status": Spec(records=("audit_events",)),
    "cases.assign": Spec(f"{C}:AssignForm", extra={"next": "text"}),
    "cases.review": Spec(f"{C}:ReviewForm"),
    "cases.reopen": Spec(f"{C}:ReopenForm"),
    "cases.add_contact": Spec(f"{C}:ContactForm"),
    "cases.assess_vulnerability": Spec(f"{C}:VulnerabilityForm"),
    "cases.write_report": Spec(f"{C}:AssessmentReportForm"),
    "cases.tipvda": Spec(f"{C}:TipvdaForm"),
    "cases.safety": Spec(f"{C}:SafetyForm"),
    "cases.decision": Spec(f"{C}:DecisionForm"),
    "cases.closing": Spec(f"{C}:ClosingForm"),
    "cases.add_plan": Spec(f"{C}:PlanForm"),
    "cases.review_plan": Spec(f"{C}:PlanReviewForm"),
    "cases.add_service": Spec(f"{C}:ServiceForm"),
    "cases.add_note": Spec(f"{C}:NoteForm"),
    "cases.mark_group": Spec(f"{C}:TargetGroupForm"),
    "cases.add_removal": Spec(f"{C}:RemovalRequestForm"),
    "cases.removal_outcome": Spec(f"{C}:RemovalOutcomeForm"),
    "cases.end_group": Spec(f"{C}:TargetGroupEndForm"),
    "cases.correct_removal": Spec(f"{C}:RemovalCorrectionForm"),
    "cases.upload_document": Spec(f"{C}:DocumentForm"),  # the file is not a form value: refused, 「請選擇要上傳的檔案」
    "cases.delete_document": Spec(f"{C}:DocumentDeleteForm"),
    "cases.household": Spec(f"{C}:HouseholdForm", extra={"member-{member}-flags": "text",
                                                         "member-{member}-welfare_type": "text",
                                                         "member-{member}-phone": "text",
                                                         "member-{member}-placement_ended_on": "date"}),
    "cases.add_member": Spec(f"{C}:MemberForm"),
    "cases.correct_member": Spec(f"{C}:MemberCorrectionForm"),
    "cases.end_member": Spec(f"{C}:MemberEndForm"),
    "reference.factor_table_new": Spec(f"{REF}:FactorTableForm"),
    "reference.tipvda_new": Spec(f"{REF}:TipvdaForm"),
    "reference.catalogue_new": Spec(f"{REF}:CatalogueForm"),
    "referrals.referral_new": Spec(f"{RF}:ReferralForm"),
    "referrals.accept": Spec(f"{RF}:AcceptForm", persona=RECEIVER),
    "referrals.decline": Spec(f"{RF}:DeclineForm", persona=RECEIVER),
    "referrals.return_": Spec(f"{RF}:CommentForm", persona=RECEIVER),
    "referrals.complete": Spec(f"{RF}:CompleteForm", persona=RECEIVER),
    "referrals.fail": Spec(f"{RF}:CommentForm", persona=RECEIVER),
    "referrals.message": Spec(f"{RF}:MessageForm"),
    "referrals.service_record": Spec(f"{RF}:ServiceRecordForm", persona=RECEIVER),
    "referrals.resubmit": Spec(f"{RF}:CommentForm"),
    "referrals.forward": Spec(f"{RF}:ForwardForm", persona=RECEIVER),
    "referrals.withdraw": Spec(f"{RF}:CommentForm"),
    "referrals.handover": Spec(f"{RF}:HandoverForm"),
    "referrals.handover_answer": Spec(f"{RF}:HandoverAnswerForm"),
    "referrals.dispute_new": Spec(f"{RF}:DisputeForm"),
    "referrals.dispute_respond": Spec(f"{RF}:DisputeResponseForm", persona=RECEIVER),
    "referrals.dispute_decide": Spec(f"{RF}:DisputeDecisionForm"),
    "referrals.service_edit": Spec(f"{RF}:PartnerServiceForm"),
    "referrals.dispute_withdraw": Spec(f"{RF}:DisputeWithdrawForm"),
    "referrals.handover_cancel": Spec(f"{RF}:HandoverCancelForm"),
    "meetings.series_new": Spec(f"{M}:SeriesForm"),
    "meetings.meeting_new": Spec(f"{M}:NewMeetingForm"),
    "meetings.minutes_edit": Spec(f"{M}:MinutesForm"),
    "meetings.finalise": Spec(),
    "meetings.item_new": Spec(f"{M}:ItemForm"),
    "meetings.remind": Spec(),
    "meetings.documents_view": Spec(f"{M}:DocumentForm"),
    "meetings.merge": Spec(f"{M}:MergeForm"),
    "meetings.case_link": Spec(f"{M}:CaseLinkForm"),
    "meetings.decide": Spec(f"{M}:DecisionForm"),
    "meetings.instruct": Spec(f"{M}:InstructionForm"),
    "meetings.release": Spec(f"{M}:ReleaseForm"),
    "meetings.reopen_part": Spec(f"{M}:ReopenForm"),
    "meetings.note": Spec(f"{M}:NoteForm"),
    "meetings.table_settings": Spec(f"{M}:TableForm"),
    "meetings.progress": Spec(f"{M}:ProgressForm"),
    "reports.request_report": Spec(f"{RP}:RequestForm"),
    "reports.submit": Spec(),
    "reports.retry": Spec(),
    "targets.save_denominator": Spec("app.targets.forms:DenominatorForm"),
    "targets.refresh": Spec(),
    "campaigns.open_campaign": Spec(f"{CA}:CampaignForm"),
    "campaigns.rules": Spec(f"{CA}:RulesForm"),
    "campaigns.compute": Spec(),
    "campaigns.tick": Spec(f"{CA}:TickForm"),
    "campaigns.add_network": Spec(f"{CA}:NetworkForm"),
    "campaigns.import_network": Spec(extra={"im-file": "file"}),
    "campaigns.add_duty": Spec(f"{CA}:DutyForm"),
    "campaigns.delete_duty": Spec(),
    "campaigns.set_unit": Spec(f"{CA}:UnitForm"),
    "campaigns.record_visit": Spec(extra={"visited_on": "date", "method": "choice", "cash": "int", "in_kind": "bool",
                                          "meals": "bool", "persons_seen": "text", "needs": "text",
                                          "referrals": "text", "finding": "text", "child-{member}-seen": "bool",
                                          "child-{member}-care": "bool", "child-{member}-note": "text"}),
}

USERNAMES = {PUBLIC: None, ACCOUNT: "tpe.sw1", MEMBER: "tpe.sw1", SW: "tpe.sw1", SUP: "tpe.sup",
             DISPATCH: "tpe.dispatch", COUNTY_ADMIN: "tpe.admin", MINISTRY: "moh.protect", SYSADMIN: "sysadmin",
             PARTNER: "ngo.staff"}


def persona_for(endpoint: str) -> str | None:
    if FORMS[endpoint].persona:
        return FORMS[endpoint].persona
    route = ROUTES[endpoint]
    return USERNAMES[(route.party or route.allowed)[0]]


def post_endpoints(app) -> set[str]:
    return {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}


def test_every_post_route_has_a_fuzz_spec(app):
    missing = sorted(post_endpoints(app) - set(FORMS))
    stale = sorted(set(FORMS) - post_endpoints(app))
    assert not missing and not stale, f"POST routes without a fuzz spec: {missing}; specs without a route: {stale}"


# --- Values ------------------------------------------------------------------------------------

NASTY = ["\x00", "王\x00小明", "\u200f\u202e反轉文字\u202c", "👨‍👩‍👧‍👦🧒🏻🏳️‍🌈", "\x1b[2J\x07\x08", "\ufeff\u200b", "\r\n\r\n",
         "   ", "\t", "\u0085\u2028\u2029", "' OR 1=1 --", "%s%n%x", "{{7*7}}${7*7}", "<script>alert(1)</script>",
         "../../etc/passwd", "𠮷𩸽", "\U0010FFFF", "\x7f\x9f"]
ROC_DATES = ["0/01/01", "民國0年1月1日", "-1/01/01", "民國-1年1月1日", "999/12/31", "115/13/40", "115/02/30",
             "115/00/00", "１１５／０２／３０", "1000/01/01", "99999/01/01"]
GREGORIAN = ["0001-01-01", "9999-12-31", "1900-02-29", "10000-01-01", "0000-00-00", "1899-12-31", "2026-02-30",
             "2026-11-30T25:61", "9999-12-31T23:59", "0001-01-01T00:00", "-2026-01-01"]
ID_NUMBERS = ["A123456788", "a123456789", "A1234567890", "Ａ１２３４５６７８９", "A12345678", "123456789A",
              "AA12345678", "A823456789", "Z999999999", "ＡＢ１２３４５６７８", "A12345678\x00", "Ａ１２３"]
NUMBERS = ["-1", "0", "2147483647", "2147483648", "9223372036854775808", "99999999999999999999999",
           "-99999999999999999999", "1e9", "NaN", "inf", "٣", "1.5", "0x10", " 7 ", "１２", "--1"]
PLAUSIBLE = {"text": "測試文字", "date": "115/01/02", "isodate": "2026-11-02", "datetime": "2026-11-30T10:00",
             "int": "1", "bool": "y", "id": "A123456789"}

unicode_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
long_text = st.builds(lambda s, n: (s * (n // len(s) + 1))[:n], st.text(st.characters(exclude_categories=("Cs",)),
                                                                       min_size=1, max_size=4),
                      st.integers(10_000, 100_000))
hostile = st.one_of(unicode_text, long_text, st.sampled_from(NASTY + ROC_DATES + GREGORIAN + ID_NUMBERS + NUMBERS))
BY_KIND = {"date": ROC_DATES + GREGORIAN, "isodate": GREGORIAN + ROC_DATES, "datetime": GREGORIAN,
           "int": NUMBERS, "choice": NUMBERS, "intchoice": NUMBERS, "multi": NUMBERS, "id": ID_NUMBERS,
           "text": NASTY, "bool": NASTY}


def value_for(kind: str, plausible: list):
    own = st.sampled_from(plausible) if plausible else st.just(PLAUSIBLE.get(kind, "1"))
    return st.one_of(own, st.sampled_from(BY_KIND.get(kind, NASTY)), hostile)


def field_body(name: str, kind: str, plausible: list):
    if kind == "file":
        content = st.one_of(st.binary(max_size=200), st.builds(
            lambda rows: ("案號,網絡單位,說明\n" + "\n".join(",".join(r) for r in rows)).encode(),
            st.lists(st.lists(hostile.filter(lambda s: len(s) < 300), min_size=1, max_size=4), max_size=4)))
        return st.one_of(st.none(), st.builds(lambda c, n: (io.BytesIO(c), n), content,
                                              st.sampled_from(["x.csv", "", "../../x.csv", "名單\x00.csv"])))
    one = value_for(kind, plausible)
    if kind == "multi":
        return st.one_of(st.none(), st.lists(one, max_size=4))
    return st.one_of(st.none(), one, st.lists(one, min_size=2, max_size=3))  # missing, one, or several


def _kind(f) -> str:
    t = type(f).__name__
    if t == "FlexibleDateField":
        return "date"
    if t == "DateField":
        return "isodate"
    if t in ("DateTimeLocalField", "DateTimeField", "RocDateTimeField"):
        return "datetime"
    if t in ("IntegerField", "DecimalField", "FloatField"):
        return "int"
    if t == "BooleanField":
        return "bool"
    if t == "SelectMultipleField":
        return "multi"
    if t in ("SelectField", "RadioField"):
        return "intchoice" if getattr(f, "coerce", str) is int else "choice"
    if t in ("FileField", "MultipleFileField"):
        return "file"
    return "id" if "id_number" in f.name else "text"


def _leaves(form):
    from wtforms import FieldList, FormField

    for f in form:
        if isinstance(f, FieldList):
            for entry in f.entries:
                yield from (_leaves(entry.form) if isinstance(entry, FormField) else [entry])
        elif isinstance(f, FormField):
            yield from _leaves(f.form)
        elif f.type != "CSRFTokenField":
            yield f


def form_fields(app, spec: Spec, ids: list[int], member_ids: list[int]) -> list[tuple[str, str, list]]:
    """(name, kind, plausible values) for every field the route's view reads."""
    import importlib

    out = []
    if spec.form:
        module, name = spec.form.split(":")
        cls = getattr(importlib.import_module(module), name)
        with app.test_request_context():
            kwargs = {"formdata": None}
            if spec.prefix:
                kwargs["prefix"] = spec.prefix
            form = cls(**kwargs)
            for f in _leaves(form):
                kind = _kind(f)
                plausible = []
                choices = getattr(f, "choices", None)
                if kind in ("choice", "intchoice", "multi") and choices and not callable(choices):
                    flat = choices if isinstance(choices, list) else [c for group in choices.values() for c in group]
                    plausible = [str(c[0]) for c in flat if str(c[0])]
                if kind in ("intchoice", "multi") and not plausible:
                    plausible = [str(i) for i in ids]
                if f.name.endswith("version"):
                    plausible = ["1", "2"]
                out.append((f.name, kind, plausible))
    for name, kind in spec.extra.items():
        for member in (member_ids or [0]) if "{member}" in name else [None]:
            out.append((name.format(member=member), kind, [str(i) for i in ids] if kind == "int" else []))
    return out


def bodies(fields):
    junk = st.dictionaries(st.sampled_from(["x", "persons-99999999999999999999-name", "csrf_token\x00", "\u202e",
                                            "submit", "next"]), hostile, max_size=2)
    return st.builds(lambda values, extra: {**extra, **{k: v for k, v in values.items() if v is not None}},
                     st.fixed_dictionaries({name: field_body(name, kind, plausible) for name, kind, plausible in fields}),
                     junk)


# --- What a refusal must look like, and the database it must leave alone -----------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
ERROR_BLOCK = re.compile(r'class="[^"]*(?:invalid-feedback|alert-danger|error-page)[^"]*"[^>]*>(.*?)</div>', re.S)


def error_messages(response) -> list[str]:
    if response.is_json:
        body = response.get_json(silent=True) or {}
        return [json.dumps(body, ensure_ascii=False)] if CJK.search(json.dumps(body, ensure_ascii=False)) else []
    return [m for m in ERROR_BLOCK.findall(response.get_data(as_text=True)) if CJK.search(m)]


_SELECTS: list = []


def snapshot(db) -> dict[str, tuple[int, str]]:
    """Per table: the row count and a SHA-256 of every row, across counties."""
    from app.core import tenancy

    if not _SELECTS:
        _SELECTS.extend((t.name, sa.select(t)) for t in db.metadata.sorted_tables)
    out = {}
    with tenancy.all_tenants("fuzz: the whole database before and after a refused request"):
        connection = db.session.connection()
        for name, select in _SELECTS:
            rows = sorted(repr(tuple(r)) for r in connection.execute(select))
            out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def changed_tables(before, after) -> list[str]:
    return sorted(t for t in before if before[t] != after.get(t))


# --- The property ---------------------------------------------------------------------------------

def _member_ids(db, case_id: int) -> list[int]:
    from app.cases.models import FamilyCase
    from app.core import tenancy

    with tenancy.all_tenants("fuzz: the case's members for per-member fields"):
        case = db.session.get(FamilyCase, case_id)
        return [m.id for m in case.members]


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_form_fuzz(endpoint, app, db, client, as_user, factories, taipei_objects):
    values = resolvers(factories, taipei_objects)
    urls = [url for e, method, url, _ in requests_for(app, values) if e == endpoint and method == "POST"]
    assert urls, endpoint
    username = persona_for(endpoint)
    person = as_user(username) if username else client
    ids = sorted({v for k, v in values.items() if isinstance(v, int)}
                 | {factories.unit("臺北市中正社會福利服務中心").id, factories.unit("臺北市家庭暴力暨性侵害防治中心").id,
                    factories.user("tpe.sw1").id, factories.county("臺北市").id})
    fields = form_fields(app, FORMS[endpoint], ids, _member_ids(db, taipei_objects["tpe_case"]))
    ran = []
    allowed_changes = set(FORMS[endpoint].records)
    state = {"now": snapshot(db)}  # what the database holds before the next example

    @given(url=st.sampled_from(urls), body=bodies(fields), htmx=st.booleans())
    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True, database=None, phases=PHASES,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
    def check(url, body, htmx):
        ran.append(1)
        before = state["now"]
        headers = {"HX-Request": "true"} if htmx else {}
        for value in body.values():  # a file's stream is read once per request
            if isinstance(value, tuple) and hasattr(value[0], "seek"):
                value[0].seek(0)
        response = person.post(url, body, headers=headers, content_type="multipart/form-data")
        after = state["now"] = snapshot(db)
        status = response.status_code
        assert status < 500, f"{status} for {url} {_short(body)}"
        messages = error_messages(response)
        refused = status >= 400 or (status == 200 and messages)
        if status >= 400 and status != 401:
            assert messages, f"{status} without a Chinese message for {url} {_short(body)}: " \
                             f"{response.get_data(as_text=True)[:300]}"
        if refused:
            changed = set(changed_tables(before, after)) - allowed_changes
            assert not changed, f"refused ({status}) but changed {sorted(changed)}: {url} {_short(body)}"

    check()
    SUMMARY[endpoint] = len(ran)


def _short(body) -> str:
    return repr({k: (v[:80] + f"…({len(v)})" if isinstance(v, str) and len(v) > 80 else v) for k, v in body.items()})[:600]


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    if not SUMMARY:
        return
    counts = sorted(SUMMARY.values())
    report = {"routes": len(SUMMARY), "examples_total": sum(counts), "min": counts[0], "max": counts[-1],
              "median": statistics.median(counts), "per_route": dict(sorted(SUMMARY.items()))}
    from pathlib import Path

    target = Path(__file__).resolve().parents[2] / "test-artifacts"
    target.mkdir(exist_ok=True)
    (target / "form_fuzz_summary.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"\nform fuzz: {report['routes']} POST routes, {report['examples_total']} examples "
          f"(per route min {report['min']}, median {report['median']}, max {report['max']})", file=sys.__stderr__)
