"""A Hypothesis state machine over real actions of the dispatcher and the centre's staff: reports received
before and after the start date, dispatched, investigated, concluded, dispatched to services or ended, by
whoever the step draws (also people who may not). After every step:

- no investigation with a service need is without a unit holding the family: it is in the centre's queue
  (調查完成) or dispatched with a case whose lead is the unit it went to;
- no report received before the county's start date ever reaches the centre;
- every child-protection report on the centre's route that was dispatched has exactly one investigation;
- a dispatch with 同時轉介民間團體 (with good or bad input) never leaves a partner referral without the family's
  case led by the county unit it was dispatched to, nor a referral of an investigation not dispatched.
"""
from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from app.cases.models import CaseUnitRole, FamilyCase
from app.core import tenancy
from app.core.errors import DomainError
from app.core.models import utcnow
from app.extensions import db as _db
from app.intake import services as intake
from app.intake.models import ChildClass, ChildGrade, Report, ReportStatus
from app.investigations import queries, services
from app.investigations.models import IN_QUEUE, Investigation, InvestigationStatus as S
from app.referrals.models import PartnerService, Referral, ReferralKind

from .conftest import BEFORE, EDGE_AFTER, EDGE_BEFORE, START, receive

EXAMPLES = int(os.environ.get("INVESTIGATION_MACHINE_EXAMPLES", "30"))


