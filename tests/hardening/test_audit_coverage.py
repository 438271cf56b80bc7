"""Every privileged action leaves an audit entry saying who did what to which record.

Two halves: a structural check that every mapped model is audited by the flush
hook or exempt for a stated reason, and a table of the privileged actions, each
done over HTTP by the persona who may do it, that finds the new entry and reads
it on the audit page. A privileged POST route of the access matrix missing from
the table fails ``test_every_privileged_route_is_in_the_table``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

import pytest
import sqlalchemy as sa

from app.audit.models import AuditAction, AuditEvent
from app.core import tenancy
from tests.access import ACCOUNT, MEMBER, PARTNER, PUBLIC, ROUTES, SW

# table name -> why the flush hook does not audit it
EXEMPT = {
    "audit_events": "the audit log itself (append-only)",
    "case_transitions": "append-only history of a case's status: actor_id, actor_name, at, reason",
    "case_events": "append-only timeline of a case: actor_id, actor_name, at, summary",
    "report_transitions": "append-only history of a report's status: actor_id, actor_name, at, reason",
    "investigation_events": "append-only history of an investigation's status: actor_id, actor_name, at, reason",
    "referral_events": "append-only history of a referral: actor_id, actor_name, at, text",
    "case_search_grams": "derived search index, rebuilt from audited members and cases",
    "target_snapshots": "derived counts (the board's nightly snapshot), recomputed from audited records; a county's refresh request is audited",
    "counters": "number sequences (report, case and item numbers), no content",
    "action_item_numbers": "derived 案號 of an audited action item, from a counter",
    "notifications": "messages to users about audited changes; reading one is not privileged",
    "api_idempotency_keys": "derived: replay protection of API requests (the report made is audited)",
    "exchange_calls": "the FHIR API's own call log (client, operation, target, status, outcome, at); what a call "
                      "changes is audited by its records, an export as a READ entry",
    "quarantined_submissions": "written only by the anonymous public form; it is itself the record (time, ip, payload)",
    "districts": "reference data loaded by the seed; no route edits it",
    "action_item_unit_events": "append-only history of one unit's part of an action item (released, reopened): by_id, "
                               "at, meeting, reason; each of those transitions writes its audit entry through the "
                               "workflow engine (record type action_item_units)",
    "case_document_blobs": "the bytes of a case document (its SHA-256 repeated for verify-backup); the document's row "
                           "(case_documents) is audited, and its upload, every download and its deletion are entries",
    "risk_flags": "derived: the household picture's risk flags, recomputed from audited reports, cases and external "
                  "statuses whenever they change (the rule set is versioned data in the code)",
    "case_member_changes": "append-only history of a member's corrections and end: actor_id, actor_name, at (the member's "
                           "row is audited with before and after)",
}

# (table, actor column, time column) of the histories that are their own record
HISTORIES = [("case_transitions", "actor_id", "at"), ("case_events", "actor_id", "at"), ("case_member_changes", "actor_id", "at"),
             ("report_transitions", "actor_id", "at"), ("referral_events", "actor_id", "at")]


def _mapped_tables(db):
    return {m.class_.__tablename__: m.class_ for m in db.Model.registry.mappers}


def test_every_model_is_audited_or_exempt_for_a_reason(db):
    tables = _mapped_tables(db)
    neither = sorted(t for t, cls in tables.items() if not getattr(cls, "__audited__", False) and t not in EXEMPT)
    assert not neither, f"models neither __audited__ nor in EXEMPT: {neither}"
    audited_and_exempt = sorted(t for t in EXEMPT if getattr(tables.get(t), "__audited__", False))
    assert not audited_and_exempt, audited_and_exempt
    assert not set(EXEMPT) - set(tables), f"EXEMPT names tables that are not mapped: {set(EXEMPT) - set(tables)}"
    assert all(reason.strip() for reason in EXEMPT.values())


@pytest.mark.parametrize("table, actor, at", HISTORIES)
def test_histories_exempt_from_the_hook_store_who_and_when(db, table, actor, at):
    columns = _mapped_tables(db)[table].__table__.columns
    assert actor in columns and "actor_name" in columns and at in columns
    assert not columns[at].nullable


def test_audited_models_without_a_tenant_say_whose_entry_it_is(db):
    """An entry about a county's row must land in that county's log, not the actor's session."""
    national = {"users", "counties", "partner_organisations", "partner_services", "risk_factor_tables",
                "risk_factors", "tipvda_versions", "institution_areas", "campaign_rule_sets", "campaigns",
                "target_groups", "service_catalogue_items", "welfare_statuses"}
    for table, cls in _mapped_tables(db).items():
        if getattr(cls, "__audited__", False) and "tenant_id" not in cls.__table__.columns and table not in national:
            assert hasattr(cls, "audit_tenant_id"), f"{table}: audited, no tenant_id, no audit_tenant_id()"


def test_every_audited_model_names_itself_in_chinese_and_has_a_filter_label(db):
    """The hook's summary is 「新增 {record}」: a record without __str__ would read 「<ItemDecision …>」."""
    from app.audit.forms import RECORD_TYPE_LABELS

    for table, cls in _mapped_tables(db).items():
        if getattr(cls, "__audited__", False):
            assert cls.__str__ is not object.__str__, f"{table}: audited without __str__"
            assert table in RECORD_TYPE_LABELS, f"{table}: the audit page cannot filter by it"


# --- The privileged actions --------------------------------------------------------------------


@dataclass
class Ctx:
    as_user: Callable
    factories: object
    db: object
    objects: dict

    def unit(self, name):
        return self.factories.unit(name)

    def user(self, name):
        return self.factories.user(name)

    def get(self, model, key):
        with tenancy.all_tenants("test: a record the action is about"):
            return self.db.session.get(model, key)


@dataclass
class Action:
    username: str
    do: Callable  # (ctx, client) -> (response, record_id or None)
    record_type: str
    needle: str  # must appear in the entry's summary or changes
    action: AuditAction | None = None
    viewer: str = "tpe.admin"  # who reads it on /admin/audit
    ok: tuple = (200, 303)


