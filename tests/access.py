"""The access matrix's data: every route × anonymous / another county / wrong role / right role.

The matrix is built from the app's URL map: a route that is not listed in
ROUTES fails ``test_every_route_is_in_the_matrix`` (tests/test_access.py), so no new page can escape
these checks. Objects in URLs belong to 臺北市; the "other county" personas
are 花蓮縣 people holding the same roles one county away: for them an object
of 臺北市 must not exist (404), and list pages show only 花蓮縣.
"""
from __future__ import annotations

from dataclasses import dataclass, field


PUBLIC, ACCOUNT, MEMBER = "public", "account", "member"
SW, SUP, DISPATCH, COUNTY_ADMIN, SYSADMIN, MINISTRY, PARTNER = (
    "sw", "sup", "dispatch", "county_admin", "sysadmin", "ministry", "partner")
INVESTIGATOR = "investigator"  # a worker or supervisor of a county's 通報調查處理中心


@dataclass
class Route:
    allowed: tuple  # tokens of who may use it
    params: dict = field(default_factory=dict)  # url arg -> resolver name
    county_object: bool = False  # names an object of 臺北市: another county gets 404
    party: tuple | None = None  # when set, only these tokens are party to the object; other allowed roles get 404
    county_wide: bool = False  # names the county itself, not a unit's record: another unit of 臺北市 may use it