class InvestigationMachine(RuleBasedStateMachine):
    c: dict = {}
    done: Counter = Counter()
    refused: Counter = Counter()

    def __init__(self):
        super().__init__()
        self.outer = _db.session.begin_nested()
        self.county = self.c["county"].id

    def teardown(self):
        self.outer.rollback()
        _db.session.expire_all()

    def _step(self, name, action):
        savepoint = _db.session.begin_nested()
        try:
            with tenancy.tenant_scope(self.county):
                action()
                _db.session.flush()
            savepoint.commit()
            InvestigationMachine.done[name] += 1
        except DomainError as exc:
            InvestigationMachine.refused[f"{name}: {exc}"[:50]] += 1
            savepoint.rollback()
        _db.session.expire_all()

    def _investigations(self, data, states=None):
        with tenancy.tenant_scope(self.county):
            stmt = sa.select(Investigation.id).order_by(Investigation.id)
            if states:
                stmt = stmt.where(Investigation.status.in_(states))
            ids = list(_db.session.scalars(stmt))
        return data.draw(st.sampled_from(ids)) if ids else None

    @rule(when=st.sampled_from(["before", "edge_before", "edge_after", "now"]),
          lead=st.sampled_from(["proposed", "proposed", "proposed", "unit", "dv", "welfare"]), grade=st.sampled_from(list(ChildGrade)))
    def report_dispatched(self, when, lead, grade):
        at = {"before": BEFORE, "edge_before": EDGE_BEFORE, "edge_after": EDGE_AFTER, "now": None}[when]

        def act():
            report = receive(self.c["county"], received_at=at)
            intake.claim(report, self.c["dispatcher"])
            unit = intake.proposed_lead_unit(report) if lead == "proposed" else self.c[lead]
            intake.dispatch(report, self.c["dispatcher"], unit, child_grade=grade, child_class=ChildClass.FIRST)
        self._step(f"dispatch:{when}:{lead}", act)

    @rule(data=st.data(), who=st.sampled_from(["worker", "supervisor", "dispatcher"]))
    def start(self, data, who):
        inv_id = self._investigations(data, [S.PENDING])
        if inv_id is not None:
            self._step("start", lambda: services.start(_db.session.get(Investigation, inv_id), self.c[who],
                                                       self.c[who].memberships[0]))

    @rule(data=st.data(), need=st.booleans(), who=st.sampled_from(["worker", "supervisor"]))
    def conclude(self, data, need, who):
        inv_id = self._investigations(data, [S.INVESTIGATING])
        if inv_id is not None:
            self._step("conclude", lambda: services.conclude(
                _db.session.get(Investigation, inv_id), self.c[who], self.c[who].memberships[0], substantiated=need,
                service_need=need, note="結果"))

    @rule(data=st.data(), to=st.sampled_from(["dv", "welfare", "unit"]), twice=st.booleans())
    def dispatch(self, data, to, twice):
        inv_id = self._investigations(data, data.draw(st.sampled_from([[S.CONCLUDED], [S.CONCLUDED], [S.CONCLUDED], list(S)])))
        if inv_id is None:
            return
        for _ in range(2 if twice else 1):
            self._step("send", lambda: services.dispatch(_db.session.get(Investigation, inv_id), self.c["worker"],
                                                         self.c["worker_m"], self.c[to]))

    @rule(data=st.data(), to=st.sampled_from(["dv", "welfare", "unit"]), who=st.sampled_from(["worker", "supervisor"]),
          reason=st.sampled_from(["需課後照顧", " "]), consent=st.booleans(), legal=st.booleans(),
          service=st.sampled_from(["here", "here", "elsewhere"]), twice=st.booleans())
    def dispatch_with_partner(self, data, to, who, reason, consent, legal, service, twice):
        inv_id = self._investigations(data, data.draw(st.sampled_from([[S.CONCLUDED], [S.CONCLUDED], list(S)])))
        if inv_id is None:
            return
        partner = services.PartnerReferral(self.c["partner_services"][service], reason=reason, consent=consent,
                                           consent_by="案母" if consent else "",
                                           legal_basis="兒少權法第53條" if legal else "", sections=["members"])
        for _ in range(2 if twice else 1):
            self._step("send+partner", lambda: services.dispatch(
                _db.session.get(Investigation, inv_id), self.c[who], self.c[f"{who}_m"], self.c[to], partner=partner))

    @rule(data=st.data(), who=st.sampled_from(["worker", "supervisor"]))
    def close(self, data, who):
        inv_id = self._investigations(data, [S.CONCLUDED])
        if inv_id is not None:
            self._step("close", lambda: services.close(_db.session.get(Investigation, inv_id), self.c[who],
                                                       self.c[who].memberships[0], "無需服務"))

    @rule(data=st.data(), need=st.booleans(), to=st.sampled_from(["dv", "welfare"]), twice=st.booleans(),
          with_partner=st.booleans())
    def carry_through(self, data, need, to, twice, with_partner):
        """One family's whole investigation in a row, as the worker would do it over the days."""
        inv_id = self._investigations(data, [S.PENDING, S.INVESTIGATING, S.CONCLUDED])
        if inv_id is None:
            return
        get = lambda: _db.session.get(Investigation, inv_id)  # noqa: E731
        w, wm, sup, sm = self.c["worker"], self.c["worker_m"], self.c["supervisor"], self.c["supervisor_m"]
        self._step("start", lambda: services.start(get(), w, wm))
        self._step("conclude", lambda: services.conclude(get(), w, wm, substantiated=need, service_need=need, note="結果"))
        partner = services.PartnerReferral(self.c["partner_services"]["here"], reason="需親職教育", consent=True,
                                           consent_by="案父") if with_partner else None
        for _ in range(2 if twice else 1):
            self._step("send+partner" if partner else "send",
                       lambda: services.dispatch(get(), w, wm, self.c[to], partner=partner))
        self._step("close", lambda: services.close(get(), sup, sm, "無需服務"))

    @invariant()
    def no_family_between_units(self):
        with tenancy.tenant_scope(self.county):
            queued = {i.id for i in queries.queue()}
            for inv in _db.session.scalars(sa.select(Investigation)):
                if inv.status in IN_QUEUE:
                    assert inv.id in queued
                if inv.service_need:
                    assert inv.status in (S.CONCLUDED, S.DISPATCHED)
                if inv.status == S.DISPATCHED:
                    case = _db.session.get(FamilyCase, inv.dispatched_case_id)
                    assert [u.unit_id for u in case.units if u.role == CaseUnitRole.LEAD] == [inv.dispatched_unit_id]
                    assert inv.report.case_id == case.id
                if inv.status == S.CLOSED:
                    assert inv.service_need is False

    @invariant()
    def a_partner_referral_only_beside_a_county_lead(self):
        with tenancy.tenant_scope(self.county):
            for referral in _db.session.scalars(sa.select(Referral).where(Referral.kind == ReferralKind.PARTNER)):
                inv = _db.session.scalars(sa.select(Investigation).where(
                    Investigation.dispatched_case_id == referral.case_id)).one()
                assert inv.status == S.DISPATCHED and referral.from_unit_id == inv.dispatched_unit_id
                case = _db.session.get(FamilyCase, referral.case_id)
                assert [u.unit_id for u in case.units if u.role == CaseUnitRole.LEAD] == [inv.dispatched_unit_id]
                assert referral.reason.strip() and referral.tenant_id == self.county
                assert referral.consent or referral.legal_basis

    @invariant()
    def before_the_start_never_reaches_the_centre(self):
        with tenancy.tenant_scope(self.county):
            for report in _db.session.scalars(sa.select(Report).where(Report.status == ReportStatus.DISPATCHED)):
                received = (report.received_at + timedelta(hours=8)).date()
                on_centre = report.lead_unit_id == self.c["unit"].id
                has_inv = _db.session.scalar(sa.select(sa.func.count()).select_from(Investigation)
                                             .where(Investigation.report_id == report.id))
                if received < START:
                    assert not on_centre and not has_inv
                else:
                    assert on_centre and has_inv == 1 and (report.case_id is None) == (
                        _db.session.scalar(sa.select(Investigation.status).where(Investigation.report_id == report.id))
                        != S.DISPATCHED)


def test_no_family_falls_between_units_and_old_reports_keep_their_route(centre, db, factories):
    here = next(s for s in _db.session.scalars(sa.select(PartnerService).order_by(PartnerService.id))
                if centre["county"].id in s.county_ids)
    elsewhere = PartnerService(partner_org_id=here.partner_org_id, name="高雄限定", county_ids=[factories.county("高雄市").id])
    _db.session.add(elsewhere)
    _db.session.commit()
    InvestigationMachine.c = {**centre, "partner_services": {"here": here, "elsewhere": elsewhere}}
    InvestigationMachine.done = Counter()
    InvestigationMachine.refused = Counter()
    run_state_machine_as_test(InvestigationMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
    print("steps carried out:", dict(InvestigationMachine.done), "refused:", dict(InvestigationMachine.refused))
    assert any(k.startswith("dispatch:") and k.endswith((":proposed", ":unit")) for k in InvestigationMachine.done)
    # Dispatches with a partner are among the machine's rules, but whether a random run reaches one is chance
    # (a PostgreSQL run of 30 examples reached none): their paths are pinned in test_partner_dispatch.py.