def _user_new(c, client):
    unit = c.unit("臺北市中正社會福利服務中心")
    r = client.post("/admin/users/new", {"username": "tpe.audit", "display_name": "稽核測試", "unit_id": unit.id,
                                         "role": "social_worker"})
    return r, c.user("tpe.audit").id


def _grant(c, client):
    sw1 = c.user("tpe.sw1")
    r = client.post(f"/admin/users/{sw1.id}/roles", {"unit_id": c.unit("臺北市家庭暴力暨性侵害防治中心").id,
                                                     "role": "supervisor"})
    return r, None


def _revoke(c, client):
    sw2 = c.user("tpe.sw2")
    membership_id = sw2.memberships[-1].id
    return client.post(f"/admin/users/{sw2.id}/roles/{membership_id}/revoke"), membership_id


def _reset(c, client):
    sw1 = c.user("tpe.sw1")
    r = client.post(f"/admin/users/{sw1.id}/reset-password")
    temporary = re.search(r'id="temporary-password">([^<]+)<', r.get_data(as_text=True)).group(1).strip()
    SECRETS.append(temporary)
    return r, sw1.id


def _deactivate(c, client):
    sw2 = c.user("tpe.sw2")
    return client.post(f"/admin/users/{sw2.id}/deactivate"), sw2.id


def _activate(c, client):
    sw2 = c.user("tpe.sw2")
    client.post(f"/admin/users/{sw2.id}/deactivate")
    return client.post(f"/admin/users/{sw2.id}/activate"), sw2.id


def _unit_new(c, client):
    return client.post("/admin/units/new", {"kind": "police", "name": "臺北市政府警察局稽核分局", "is_active": "y"}), None


def _unit_edit(c, client):
    unit = c.unit("臺北市政府消防局")
    r = client.post(f"/admin/units/{unit.id}", {"kind": "fire", "name": unit.name, "short_name": unit.short_name,
                                                "phone": "02-2758-6119", "is_active": "y"})
    return r, unit.id


def _deadlines(c, client):
    return client.post("/intake/settings/deadlines", {
        "effective_from": "115/01/01", "urgent_hours": 24, "other_days": 2, "tipvda_threshold": 8,
        "urgent_flag_counts": "y", "referral_response_days": 3, "dispute_response_days": 3,
        "dispute_decision_days": 5}), None


def _token_new(c, client):
    r = client.post("/intake/settings/api-tokens", {"organisation": "稽核測試系統", "channel": "16"})
    body = r.get_data(as_text=True)
    SECRETS.extend(re.findall(r"\b[A-Za-z0-9_\-]{32,}\b", body))
    return r, None


def _token_revoke(c, client):
    token_id = c.objects["tpe_token"]
    return client.post(f"/intake/settings/api-tokens/{token_id}/revoke"), token_id


def _exchange_new(c, client):
    r = client.post("/exchange/clients", {"name": "稽核交換系統", "system_kind": "mental_health",
                                          "scopes": ["status.write"]})
    SECRETS.extend(re.findall(r"\b[A-Za-z0-9_\-]{32,}\b", r.get_data(as_text=True)))
    return r, None


def _exchange_revoke(c, client):
    from app.exchange.models import ExchangeClient

    client_id = c.objects["tpe_exchange_client"]
    with tenancy.all_tenants("test: the token of the client"):
        token_id = c.db.session.get(ExchangeClient, client_id).api_token_id
    return client.post(f"/exchange/clients/{client_id}/revoke"), token_id


def _unit_districts(c, client):
    """Only the districts a 社福中心 serves change (the unit–district link table): 中正 takes over 大同區
    from the 大同 centre, made inactive first (each district has one active centre)."""
    district = {d.name: d.id for d in c.factories.county("臺北市").districts}
    datong, centre = c.unit("臺北市大同社會福利服務中心"), c.unit("臺北市中正社會福利服務中心")
    form = {"kind": "welfare_centre", "name": datong.name, "short_name": datong.short_name, "phone": datong.phone,
            "districts": [district["大同區"]], "is_active": ""}
    assert client.post(f"/admin/units/{datong.id}", form).status_code == 303
    r = client.post(f"/admin/units/{centre.id}", {**form, "name": centre.name, "short_name": centre.short_name,
                                                  "phone": centre.phone, "is_active": "y",
                                                  "districts": [district["中正區"], district["大同區"]]})
    return r, centre.id


def _county_edit(c, client):
    taipei = c.factories.county("臺北市")
    return client.post(f"/system/counties/{taipei.id}", {"name": "臺北市", "is_active": "", "retention_years": "7"}), taipei.id


def _partner_edit(c, client):
    from app.tenants.models import PartnerOrganisation

    org = c.get(PartnerOrganisation, c.unit("家扶基金會臺北市服務處").partner_org_id)
    r = client.post(f"/system/partners/{org.id}", {"name": org.name, "short_name": "稽核簡稱",
                                                   "counties": [county.id for county in org.counties],
                                                   "is_active": "y"})
    return r, org.id


def _partner_counties(c, client):
    """Only the counties a partner organisation works in change (a link table): 家扶 also in 高雄市."""
    from app.tenants.models import PartnerOrganisation

    org = c.get(PartnerOrganisation, c.unit("家扶基金會臺北市服務處").partner_org_id)
    counties = [county.id for county in org.counties] + [c.factories.county("高雄市").id]
    r = client.post(f"/system/partners/{org.id}", {"name": org.name, "short_name": org.short_name,
                                                   "counties": counties, "is_active": "y"})
    return r, org.id


def _branch_new(c, client):
    from app.tenants.models import PartnerOrganisation

    org = c.get(PartnerOrganisation, c.unit("家扶基金會臺北市服務處").partner_org_id)
    r = client.post(f"/system/partners/{org.id}/branches", {"name": "家扶稽核服務處", "county_id": org.counties[0].id})
    return r, None


def _ministry_unit_edit(c, client):
    unit = c.unit("保護服務司")
    r = client.post(f"/system/ministry/{unit.id}", {"kind": unit.kind.value, "agency": unit.agency or "衛生福利部",
                                                    "name": unit.name, "short_name": "保護司稽核",
                                                    "is_active": "y"})
    return r, unit.id