ROUTES = {
    "static": Route((PUBLIC,), {"filename": "css/app.css"}),
    "health.healthz": Route((PUBLIC,)),
    "accounts.login": Route((PUBLIC,)),
    "accounts.logout": Route((ACCOUNT,)),
    "accounts.switch_unit": Route((ACCOUNT,)),
    "accounts.change_password": Route((ACCOUNT,)),
    "accounts.login_verify": Route((PUBLIC,)),  # without a pending login it sends back to /login
    "accounts.totp_setup": Route((ACCOUNT,)),
    "accounts.totp_disable": Route((ACCOUNT,)),
    "dashboard.home": Route((MEMBER, SYSADMIN)),
    "accounts.admin_users": Route((COUNTY_ADMIN, SYSADMIN)),
    "accounts.admin_user_new": Route((COUNTY_ADMIN, SYSADMIN)),
    "accounts.admin_user": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "accounts.admin_user_grant": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "accounts.admin_user_revoke": Route(
        (COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user", "membership_id": "tpe_membership"}, True
    ),
    "accounts.admin_user_reset": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "accounts.admin_user_reset_totp": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "accounts.admin_user_deactivate": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "accounts.admin_user_activate": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "tenants.units": Route((COUNTY_ADMIN,)),
    "tenants.unit_new": Route((COUNTY_ADMIN,)),
    "tenants.unit_edit": Route((COUNTY_ADMIN,), {"unit_id": "tpe_unit"}, True),
    "tenants.counties": Route((SYSADMIN,)),
    "tenants.county_edit": Route((SYSADMIN,), {"county_id": "tpe_county"}),
    "tenants.partners": Route((SYSADMIN,)),
    "tenants.partner_edit": Route((SYSADMIN,), {"org_id": "partner"}),
    "tenants.partner_branch_new": Route((SYSADMIN,), {"org_id": "partner"}),
    "tenants.ministry_units": Route((SYSADMIN,)),
    "tenants.ministry_unit_edit": Route((SYSADMIN,), {"unit_id": "ministry_unit"}),
    "audit.log": Route((COUNTY_ADMIN, SYSADMIN)),
    # Step 2: the public, the screening centre, the API, the unit inbox
    "public.report_form": Route((PUBLIC,)),
    "public.report_submit": Route((PUBLIC,)),
    "public.districts": Route((PUBLIC,)),
    "public.report_done": Route((PUBLIC,)),
    "public.report_status": Route((PUBLIC,)),
    "public.accessibility": Route((PUBLIC,)),
    "api.create_report": Route((PUBLIC,)),  # bearer token, tested in tests/intake/test_api.py
    "api.openapi": Route((PUBLIC,)),
    "api.report_status": Route((PUBLIC,), {"report_no": "115120200001"}),  # bearer token: tests/intake/test_api.py
    "intake.queue": Route((DISPATCH,)),
    "intake.report_new": Route((DISPATCH,)),
    "intake.report_detail": Route((DISPATCH,), {"report_id": "tpe_report"}, True),
    "intake.report_claim": Route((DISPATCH,), {"report_id": "tpe_report"}, True),
    "intake.report_release": Route((DISPATCH,), {"report_id": "tpe_report"}, True),
    "intake.report_screen_out": Route((DISPATCH,), {"report_id": "tpe_report"}, True),
    "intake.report_dispatch": Route((DISPATCH,), {"report_id": "tpe_report"}, True),
    "intake.report_refer": Route((DISPATCH,), {"report_id": "tpe_report"}, True),
    "intake.report_transfer": Route((DISPATCH,), {"report_id": "tpe_report"}, True),
    "intake.figures": Route((DISPATCH, COUNTY_ADMIN)),
    "intake.deadline_rules": Route((COUNTY_ADMIN,)),
    "intake.api_tokens": Route((COUNTY_ADMIN,)),
    "intake.api_token_revoke": Route((COUNTY_ADMIN,), {"token_id": "tpe_token"}, True),
    # Step 13: the FHIR exchange (bearer tokens: tests/exchange/test_fhir.py) and its registered clients
    "fhir.everything": Route((PUBLIC,), {"case_id": "tpe_case"}),  # 401 OperationOutcome without a token
    "fhir.create_report": Route((PUBLIC,)),
    "fhir.send_status": Route((PUBLIC,)),
    "fhir.metadata": Route((PUBLIC,)),
    "fhir.openapi": Route((PUBLIC,)),
    "exchange.clients": Route((COUNTY_ADMIN,)),
    "exchange.client_revoke": Route((COUNTY_ADMIN,), {"client_id": "tpe_exchange_client"}, True),
    "cases.inbox": Route((SW,)),
    "cases.case_detail": Route((SW, DISPATCH, COUNTY_ADMIN), {"case_id": "tpe_case"}, True),
    "cases.timeline": Route((SW, DISPATCH, COUNTY_ADMIN), {"case_id": "tpe_case"}, True),  # step 14: older timeline pages
    "cases.older_contacts": Route((SW, DISPATCH, COUNTY_ADMIN), {"case_id": "tpe_case"}, True),  # step 14: older visits
    "cases.older_notes": Route((SW, DISPATCH, COUNTY_ADMIN), {"case_id": "tpe_case"}, True),  # step 14: older work notes
    # Step 3: the family record
    "cases.search": Route((SW, DISPATCH, COUNTY_ADMIN)),
    "cases.mine": Route((SW,)),
    "cases.assign": Route((SUP,), {"case_id": "tpe_case"}, True),
    "cases.review": Route((SUP,), {"case_id": "tpe_case"}, True),
    "cases.reopen": Route((SUP,), {"case_id": "tpe_case"}, True),
    "cases.add_contact": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.assess_vulnerability": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.write_report": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.tipvda": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.safety": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.decision": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.closing": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.add_plan": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.review_plan": Route((SW,), {"case_id": "tpe_case", "plan_id": "tpe_plan"}, True),
    "cases.add_service": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.add_note": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.mark_group": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.add_removal": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.removal_outcome": Route((SW,), {"case_id": "tpe_case", "request_id": "tpe_removal"}, True),
    "cases.end_group": Route((SW,), {"case_id": "tpe_case", "mark_id": "tpe_mark"}, True),
    "cases.correct_removal": Route((SW,), {"case_id": "tpe_case", "request_id": "tpe_removal"}, True),
    "cases.household": Route((SW,), {"case_id": "tpe_case"}, True),
    # Step 13: case documents. Readers of the case download; its workers upload; the uploader or the lead's
    # supervisor deletes (others of the unit: 403 from the service, tests/cases/test_documents.py).
    "cases.upload_document": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.document_download": Route((SW, DISPATCH, COUNTY_ADMIN), {"case_id": "tpe_case",
                                                                     "document_id": "tpe_case_document"}, True),
    "cases.delete_document": Route((SW,), {"case_id": "tpe_case", "document_id": "tpe_case_document"}, True),
    # Step 10: household members, by the lead unit's workers and supervisors (a 協力 unit: 403, tests/cases/test_members.py)
    "cases.add_member": Route((SW,), {"case_id": "tpe_case"}, True),
    "cases.correct_member": Route((SW,), {"case_id": "tpe_case", "member_id": "tpe_member"}, True),
    "cases.end_member": Route((SW,), {"case_id": "tpe_case", "member_id": "tpe_member"}, True),
    "reference.index": Route((MINISTRY, SYSADMIN)),
    "reference.factor_table_new": Route((MINISTRY, SYSADMIN)),
    "reference.tipvda_new": Route((MINISTRY, SYSADMIN)),
    "reference.service_catalogue": Route((MEMBER, SYSADMIN)),
    "reference.catalogue_new": Route((MINISTRY, SYSADMIN)),
    # Step 4: referrals, directory, notifications, joint cases, disputes
    "referrals.referral_new": Route((SW,), {"case_id": "tpe_case"}, True),
    "referrals.inbox": Route((SW, PARTNER, DISPATCH)),
    "referrals.detail": Route((SW, PARTNER, DISPATCH, COUNTY_ADMIN), {"referral_id": "tpe_referral"}, True,
                              party=(SW, COUNTY_ADMIN)),
    **{f"referrals.{name}": Route((SW, PARTNER, DISPATCH), {"referral_id": "tpe_referral"}, True, party=(SW,))
       for name in ("accept", "decline", "return_", "complete", "fail", "message", "service_record")},
    **{f"referrals.{name}": Route((SW,), {"referral_id": "tpe_referral"}, True) for name in ("resubmit", "forward", "withdraw")},
    # a document the referral shares: whoever may read the referral (the partner when it is the receiver,
    # tests/cases/test_documents.py); this referral goes to 家防中心 and shares the document
    "referrals.document_download": Route((SW, PARTNER, DISPATCH, COUNTY_ADMIN),
                                         {"referral_id": "tpe_referral", "document_id": "tpe_case_document"}, True,
                                         party=(SW, COUNTY_ADMIN)),
    "referrals.directory": Route((SW, DISPATCH, COUNTY_ADMIN)),
    "referrals.notifications": Route((MEMBER, SYSADMIN)),
    "referrals.notification_count": Route((MEMBER, SYSADMIN)),
    "referrals.handover": Route((SUP,), {"case_id": "tpe_case"}, True),
    "referrals.handover_answer": Route((SUP,), {"case_id": "tpe_case", "handover_id": "tpe_handover"}, True),
    "referrals.dispute_new": Route((SW,), {"case_id": "tpe_case"}, True),
    "referrals.dispute_list": Route((SW, COUNTY_ADMIN)),
    "referrals.dispute_detail": Route((SW, DISPATCH, COUNTY_ADMIN), {"dispute_id": "tpe_dispute"}, True),
    "referrals.dispute_respond": Route((SW, DISPATCH), {"dispute_id": "tpe_dispute"}, True),
    "referrals.dispute_decide": Route((COUNTY_ADMIN,), {"dispute_id": "tpe_dispute"}, True),
    "referrals.service_edit": Route((SYSADMIN,), {"service_id": "partner_service"}),
    "referrals.dispute_withdraw": Route((SW,), {"dispute_id": "tpe_dispute"}, True),
    "referrals.handover_cancel": Route((SUP,), {"case_id": "tpe_case", "handover_id": "tpe_handover"}, True),
    # Step 5: meetings. The 臺北市 high-risk series: tpe.admin runs it (secretariat side), 中正社福中心
    # (tpe.sw1, tpe.sup) leads its item; the dispatch centre and the ministry are not party to it.
    "meetings.index": Route((SW, DISPATCH, COUNTY_ADMIN, MINISTRY)),
    "meetings.mine": Route((SW, DISPATCH, COUNTY_ADMIN, MINISTRY)),
    "meetings.series_new": Route((COUNTY_ADMIN, MINISTRY)),
    **{f"meetings.{name}": Route((SW, DISPATCH, COUNTY_ADMIN, MINISTRY), {key: obj}, True, party=(SW, COUNTY_ADMIN))
       for name, key, obj in (("series", "series_id", "tpe_series"), ("meeting", "meeting_id", "tpe_meeting"),
                              ("table", "meeting_id", "tpe_meeting"), ("item", "item_id", "tpe_item"))},
    **{f"meetings.{name}": Route((SW, DISPATCH, COUNTY_ADMIN, MINISTRY), {key: obj}, True, party=(COUNTY_ADMIN,))
       for name, key, obj in (("meeting_new", "series_id", "tpe_series"), ("minutes_edit", "meeting_id", "tpe_meeting"),
                              ("finalise", "meeting_id", "tpe_meeting"), ("item_new", "meeting_id", "tpe_meeting"),
                              ("remind", "meeting_id", "tpe_meeting"), ("documents_view", "meeting_id", "tpe_meeting"),
                              ("merge", "item_id", "tpe_item"), ("case_link", "item_id", "tpe_item"),
                              ("table_settings", "meeting_id", "tpe_meeting"),
                              ("document_pdf", "document_id", "tpe_document"))},
    **{f"meetings.{name}": Route((SW, DISPATCH, COUNTY_ADMIN, MINISTRY),
                                 {"meeting_id": "tpe_meeting", "item_id": "tpe_item"}, True, party=(COUNTY_ADMIN,))
       for name in ("decide", "instruct", "release", "reopen_part", "note")},
    "meetings.progress": Route((SW, DISPATCH, COUNTY_ADMIN, MINISTRY), {"item_id": "tpe_item"}, True, party=(SW,)),
    # Step 6: reports. A submitted 臺北市 report: its county's administrator and the ministry may open it.
    "reports.index": Route((COUNTY_ADMIN,)),
    "reports.request_report": Route((COUNTY_ADMIN,)),
    **{f"reports.{name}": Route((COUNTY_ADMIN,), {"run_id": "tpe_run"}, True) for name in ("detail", "submit", "retry")},
    "reports.download": Route((COUNTY_ADMIN, MINISTRY), {"run_id": "tpe_run", "fmt": "pdf"}, True),
    "reports.submissions": Route((MINISTRY,)),
    "reports.national": Route((MINISTRY,), {"kind": "visits", "fmt": "xlsx"}),
    "reports.national_view": Route((MINISTRY,), {"kind": "visits"}),
    # Step 12: the 2.0 target board. County staff see their county (exact) and the nation; the ministry aggregates
    # only; a drill-down names a county: another county's (and the ministry) get 404; partners nothing.
    "targets.board": Route((SW, SUP, DISPATCH, COUNTY_ADMIN, MINISTRY)),
    "targets.gap": Route((SW, SUP, DISPATCH, COUNTY_ADMIN), {"county_id": "tpe_county", "code": "opening_rate",
                                                           "roc_year": 115}, True, county_wide=True),
    "targets.denominators": Route((COUNTY_ADMIN,)),
    "targets.refresh": Route((COUNTY_ADMIN,)),
    "targets.save_denominator": Route((COUNTY_ADMIN,)),
    # Step 7: the spring-festival campaign (national); each county computes and sees its own list.
    "campaigns.index": Route((COUNTY_ADMIN, MINISTRY)),
    "campaigns.open_campaign": Route((MINISTRY,)),
    "campaigns.rules": Route((MINISTRY,)),
    "campaigns.county_list": Route((COUNTY_ADMIN,), {"campaign_id": "campaign"}),
    "campaigns.compute": Route((COUNTY_ADMIN,), {"campaign_id": "campaign"}),
    "campaigns.list_run": Route((COUNTY_ADMIN,), {"campaign_id": "campaign"}),
    "campaigns.tick": Route((COUNTY_ADMIN,), {"campaign_id": "campaign"}),
    "campaigns.add_network": Route((COUNTY_ADMIN,), {"campaign_id": "campaign"}),
    "campaigns.import_network": Route((COUNTY_ADMIN,), {"campaign_id": "campaign"}),
    "campaigns.roster": Route((COUNTY_ADMIN, MINISTRY), {"campaign_id": "campaign"}),
    "campaigns.add_duty": Route((COUNTY_ADMIN,), {"campaign_id": "campaign"}),
    "campaigns.delete_duty": Route((COUNTY_ADMIN,), {"campaign_id": "campaign", "duty_id": "tpe_duty"}, True),
    "campaigns.set_unit": Route((COUNTY_ADMIN,), {"campaign_id": "campaign", "entry_id": "tpe_entry"}, True),
    "campaigns.my_visits": Route((SW, PARTNER), {"campaign_id": "campaign"}),
    "campaigns.mine": Route((SW, PARTNER)),
    "campaigns.progress": Route((COUNTY_ADMIN, MINISTRY), {"campaign_id": "campaign"}),
    "campaigns.record_visit": Route((SW, PARTNER), {"campaign_id": "campaign", "entry_id": "tpe_entry"}, True,
                                    party=(SW,)),  # a partner only for families assigned to its unit
    # Step 9: retention review, the county administrator's only; a case of 臺北市 is 404 elsewhere.
    "retention.review": Route((COUNTY_ADMIN,)),
    "retention.decide": Route((COUNTY_ADMIN,)),
    "retention.case_review": Route((COUNTY_ADMIN,), {"case_id": "tpe_case"}, True),
    # Step 12: the 通報調查處理中心. Its staff (token INVESTIGATOR) are no persona of the matrix (no county has a
    # centre in the reference data): every persona here is refused; the centre's own staff, the other county's
    # centre (404) and the partner/ministry are checked in tests/investigations/test_views.py.
    "investigations.queue": Route((INVESTIGATOR,)),
    **{f"investigations.{name}": Route((INVESTIGATOR,), {"investigation_id": "tpe_investigation"}, True)
       for name in ("detail", "start", "conclude", "dispatch", "close")},
    "investigations.settings": Route((COUNTY_ADMIN,)),
}

# persona -> (username, tokens, other county? — True, False or "unit": same county, a unit on none of the objects)
PERSONAS = {
    "anonymous": (None, set(), False),
    "tpe_worker": ("tpe.sw1", {MEMBER, SW}, False),
    "tpe_supervisor": ("tpe.sup", {MEMBER, SW, SUP}, False),
    "tpe_dispatcher": ("tpe.dispatch", {MEMBER, DISPATCH}, False),
    "tpe_admin": ("tpe.admin", {MEMBER, COUNTY_ADMIN}, False),
    "hua_worker": ("hua.sw1", {MEMBER, SW}, True),
    "hua_supervisor": ("hua.sup", {MEMBER, SW, SUP}, True),
    "hua_dispatcher": ("hua.dispatch", {MEMBER, DISPATCH}, True),
    "hua_admin": ("hua.admin", {MEMBER, COUNTY_ADMIN}, True),
    "partner": ("ngo.staff", {MEMBER, PARTNER}, True),  # not party to anything of 臺北市's here: 404
    # 臺北市's community mental-health team: same county, a serving unit, but on none of the objects
    "tpe_unit_not_on_case": ("tpe.mh1", {MEMBER, SW}, "unit"),
    "ministry": ("moh.protect", {MEMBER, MINISTRY}, False),
    "sysadmin": ("sysadmin", {SYSADMIN}, False),
}