def _service_new(c, client):
    org = c.unit("家扶基金會臺北市服務處").partner_org_id
    r = client.post("/directory/services/new", {"partner_org_id": org, "name": "稽核親職團體", "description": "每週一次",
                                                "county_ids": [c.factories.county("臺北市").id], "contact": "02-1234",
                                                "is_active": "y"})
    return r, None


def _factor_table(c, client):
    return client.post("/reference/factors/new", {"version": "稽核 116 年版", "effective_from": "2000/01/01",
                                                  "lines": "家庭經濟陷困｜高｜稽核斷炊"}), None


def _tipvda(c, client):
    items = "\n".join(f"稽核題目{i}" for i in range(1, 16))
    return client.post("/reference/tipvda/new", {"version": "TIPVDA-稽核", "effective_from": "2000/01/01",
                                                 "notice_from": 4, "high_from": 8, "items": items}), None


def _catalogue(c, client):
    return client.post("/reference/catalogue/new", {"version": "稽核版", "effective_from": "2099/01/01",
                                                    "lines": "s1_consultation｜稽核諮詢｜一般家庭｜策略一 攜幼扶老｜否"}), None


def _claimed(c, client):
    report_id = c.objects["tpe_report"]
    assert client.post(f"/intake/reports/{report_id}/claim").status_code == 303
    return report_id


def _dispatch(c, client):
    report_id = _claimed(c, client)
    centre = c.unit("臺北市中正社會福利服務中心")
    return client.post(f"/intake/reports/{report_id}/dispatch", {"d-lead_unit_id": centre.id,
                                                                 "d-note": "依區派案"}), report_id


def _screen_out(c, client):
    report_id = _claimed(c, client)
    return client.post(f"/intake/reports/{report_id}/screen-out", {"so-reason": "data_error",
                                                                   "so-note": "資料不全無從查證"}), report_id


def _transfer(c, client):
    report_id = _claimed(c, client)
    return client.post(f"/intake/reports/{report_id}/transfer", {"t-county_id": c.factories.county("花蓮縣").id,
                                                                 "t-note": "案家已遷居花蓮"}), report_id


def _finalise(c, client):
    meeting_id = c.objects["tpe_meeting"]
    return client.post(f"/meetings/{meeting_id}/finalise", {"confirm": "1"}), meeting_id


def _decide(c, client):
    meeting_id, item_id = c.objects["tpe_meeting"], c.objects["tpe_item"]
    return client.post(f"/meetings/{meeting_id}/items/{item_id}/decision", {"dc-decision": "close"}), None


def _release(c, client):
    meeting_id, item_id = c.objects["tpe_meeting"], c.objects["tpe_item"]
    unit_id = c.unit("臺北市中正社會福利服務中心").id
    return client.post(f"/meetings/{meeting_id}/items/{item_id}/release", {"rl-unit_ids": unit_id, "rl-reason": "稽核解除"}), None


def _reopen_part(c, client):
    meeting_id, item_id = c.objects["tpe_meeting"], c.objects["tpe_item"]
    unit_id = c.unit("臺北市中正社會福利服務中心").id
    client.post(f"/meetings/{meeting_id}/items/{item_id}/release", {"rl-unit_ids": unit_id})
    return client.post(f"/meetings/{meeting_id}/items/{item_id}/reopen", {"ro-unit_id": unit_id,
                                                                           "ro-reason": "稽核恢復列管"}), None


def _note(c, client):
    meeting_id, item_id = c.objects["tpe_meeting"], c.objects["tpe_item"]
    return client.post(f"/meetings/{meeting_id}/items/{item_id}/note", {"nt-note": "稽核列管建議"}), None


def _table_settings(c, client):
    meeting_id = c.objects["tpe_meeting"]
    return client.post(f"/meetings/{meeting_id}/table/settings", {"ts-table_date": "115/11/30", "ts-annex": "稽核附件",
                                                         "ts-note": "註：稽核"}), meeting_id


def _refer(c, client):
    report_id = _claimed(c, client)
    return client.post(f"/intake/reports/{report_id}/refer", {"r-referred_to": "長照"}), report_id


def _assign(c, client):
    case_id = c.objects["tpe_case"]
    return client.post(f"/cases/{case_id}/assign", {"a-worker_id": c.user("tpe.sw1").id}), case_id


def _series_new(c, client):
    return client.post("/meetings/series", {"se-kind": "progress", "se-name": "稽核工作進度會議",
                                            "se-secretariat_unit_id": c.unit("保護服務司").id}), None


def _meeting_new(c, client):
    series_id = c.objects["tpe_series"]
    return client.post(f"/meetings/series/{series_id}/meetings", {"nm-held_on": "115/12/16",
                                                                  "nm-place": "稽核會議室"}), None


def _item_new(c, client):
    meeting_id = c.objects["tpe_meeting"]
    lead = c.unit("臺北市萬華社會福利服務中心")
    return client.post(f"/meetings/{meeting_id}/items", {"it-section": "4", "it-title": "稽核事項",
                                                         "it-instruction": "請研議", "it-lead_unit_ids": [lead.id]}), None


def _instruct(c, client):
    meeting_id, item_id = c.objects["tpe_meeting"], c.objects["tpe_item"]
    return client.post(f"/meetings/{meeting_id}/items/{item_id}/instruction", {"in-text": "稽核主席提示"}), None


def _merge(c, client):
    from app.meetings import services as meetings
    from app.meetings.models import ActionItem, Meeting

    meeting = c.get(Meeting, c.objects["tpe_meeting"])
    with tenancy.tenant_scope(meeting.county_id):
        other = meetings.add_item(meeting, section=4, title="併案", instruction="併案",
                                  lead_unit_ids=[c.unit("臺北市中正社會福利服務中心").id])
        numbers, other_id = other.case_numbers, other.id
        c.db.session.commit()
    item = c.get(ActionItem, c.objects["tpe_item"])
    return client.post(f"/meetings/items/{item.id}/merge", {"mg-numbers": numbers}), other_id


def _amend(c, client):
    from app.meetings.models import Meeting

    meeting_id = c.objects["tpe_meeting"]
    assert client.post(f"/meetings/{meeting_id}/finalise", {"confirm": "1"}).status_code == 303
    with tenancy.all_tenants("test: the finalised meeting's version"):
        version = c.db.session.scalar(sa.select(Meeting.version).where(Meeting.id == meeting_id))
    return client.post(f"/meetings/{meeting_id}/minutes", {"place": "稽核更正地點", "reason": "依與會單位意見修正",
                                                          "version": str(version)}), None


def _dispute_decide(c, client):
    from app.referrals.models import Dispute, DisputeStatus

    dispute_id = c.objects["tpe_dispute"]
    dispute = c.get(Dispute, dispute_id)
    with tenancy.tenant_scope(dispute.tenant_id):
        dispute.status = DisputeStatus.AWAITING_ARBITER  # as if the sender had not answered in time
        c.db.session.commit()
    return client.post(f"/disputes/{dispute_id}/decide", {"dd-outcome": "maintain",
                                                          "dd-reason": "維持原派，稽核", "confirm": "1"}), dispute_id


def _campaign_open(c, client):
    return client.post("/campaigns", {"cp-name": "稽核春節", "cp-holiday_start": "117/02/05",
                                      "cp-holiday_end": "117/02/14"}), None


def _rules(c, client):
    from app.campaigns import services as campaigns

    rules = campaigns.rules_in_force().rules
    c.db.session.commit()
    return client.post("/campaigns/rules", {"ru-rules": json.dumps(rules, ensure_ascii=False),
                                            "ru-note": "稽核改版"}), None


def _tick(c, client):
    from app.cases.models import FamilyCase

    case = c.get(FamilyCase, c.objects["tpe_case"])
    cid = c.objects["campaign"]
    return client.post(f"/campaigns/{cid}/tick", {"tk-case_no": case.case_no, "tk-code": "1D",
                                                  "tk-reason": "稽核重大事件"}), None


def _set_unit(c, client):
    cid, entry_id = c.objects["campaign"], c.objects["tpe_entry"]
    unit = c.unit("臺北市萬華社會福利服務中心")
    return client.post(f"/campaigns/{cid}/entries/{entry_id}/unit", {"vu-unit_id": unit.id}), entry_id


def _add_duty(c, client):
    cid = c.objects["campaign"]
    return client.post(f"/campaigns/{cid}/roster", {"dt-on_date": "116/02/07", "dt-person": "稽核社工",
                                                    "dt-phone": "02-2345-6789", "dt-unit_id": "0",
                                                    "dt-hours": "全日"}), None


def _delete_duty(c, client):
    cid, duty_id = c.objects["campaign"], c.objects["tpe_duty"]
    return client.post(f"/campaigns/{cid}/roster/{duty_id}/delete", {}), duty_id


def _flag_drug(c):
    """The family's member is flagged 毒危列管: 一級C, on the list by the rules when computed."""
    from app.cases.models import FamilyCase

    case = c.get(FamilyCase, c.objects["tpe_case"])
    with tenancy.tenant_scope(case.tenant_id):
        case.members[0].flags = ["drug"]
        c.db.session.commit()


def _compute(c, client):
    _flag_drug(c)  # the fixture's network entry of tpe_case now qualifies by the rules, which take over
    cid, entry_id = c.objects["campaign"], c.objects["tpe_entry"]
    return client.post(f"/campaigns/{cid}/compute", {}), entry_id


def _dispatched_case_no(c):
    """The fixture's waiting report dispatched over HTTP (as the dispatcher): a second open family."""
    from app.cases.models import FamilyCase
    from app.intake.models import Report

    response, report_id = _dispatch(c, c.as_user("tpe.dispatch"))
    assert response.status_code == 303
    return c.get(FamilyCase, c.get(Report, report_id).case_id).case_no


def _add_network(c, client):
    case_no = _dispatched_case_no(c)
    cid = c.objects["campaign"]
    return client.post(f"/campaigns/{cid}/network", {"nw-case_no": case_no, "nw-kind": "health",
                                                     "nw-reason": "稽核未完成預防接種"}), None


def _import_network(c, client):
    import io

    from app.cases.models import FamilyCase

    case_no = c.get(FamilyCase, c.objects["tpe_case"]).case_no  # the fixture's network family: its reason updated
    cid = c.objects["campaign"]
    csv_text = f"案號,網絡單位,說明\n{case_no},教育,稽核高關懷個案\n"
    return client.post(f"/campaigns/{cid}/network/import", {"im-file": (io.BytesIO(csv_text.encode()), "list.csv")},
                       content_type="multipart/form-data"), c.objects["tpe_entry"]


def _case_awaiting_review(c, *, closed: bool = False):
    """tpe_case assigned, assessed and sent for the opening review (the worker's steps, by the services);
    with ``closed``, also opened, proposed for closing and closed."""
    from app.cases import services as cases
    from app.cases.models import FamilyCase
    from app.cases.reference import AssessmentOutcome, Level

    case = c.get(FamilyCase, c.objects["tpe_case"])
    sup, sw = c.user("tpe.sup"), c.user("tpe.sw1")
    sup_m, sw_m = sup.memberships[0], sw.memberships[0]
    with tenancy.tenant_scope(case.tenant_id):
        cases.assign(case, sup, sup_m, sw)
        medium = next(f for f in cases.factor_table_in_force().factors if f.level == Level.MEDIUM)
        cases.assess_vulnerability(case, sw, sw_m, dimensions=["economic"], factor_ids=[medium.id])
        cases.decide(case, sw, sw_m, AssessmentOutcome.CASE_MANAGEMENT)
        if closed:
            cases.review_opening(case, sup, sup_m, approve=True)
            cases.propose_closing(case, sw, sw_m, "目標達成", Level.LOW)
            cases.review_closing(case, sup, sup_m, approve=True)
        c.db.session.commit()
    return c.objects["tpe_case"]


def _review(c, client):
    case_id = _case_awaiting_review(c)
    return client.post(f"/cases/{case_id}/review", {"rv-decision": "approve", "rv-comment": "稽核核准"}), case_id


def _reopen(c, client):
    case_id = _case_awaiting_review(c, closed=True)
    return client.post(f"/cases/{case_id}/reopen", {"ro-reason": "稽核家長再次求助"}), case_id