def build_taipei_objects(db, factories):
    """A report, a case of 中正社福中心 and an API token of 臺北市, made in the test's transaction."""
    from app.core import tenancy
    from app.intake import services
    from app.intake.models import ApiToken
    from app.intake.reference import ReportingChannel

    taipei = factories.county("臺北市")
    district = next(d for d in taipei.districts if d.name == "中正區")
    dispatcher = factories.user("tpe.dispatch")
    with tenancy.tenant_scope(taipei.id):
        data = services.ReportInput(district_id=district.id, concerns=["vulnerable_family"], narrative="矩陣測試",
                                    persons=[services.PersonInput(name="王小明", relation="subject")])
        dispatched, _ = services.receive(taipei, data, ReportingChannel("36"))
        services.claim(dispatched, dispatcher)
        case = services.dispatch(dispatched, dispatcher, factories.unit("臺北市中正社會福利服務中心"))
        waiting, _ = services.receive(taipei, data, ReportingChannel("35"))
        token = ApiToken(organisation="矩陣", channel=ReportingChannel("16"), token_prefix="abcd1234",
                         token_hash="x" * 64)
        db.session.add(token)
        from app.exchange import services as exchange
        from app.exchange.models import SystemKind

        exchange_client, _ = exchange.issue_client("矩陣交換系統", SystemKind.MENTAL_HEALTH, ["case.read"], None)
        from datetime import date

        from app.cases.models import ServicePlan

        plan = ServicePlan(tenant_id=taipei.id, case_id=case.id, goals="矩陣", agreed_by="案母",
                           agreed_on=date(2026, 11, 1), review_due=date(2027, 2, 1))
        db.session.add(plan)
        db.session.flush()
        from app.referrals import disputes, services as referrals
        from app.referrals.models import DisputeOutcome, LeadHandover, ReferralKind

        sw1 = factories.user("tpe.sw1")
        membership = sw1.memberships[0]
        dv = factories.unit("臺北市家庭暴力暨性侵害防治中心")
        from app.cases import documents
        from app.cases.demo import demo_pdf

        case_document = documents.upload(case, sw1, membership, kind=documents.DocumentKind.CONSENT, description="矩陣",
                                         filename="矩陣.pdf", data=demo_pdf(["矩陣"]))
        referral = referrals.send(case, sw1, membership, kind=ReferralKind.UNIT, reason="矩陣", services_requested="",
                                  sections=["members"], to_unit=dv, document_ids=[case_document.id])
        dispute = disputes.file(case, sw1, membership, reason="矩陣", proposed=DisputeOutcome.JOINT, proposed_unit=dv)
        from app.cases.models import CaseUnit, CaseUnitRole

        case.units.append(CaseUnit(unit_id=factories.unit("臺北市萬華社會福利服務中心").id, role=CaseUnitRole.COLLABORATOR))
        db.session.flush()
        handover = LeadHandover(tenant_id=taipei.id, case_id=case.id, from_unit_id=membership.unit_id,
                                to_unit_id=factories.unit("臺北市萬華社會福利服務中心").id, reason="矩陣")
        db.session.add(handover)
        db.session.flush()
        from app.meetings import services as meetings
        from app.meetings.models import DocumentKind, DocumentStatus, MeetingDocument, SeriesKind

        admin = factories.user("tpe.admin")
        series = meetings.create_series(SeriesKind.HIGH_RISK, "矩陣高危機網絡會議", admin.memberships[0], dv.id)
        meeting = meetings.new_meeting(series, date(2026, 11, 30))
        item = meetings.add_item(meeting, section=4, title="矩陣", instruction="矩陣",
                                 lead_unit_ids=[membership.unit_id], case_id=case.id)
        document = MeetingDocument(meeting_id=meeting.id, county_id=taipei.id, kind=DocumentKind.TRACKING,
                                   status=DocumentStatus.DONE, pdf=b"%PDF-1.7 matrix", sha256="0" * 64)
        db.session.add(document)
        from app.core.models import utcnow
        from app.reports import queries as report_queries
        from app.reports.models import PeriodKind, ReportKind, ReportRun, RunStatus

        run = ReportRun(kind=ReportKind.VISITS, period_kind=PeriodKind.QUARTER, period_start=date(2026, 7, 1),
                        period_end=date(2026, 9, 30), status=RunStatus.DONE, pdf=b"%PDF-1.7 matrix",
                        figures=report_queries.count_empty(ReportKind.VISITS),
                        submitted_at=utcnow())
        db.session.add(run)
        from app.campaigns import services as campaigns
        from app.campaigns.models import EntrySource, VisitEntry

        campaign = campaigns.open_campaign("矩陣春節", date(2027, 2, 5), date(2027, 2, 14), None)
        entry = VisitEntry(campaign_id=campaign.id, case_id=case.id, source=EntrySource.NETWORK, indicators=[],
                           visiting_unit_id=membership.unit_id)
        db.session.add(entry)
        duty = campaigns.add_duty(campaign, case.tenant_id, on_date=date(2027, 2, 6), hours="全日", unit=None,
                                  person="值勤社工", phone="02-2345-6789")
        from app.cases.models import ImageRemovalRequest

        removal = ImageRemovalRequest(tenant_id=taipei.id, case_id=case.id, platform="矩陣平台", asked_on=date(2026, 3, 1))
        db.session.add(removal)
        from app.cases.models import CaseTargetGroup

        mark = CaseTargetGroup(tenant_id=taipei.id, case_id=case.id, group_code="elder_alone", since=date(2026, 3, 1))
        db.session.add(mark)
        db.session.flush()
        ids = {"tpe_case_document": case_document.id, "tpe_removal": removal.id, "tpe_mark": mark.id, "tpe_report": waiting.id, "tpe_case": case.id, "tpe_member": case.members[0].id, "tpe_token": token.id, "tpe_plan": plan.id,
               "tpe_exchange_client": exchange_client.id,
               "tpe_referral": referral.id, "tpe_dispute": dispute.id, "tpe_handover": handover.id,
               "tpe_series": series.id, "tpe_meeting": meeting.id, "tpe_item": item.id, "tpe_document": document.id,
               "tpe_run": run.id, "campaign": campaign.id, "tpe_entry": entry.id,
               "tpe_duty": duty.id}
        db.session.commit()
    return ids