def _case_link(c, client):
    from app.cases.models import FamilyCase

    item_id = c.objects["tpe_item"]
    assert client.post(f"/meetings/items/{item_id}/case", {"cl-case_no": ""}).status_code == 303  # unlinked first
    case_no = c.get(FamilyCase, c.objects["tpe_case"]).case_no
    return client.post(f"/meetings/items/{item_id}/case", {"cl-case_no": case_no}), item_id


def _handover_request(c, client, to_unit):
    """The fixture's pending handover (to 萬華) declined first: one pending handover a case."""
    from app.referrals.models import HandoverStatus, LeadHandover

    handover = c.get(LeadHandover, c.objects["tpe_handover"])
    with tenancy.tenant_scope(handover.tenant_id):
        handover.status = HandoverStatus.DECLINED
        c.db.session.commit()
    case_id = c.objects["tpe_case"]
    r = client.post(f"/cases/{case_id}/handover", {"ho-to_unit_id": to_unit.id, "ho-reason": "稽核移轉主責"})
    with tenancy.all_tenants("test: the handover just requested"):
        new_id = c.db.session.scalar(sa.select(sa.func.max(LeadHandover.id)).where(LeadHandover.case_id == case_id))
    return r, new_id


def _handover(c, client):
    return _handover_request(c, client, c.unit("臺北市萬華社會福利服務中心"))


def _handover_answer(c, client):
    from app.cases.models import CaseUnit, CaseUnitRole, FamilyCase

    dv = c.unit("臺北市家庭暴力暨性侵害防治中心")  # a collaborator with a supervisor (tpe.dvsup)
    case = c.get(FamilyCase, c.objects["tpe_case"])
    with tenancy.tenant_scope(case.tenant_id):
        case.units.append(CaseUnit(unit_id=dv.id, role=CaseUnitRole.COLLABORATOR))
        c.db.session.commit()
    response, handover_id = _handover_request(c, c.as_user("tpe.sup"), dv)
    assert response.status_code == 303 and handover_id != c.objects["tpe_handover"]
    case_id = c.objects["tpe_case"]
    return client.post(f"/cases/{case_id}/handover/{handover_id}", {"ha-decision": "accept",
                                                                    "ha-note": "稽核接任"}), handover_id


def _handover_cancel(c, client):
    """The fixture's pending hand-over (中正 → 萬華), cancelled by the proposing unit's supervisor."""
    case_id, handover_id = c.objects["tpe_case"], c.objects["tpe_handover"]
    return client.post(f"/cases/{case_id}/handover/{handover_id}/cancel", {"hc-note": "稽核取消移轉"}), handover_id


def _dispute_withdraw(c, client):
    """The fixture's dispute (filed by 中正), withdrawn by its filer after the confirmation."""
    dispute_id = c.objects["tpe_dispute"]
    return client.post(f"/disputes/{dispute_id}/withdraw", {"dw-reason": "稽核撤回爭議", "confirm": "1"}), dispute_id


def _report_run(c, status, kind):
    """A 臺北市 run of 2026 Q3 in ``status`` (the fixture's submitted one is of another kind)."""
    from datetime import date

    from app.core.models import utcnow
    from app.reports import queries as report_queries
    from app.reports.models import PeriodKind, ReportRun, RunStatus

    taipei = c.factories.county("臺北市")
    done = status == RunStatus.DONE
    with tenancy.tenant_scope(taipei.id):
        run = ReportRun(tenant_id=taipei.id, kind=kind, period_kind=PeriodKind.QUARTER, period_start=date(2026, 7, 1),
                        period_end=date(2026, 9, 30), status=status, requested_at=utcnow(), finished_at=utcnow(),
                        pdf=b"%PDF-1.7 audit" if done else None, sha256="0" * 64 if done else None,
                        figures=report_queries.count_empty(kind) if done else None,
                        error="" if done else "稽核：字型快取失效")
        c.db.session.add(run)
        c.db.session.commit()
        return run.id


def _retry(c, client):
    from app.reports.models import ReportKind, RunStatus

    run_id = _report_run(c, RunStatus.FAILED, ReportKind.REFERRALS)
    return client.post(f"/reports/{run_id}/retry", {}), run_id


def _submit(c, client):
    from app.reports.models import ReportKind, RunStatus

    run_id = _report_run(c, RunStatus.DONE, ReportKind.SCREENING)
    return client.post(f"/reports/{run_id}/submit", {"confirm": "1", "acknowledge": "1"}), run_id


def _add_member(c, client):
    from app.cases.models import CaseMember, FamilyCase

    case_id = c.objects["tpe_case"]
    r = client.post(f"/cases/{case_id}/members", {"mb-relation": "mother", "mb-name": "稽核案母", "mb-sex": "F",
                                                  "mb-birth_date": "75/03/14", "mb-id_number": "A223456781"})
    case = c.get(FamilyCase, case_id)
    with tenancy.tenant_scope(case.tenant_id):
        member = c.db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == case_id,
                                                                  CaseMember.name == "稽核案母")).first()
    return r, member.id if member else None


def _correct_member(c, client):
    case_id, member_id = c.objects["tpe_case"], c.objects["tpe_member"]
    return client.post(f"/cases/{case_id}/members/{member_id}/correct", {
        "mc-name": "王小民", "mc-id_number": "A123456789", "mc-birth_date": "", "mc-reason": "稽核戶籍謄本更正"}), member_id


def _end_member(c, client):
    case_id, member_id = c.objects["tpe_case"], c.objects["tpe_member"]
    return client.post(f"/cases/{case_id}/members/{member_id}/end", {
        "me-reason": "moved_out", "me-ended_on": "115/11/30", "me-note": "稽核遷出"}), member_id


def _end_group(c, client):
    case_id, mark_id = c.objects["tpe_case"], c.objects["tpe_mark"]
    return client.post(f"/cases/{case_id}/target-groups/{mark_id}/end", {
        "te-ended_on": "115/11/30", "te-reason": "稽核不再獨居"}), mark_id


def _correct_removal(c, client):
    from app.cases.models import ImageRemovalCorrection

    case_id, request_id = c.objects["tpe_case"], c.objects["tpe_removal"]
    done = client.post(f"/cases/{case_id}/image-removals/{request_id}/outcome",
                       {"io-outcome": "removed", "io-outcome_on": "115/03/05"})
    assert done.status_code == 303
    r = client.post(f"/cases/{case_id}/image-removals/{request_id}/correction", {
        "ic-outcome": "pending", "ic-outcome_on": "", "ic-reason": "稽核誤按已移除"})
    with tenancy.tenant_scope(c.factories.county("臺北市").id):
        fix = c.db.session.scalars(sa.select(ImageRemovalCorrection.id).where(
            ImageRemovalCorrection.request_id == request_id)).first()
    return r, fix


def _read_case(c, client):
    case_id = c.objects["tpe_case"]
    return client.get(f"/cases/{case_id}"), case_id


def _report_pdf(c, client):
    run_id = c.objects["tpe_run"]
    return client.get(f"/reports/{run_id}/file.pdf"), run_id


def _meeting_pdf(c, client):
    document_id = c.objects["tpe_document"]
    return client.get(f"/meetings/documents/{document_id}.pdf"), document_id


def _upload_document(c, client):
    import io

    from app.cases.demo import demo_pdf
    from app.cases.documents import CaseDocument

    case_id = c.objects["tpe_case"]
    r = client.post(f"/cases/{case_id}/documents", {"doc-file": (io.BytesIO(demo_pdf(["稽核"])), "稽核同意書.pdf"),
                                                    "doc-kind": "consent", "doc-description": "稽核"},
                    content_type="multipart/form-data")
    with tenancy.all_tenants("test: the document the upload made"):
        document_id = c.db.session.scalars(sa.select(CaseDocument.id).where(CaseDocument.filename == "稽核同意書.pdf")).first()
    return r, document_id


def _delete_document(c, client):
    case_id, document_id = c.objects["tpe_case"], c.objects["tpe_case_document"]
    return client.post(f"/cases/{case_id}/documents/{document_id}/delete", {"dx-reason": "稽核誤傳"}), document_id


def _case_document(c, client):
    case_id, document_id = c.objects["tpe_case"], c.objects["tpe_case_document"]
    return client.get(f"/cases/{case_id}/documents/{document_id}"), document_id


def _referral_document(c, client):
    referral_id, document_id = c.objects["tpe_referral"], c.objects["tpe_case_document"]
    return client.get(f"/referrals/{referral_id}/documents/{document_id}"), document_id


SECRETS: list[str] = []