def resolvers(factories, objects):
    tpe_user = factories.user("tpe.sw1")
    return {
        "tpe_user": tpe_user.id,
        "tpe_membership": tpe_user.memberships[0].id,
        "tpe_unit": factories.unit("臺北市中正社會福利服務中心").id,
        "tpe_county": factories.county("臺北市").id,
        "partner": factories.unit("家扶基金會臺北市服務處").partner_org_id,
        "ministry_unit": factories.unit("保護服務司").id,
        "partner_service": _first_partner_service(),
        "css/app.css": "css/app.css",
        "tpe_investigation": 1,  # refused before it is looked up (no persona is centre staff)
        **objects,
    }


def _first_partner_service():
    import sqlalchemy as sa

    from app.extensions import db
    from app.referrals.models import PartnerService

    return db.session.scalars(sa.select(PartnerService.id).order_by(PartnerService.id)).first()


def requests_for(app, values):
    """(endpoint, method, url, route) for every rule of the URL map."""
    out = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            route = ROUTES.get(rule.endpoint)
            if route is None:
                continue
            args = {a: values.get(route.params[a], route.params[a]) for a in rule.arguments}
            url = url_for(rule.endpoint, **args)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.endpoint, method, url, route))
    return out


def _expected(username, tokens, other_county, route: Route) -> str:
    """'ok', 'login', 'forbidden' or 'not_found'."""
    if PUBLIC in route.allowed:
        return "ok"
    if username is None:
        return "login"
    if ACCOUNT in route.allowed:
        return "ok"
    if set(route.allowed) & tokens:
        if other_county and route.county_object and not (other_county == "unit" and route.county_wide):
            return "not_found"
        if route.party is not None and not set(route.party) & tokens:
            return "not_found"
        return "ok"
    # refused: a URL naming a record answers as if the record did not exist
    return "not_found" if any(arg.endswith("_id") for arg in route.params) else "forbidden"


def _classify(response) -> str:
    code = response.status_code
    location = response.headers.get("Location", "") or response.headers.get("HX-Redirect", "")
    if code in (302, 303, 401) and "/login" in location and "next=" in location:
        return "login"
    if code == 403:
        return "forbidden"
    if code == 404:
        return "not_found"
    if code >= 500:
        return f"error {code}"
    return "ok"


HTMX = {"HX-Request": "true"}