ACTIONS = {
    "accounts.admin_user_new": Action("tpe.admin", _user_new, "users", "tpe.audit", AuditAction.CREATE),
    "accounts.admin_user_grant": Action("tpe.admin", _grant, "memberships", "supervisor", AuditAction.CREATE),
    "accounts.admin_user_revoke": Action("tpe.admin", _revoke, "memberships", "移除 tpe.sw2 的角色", AuditAction.DELETE),
    "accounts.admin_user_reset": Action("tpe.admin", _reset, "users", "重設", AuditAction.PASSWORD_RESET, ok=(200,)),
    "accounts.admin_user_deactivate": Action("tpe.admin", _deactivate, "users", "active", AuditAction.UPDATE),
    "accounts.admin_user_activate": Action("tpe.admin", _activate, "users", "active", AuditAction.UPDATE),
    "tenants.unit_new": Action("tpe.admin", _unit_new, "units", "稽核分局", AuditAction.CREATE),
    "tenants.unit_edit": Action("tpe.admin", _unit_edit, "units", "02-2758-6119", AuditAction.UPDATE),
    "tenants.unit_edit: districts": Action("tpe.admin", _unit_districts, "units", '["中正區", "中正區、大同區"]',
                                           AuditAction.UPDATE),
    "tenants.county_edit": Action("sysadmin", _county_edit, "counties", "is_active", AuditAction.UPDATE, "sysadmin"),
    "tenants.partner_edit": Action("sysadmin", _partner_edit, "partner_organisations", "稽核簡稱", AuditAction.UPDATE,
                                   "sysadmin"),
    "tenants.partner_edit: counties": Action("sysadmin", _partner_counties, "partner_organisations", "高雄市",
                                             AuditAction.UPDATE, "sysadmin"),
    "tenants.partner_branch_new": Action("sysadmin", _branch_new, "units", "家扶稽核服務處", AuditAction.CREATE, "sysadmin"),
    "tenants.ministry_unit_edit": Action("sysadmin", _ministry_unit_edit, "units", "保護司稽核", AuditAction.UPDATE,
                                         "sysadmin"),
    "referrals.service_edit": Action("sysadmin", _service_new, "partner_services", "稽核親職團體", AuditAction.CREATE,
                                     "sysadmin"),
    "intake.deadline_rules": Action("tpe.admin", _deadlines, "dispatch_rules", "other_days", AuditAction.CREATE),
    "intake.api_tokens": Action("tpe.admin", _token_new, "api_tokens", "稽核測試系統", AuditAction.CREATE),
    "intake.api_token_revoke": Action("tpe.admin", _token_revoke, "api_tokens", "revoked_at", AuditAction.UPDATE),
    "exchange.clients": Action("tpe.admin", _exchange_new, "exchange_clients", "稽核交換系統", AuditAction.CREATE),
    "exchange.client_revoke": Action("tpe.admin", _exchange_revoke, "api_tokens", "revoked_at", AuditAction.UPDATE),
    "reference.factor_table_new": Action("moh.protect", _factor_table, "risk_factors", "稽核斷炊", AuditAction.CREATE,
                                         "sysadmin"),
    "reference.tipvda_new": Action("moh.protect", _tipvda, "tipvda_versions", "TIPVDA-稽核", AuditAction.CREATE,
                                   "sysadmin"),
    "reference.catalogue_new": Action("moh.protect", _catalogue, "service_catalogue_items", "稽核諮詢", AuditAction.CREATE,
                                      "sysadmin"),
    "intake.report_dispatch": Action("tpe.dispatch", _dispatch, "reports", "dispatched", AuditAction.UPDATE),
    "intake.report_screen_out": Action("tpe.dispatch", _screen_out, "reports", "data_error", AuditAction.UPDATE),
    "intake.report_transfer": Action("tpe.dispatch", _transfer, "reports", "transferred", AuditAction.UPDATE),
    "meetings.finalise": Action("tpe.admin", _finalise, "meetings", "finalised", AuditAction.UPDATE),
    "meetings.decide": Action("tpe.admin", _decide, "item_decisions", "close", AuditAction.CREATE),
    "meetings.release": Action("tpe.admin", _release, "action_item_units", "稽核解除"),
    "meetings.reopen_part": Action("tpe.admin", _reopen_part, "action_item_units", "稽核恢復列管"),
    "meetings.note": Action("tpe.admin", _note, "item_decisions", "稽核列管建議"),
    "meetings.table_settings": Action("tpe.admin", _table_settings, "meetings", "稽核附件", AuditAction.UPDATE),
    "intake.report_refer": Action("tpe.dispatch", _refer, "reports", "長照", AuditAction.UPDATE),
    "cases.assign": Action("tpe.sup", _assign, "family_cases", "assigned_worker_id", AuditAction.UPDATE),
    "meetings.series_new": Action("moh.protect", _series_new, "meeting_series", "稽核工作進度會議", AuditAction.CREATE,
                                  "sysadmin"),
    "meetings.meeting_new": Action("tpe.admin", _meeting_new, "meetings", "稽核會議室", AuditAction.CREATE),
    "meetings.item_new": Action("tpe.admin", _item_new, "action_item_units", "主辦", AuditAction.CREATE),
    "meetings.instruct": Action("tpe.admin", _instruct, "chair_instructions", "稽核主席提示", AuditAction.CREATE),
    "meetings.merge": Action("tpe.admin", _merge, "action_items", "merged_into_id", AuditAction.UPDATE),
    "meetings.minutes_edit": Action("tpe.admin", _amend, "meeting_amendments", "依與會單位意見修正", AuditAction.CREATE),
    "referrals.dispute_decide": Action("tpe.admin", _dispute_decide, "disputes", "maintain", AuditAction.UPDATE),
    "campaigns.open_campaign": Action("moh.protect", _campaign_open, "campaigns", "稽核春節", AuditAction.CREATE,
                                      "sysadmin"),
    "campaigns.rules": Action("moh.protect", _rules, "campaign_rule_sets", "稽核改版", AuditAction.CREATE, "sysadmin"),
    "campaigns.tick": Action("tpe.admin", _tick, "campaign_manual_indicators", "稽核重大事件", AuditAction.CREATE),
    "campaigns.set_unit": Action("tpe.admin", _set_unit, "campaign_entries", "visiting_unit_id", AuditAction.UPDATE),
    "campaigns.add_duty": Action("tpe.admin", _add_duty, "campaign_duty_contacts", "稽核社工", AuditAction.CREATE),
    "campaigns.delete_duty": Action("tpe.admin", _delete_duty, "campaign_duty_contacts", "刪除", AuditAction.DELETE),
    "campaigns.compute": Action("tpe.admin", _compute, "campaign_entries", "1C", AuditAction.UPDATE),
    "campaigns.add_network": Action("tpe.admin", _add_network, "campaign_entries", "稽核未完成預防接種",
                                    AuditAction.CREATE),
    "campaigns.import_network": Action("tpe.admin", _import_network, "campaign_entries", "稽核高關懷個案",
                                       AuditAction.UPDATE),
    "cases.review": Action("tpe.sup", _review, "family_cases", "督導核准開案", AuditAction.STATE_CHANGE),
    "cases.reopen": Action("tpe.sup", _reopen, "family_cases", "稽核家長再次求助", AuditAction.STATE_CHANGE),
    "meetings.case_link": Action("tpe.admin", _case_link, "action_items", "case_id", AuditAction.UPDATE),
    "referrals.handover": Action("tpe.sup", _handover, "lead_handovers", "主責移轉至 臺北市萬華社會福利服務中心",
                                 AuditAction.CREATE),
    "referrals.handover_answer": Action("tpe.dvsup", _handover_answer, "lead_handovers", "accepted",
                                        AuditAction.UPDATE),
    "referrals.handover_cancel": Action("tpe.sup", _handover_cancel, "lead_handovers", "待接受 → 已取消",
                                        AuditAction.STATE_CHANGE),
    "referrals.dispute_withdraw": Action("tpe.sw1", _dispute_withdraw, "disputes", "待對方回應 → 已撤回",
                                         AuditAction.STATE_CHANGE),
    "reports.retry": Action("tpe.admin", _retry, "report_runs", "failed", AuditAction.UPDATE),
    "reports.submit": Action("tpe.admin", _submit, "report_runs", "submitted_at", AuditAction.UPDATE),
    "cases.add_member": Action("tpe.sw1", _add_member, "case_members", "稽核案母", AuditAction.CREATE),
    "cases.correct_member": Action("tpe.sw1", _correct_member, "case_members", "王小民", AuditAction.UPDATE),
    "cases.end_member": Action("tpe.sw1", _end_member, "case_members", "moved_out", AuditAction.UPDATE),
    "cases.end_group": Action("tpe.sw1", _end_group, "case_target_groups", "稽核不再獨居", AuditAction.UPDATE),
    "cases.correct_removal": Action("tpe.sw1", _correct_removal, "image_removal_corrections", "稽核誤按已移除",
                                    AuditAction.CREATE),
    "read: cases.case_detail": Action("tpe.sw1", _read_case, "family_cases", "查閱", AuditAction.READ),
    "read: reports.download": Action("tpe.admin", _report_pdf, "report_runs", "下載", AuditAction.READ),
    "read: meetings.document_pdf": Action("tpe.admin", _meeting_pdf, "meeting_documents", "下載", AuditAction.READ),
    "cases.upload_document": Action("tpe.sw1", _upload_document, "case_documents", "稽核同意書.pdf", AuditAction.CREATE),
    "cases.delete_document": Action("tpe.sw1", _delete_document, "case_documents", "稽核誤傳", AuditAction.UPDATE),
    "read: cases.document_download": Action("tpe.sw1", _case_document, "case_documents", "下載案件文件",
                                            AuditAction.READ),
    "read: referrals.document_download": Action("tpe.sw1", _referral_document, "case_documents", "經轉介",
                                                AuditAction.READ),
}

# Privileged POST routes of the access matrix not (yet) in ACTIONS, each with its reason.
NOT_IN_TABLE = {
    "targets.refresh": "audit.record UPDATE target_snapshot in app/targets/views.py refresh; asserted in tests/targets/test_snapshot.py",
    "targets.save_denominator": "TargetDenominator is audited; who, value and source asserted in tests/targets/test_pages.py "
                                "(the branch has no measure with an entered denominator outside that test's fixture)",
    **{f"investigations.{name}": "Investigation is audited and its workflow fires by name; asserted in "
                                 "tests/investigations/test_services.py (centre staff are no persona of this table)"
       for name in ("start", "conclude", "dispatch", "close")},
    "investigations.settings": "County.investigation_from is audited with the county; asserted in "
                               "tests/investigations/test_views.py",
    "accounts.admin_user_reset_totp": "its audit entry is asserted in tests/accounts/test_totp.py (reset by a county admin)",
    "retention.decide": "RetentionDecision is audited; who and why asserted in tests/retention/test_services.py",
    "retention.case_review": "RetentionDecision is audited; who and why asserted in tests/retention/test_services.py",
    "intake.report_claim": "claiming takes a report off the shared queue; shown in _dispatch (Report.claimed_by audited)",
    "intake.report_release": "undoes a claim; Report.claimed_by is audited",
    "intake.report_new": "intake of a hotline report (the dispatcher's daily work); Report and ReportPerson audited",
    "meetings.documents_view": "asks a job for a PDF; MeetingDocument is audited",
    "meetings.remind": "sends in-app reminders, changes no record",
    "reports.request_report": "asks a job for a report; ReportRun is audited",
}


def _privileged_post_routes(app):
    out = set()
    for rule in app.url_map.iter_rules():
        route = ROUTES.get(rule.endpoint)
        if route is None or "POST" not in rule.methods:
            continue
        who = set(route.party or route.allowed)
        if not who & {PUBLIC, ACCOUNT, MEMBER, SW, PARTNER}:
            out.add(rule.endpoint)
    return out


def test_every_privileged_route_is_in_the_table(app):
    privileged = _privileged_post_routes(app)
    missing = sorted(privileged - set(ACTIONS) - set(NOT_IN_TABLE))
    assert not missing, f"privileged POST routes with neither a row in ACTIONS nor a reason in NOT_IN_TABLE: {missing}"
    stale = sorted(set(NOT_IN_TABLE) - privileged)
    assert not stale, f"NOT_IN_TABLE names routes that are not privileged POST routes: {stale}"


def _entries_after(db, last_id):
    with tenancy.all_tenants("test: the entries an action wrote"):
        # plain rows, not instances: on PostgreSQL an expired entry could not be reloaded outside this scope
        columns = [AuditEvent.id, AuditEvent.actor_username, AuditEvent.record_type, AuditEvent.record_id,
                   AuditEvent.action, AuditEvent.summary, AuditEvent.changes]
        return db.session.execute(sa.select(*columns).where(AuditEvent.id > last_id).order_by(AuditEvent.id)).all()


def _last_id(db):
    with tenancy.all_tenants("test: the log's last entry"):
        return db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0


@pytest.mark.parametrize("name", list(ACTIONS))
def test_a_privileged_action_writes_an_entry_naming_who_and_what(name, as_user, factories, db, taipei_objects,
                                                                 inline_jobs):
    """Jobs an action starts (a report's retry) run inline: a worker could not see the test's rows."""
    spec = ACTIONS[name]
    ctx = Ctx(as_user, factories, db, taipei_objects)
    client = as_user(spec.username)
    before = _last_id(db)
    response, record_id = spec.do(ctx, client)
    assert response.status_code in spec.ok, (name, response.status_code, response.get_data(as_text=True)[:500])
    entries = [e for e in _entries_after(db, before)
               if e.actor_username == spec.username and e.record_type == spec.record_type
               and (spec.action is None or e.action == spec.action)
               and (record_id is None or e.record_id == str(record_id))]
    assert entries, f"{name}: no {spec.action} entry on {spec.record_type} by {spec.username}"
    entry = next((e for e in entries if spec.needle in e.summary + json.dumps(e.changes or {}, ensure_ascii=False)),
                 None)
    assert entry is not None, (name, [(e.summary, e.changes) for e in entries])
    assert entry.summary, name  # every entry says in words what it is about
    viewer = as_user(spec.viewer)
    page = viewer.get(f"/admin/audit?record_type={entry.record_type}&record_id={entry.record_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert spec.username in body and entry.summary.split("（")[0][:20] in body, name
    _assert_no_secrets(db)


def _assert_no_secrets(db):
    """No password hash, temporary password, API token (or its hash) or lookup code in any entry."""
    from app.accounts.models import User
    from app.intake.models import ApiToken, Report

    with tenancy.all_tenants("test: secrets must not reach the log"):
        secrets = [s for s in db.session.scalars(sa.select(User.password_hash)) if s]
        secrets += list(db.session.scalars(sa.select(ApiToken.token_hash)))
        secrets += [s for s in db.session.scalars(sa.select(Report.lookup_hash)) if s]
        rows = db.session.execute(sa.select(AuditEvent.id, AuditEvent.summary, AuditEvent.changes)).all()
    secrets += SECRETS
    secrets = [s for s in secrets if s and len(s) >= 6]
    assert secrets
    for entry_id, summary, changes in rows:
        text = summary + json.dumps(changes or {}, ensure_ascii=False)
        leaked = [s[:6] + "…" for s in secrets if s in text]
        assert not leaked, f"audit entry {entry_id} contains a secret: {leaked}"


def test_the_public_lookup_code_never_reaches_the_log(client, db, factories):
    """The public form shows the lookup code once; neither it nor its hash is in any entry."""
    taipei = factories.county("臺北市")
    district = next(d for d in taipei.districts if d.name == "中正區")
    from app.intake import services
    from app.intake.reference import ReportingChannel

    with tenancy.tenant_scope(taipei.id):
        data = services.ReportInput(district_id=district.id, concerns=["vulnerable_family"], narrative="稽核",
                                    persons=[services.PersonInput(name="李小華", relation="subject")])
        report, code = services.receive(taipei, data, ReportingChannel("36"))
        db.session.commit()
    assert code
    SECRETS.append(code)
    _assert_no_secrets(db)
