"""No family ever falls between units (issue 18, defect 2): a Hypothesis state machine
applies random sequences of the real workflow actions through the services (dispatch,
open, refer, accept, complete, dispute, decide, withdraw a dispute, hand over, propose a hand-over
and cancel it, county transfer, close, reopen)
and checks after every step, with the app's own access checks:

- every case has exactly one lead unit, and no unit is both lead and 協力;
- every open referral can be read by its sender and its receiver, and the current lead of
  its case acts on it as the sending side (referrals follow the case);
- a lead that changed is still on the case (協力 or read-only former lead) and reads it;
- every notice about a referral or a case reaches only people who can read it; an outcome
  (轉介完成／轉介失敗) only units that can still read the case (or the receiver who wrote it).

The default example count keeps CI quick; LEAD_MACHINE_EXAMPLES=2000 runs it long locally.
"""
import os
import re
from collections import Counter

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)

from app.accounts.models import Role, User
from app.cases import services as case_services
from app.cases.models import CaseStatus, CaseUnit, CaseUnitRole, FamilyCase
from app.cases.reference import AssessmentOutcome, Level
from app.core import tenancy
from app.extensions import db as _db
from app.referrals import disputes, joint, queries, services
from app.referrals.models import (
    OPEN_REFERRAL_STATUSES, Dispute, DisputeOutcome, DisputeStatus, HandoverStatus, LeadHandover, Notification,
    PartnerService, Referral, ReferralKind, ReferralOutcome, ReferralStatus,
)
from tests.referrals.helpers import new_case

REFUSED = (services.ReferralError, joint.JointError, disputes.DisputeError, case_services.CaseError)
CENTRE, WANHUA, DV = "臺北市中正社會福利服務中心", "臺北市萬華社會福利服務中心", "臺北市家庭暴力暨性侵害防治中心"
EXAMPLES = int(os.environ.get("LEAD_MACHINE_EXAMPLES", "25"))


@pytest.fixture
def cast(world, factories):
    """Who acts for each unit: a supervisor and a worker where the unit has them."""
    p = world["people"]
    wanhua = factories.unit(WANHUA)
    wanhua_sup = factories.make_user(Role.SUPERVISOR, wanhua, username="tpe.whsup")
    hualien = factories.county("花蓮縣")
    units = {name: factories.unit(name) for name in (CENTRE, WANHUA, DV)}
    m = lambda user: next(x for x in user.memberships)  # noqa: E731
    sups = {units[CENTRE].id: p["sup"], units[DV].id: p["dvsup"], wanhua.id: (wanhua_sup, m(wanhua_sup))}
    workers = {units[CENTRE].id: p["sw"], units[DV].id: p["dv"], wanhua.id: p["wanhua"]}
    hua_dispatch = factories.user("hua.dispatch")
    return {
        "taipei": world["taipei"], "hualien": hualien, "units": units, "sups": sups, "workers": workers,
        "admin": p["admin"], "dispatch": p["dispatch"], "ngo": p["ngo"],
        "hua_dispatch": (hua_dispatch, m(hua_dispatch)), "hua_lead": factories.unit("花蓮縣花蓮社會福利服務中心"),
        "service": _db.session.scalars(sa.select(PartnerService).where(PartnerService.name == "兒少及家庭支持服務")).one(),
        "world": world,
    }


class LeadMachine(RuleBasedStateMachine):
    cast: dict = {}
    done: Counter = Counter()  # steps carried out (not refused), over the whole run
    refused: Counter = Counter()

    def __init__(self):
        super().__init__()
        self.outer = _db.session.begin_nested()
        self.case_ids: list[int] = []
        self.last_notification = _db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
        self.leads: dict[int, int] = {}
        self.taipei = self.cast["taipei"].id
        tenancy.set_tenant(self.taipei)  # the workflow acts as 臺北市 unless a step says otherwise

    def teardown(self):
        self.outer.rollback()
        tenancy.set_tenant(None)
        _db.session.expire_all()

    # --- helpers ------------------------------------------------------------------

    def _step(self, action):
        """One user action: refused actions change nothing (their savepoint is rolled back)."""
        self.leads = {c.id: c.lead_unit.id for c in self._cases() if c.lead_unit is not None}
        savepoint = _db.session.begin_nested()
        try:
            with tenancy.tenant_scope(self.taipei):
                action()
                _db.session.flush()
            savepoint.commit()
            LeadMachine.done[action.__qualname__.split(".")[1]] += 1
        except REFUSED as exc:
            LeadMachine.refused[f"{action.__qualname__.split('.')[1]}: {exc}"[:60]] += 1
            savepoint.rollback()
        _db.session.expire_all()

    def _cases(self) -> list[FamilyCase]:
        with tenancy.all_tenants("test invariant: every county's cases"):
            return list(_db.session.scalars(sa.select(FamilyCase).order_by(FamilyCase.id)))

    def _case(self, data) -> FamilyCase:
        return _db.session.get(FamilyCase, data.draw(st.sampled_from(self.case_ids)))

    def _lead_sup(self, case):
        return self.cast["sups"].get(case.lead_unit.id) if case.lead_unit else None

    def _receiver(self, referral):
        if referral.kind == ReferralKind.PARTNER:
            return self.cast["ngo"]
        if referral.kind == ReferralKind.COUNTY:
            return self.cast["hua_dispatch"]
        return self.cast["workers"].get(referral.to_unit_id)

    def _referrals(self, statuses) -> list[Referral]:
        return list(_db.session.scalars(sa.select(Referral).where(
            Referral.tenant_id == self.taipei, Referral.status.in_(statuses)).order_by(Referral.id)))

    def _membership_of(self, unit_id):
        return (self.cast["sups"].get(unit_id) or self.cast["workers"].get(unit_id) or (None, None))[1]

    # --- the workflow ------------------------------------------------------------------

    def _any(self, model, *where) -> bool:
        return _db.session.scalar(sa.select(model.id).where(*where).limit(1)) is not None

    @initialize()
    def dispatch_and_open_first(self):
        """A family served by the 社福中心, with a partner serving it and the 家防中心 as 協力."""
        self.dispatch()
        case = _db.session.get(FamilyCase, self.case_ids[0])
        self._open(case)
        sw, sw_m = self.cast["workers"][case.lead_unit.id]
        partner = services.send(case, sw, sw_m, kind=ReferralKind.PARTNER, reason="r", services_requested="",
                                sections=["members"], partner_service=self.cast["service"], consent=True, consent_by="案母")
        services.accept(partner, *self.cast["ngo"], served_by="x")
        to_dv = services.send(case, sw, sw_m, kind=ReferralKind.UNIT, reason="r", services_requested="", sections=[],
                              to_unit=self.cast["units"][DV])
        services.accept(to_dv, *self.cast["workers"][to_dv.to_unit_id], served_by="x")
        _db.session.flush()

    @rule()
    def dispatch(self):
        with tenancy.tenant_scope(self.taipei):
            self.case_ids.append(new_case(self.cast["world"]).id)
            _db.session.flush()

    @rule(data=st.data())
    def open(self, data):
        self._open(self._case(data))

    def _open(self, case):
        def act():
            sup = self._lead_sup(case)
            if sup is None:
                raise case_services.CaseError("no supervisor")
            if case.status == CaseStatus.AWAITING_ASSIGNMENT:
                case_services.assign(case, sup[0], sup[1], self.cast["workers"][case.lead_unit.id][0])
            if case.status == CaseStatus.ASSESSING:
                if case_services.latest_vulnerability(case) is None:
                    medium = next(f for f in case_services.factor_table_in_force().factors if f.level == Level.MEDIUM)
                    case_services.assess_vulnerability(case, sup[0], sup[1], dimensions=["economic"], factor_ids=[medium.id])
                case_services.decide(case, sup[0], sup[1], AssessmentOutcome.CASE_MANAGEMENT)
            if case.status == CaseStatus.OPENING_REVIEW:
                case_services.review_opening(case, sup[0], sup[1], approve=True)
        self._step(act)

    @rule(data=st.data(), to=st.sampled_from([CENTRE, WANHUA, DV, "partner"]))
    def refer(self, data, to):
        case = self._case(data)

        def act():
            serving = [u.unit_id for u in case.units if u.role != CaseUnitRole.FORMER and u.unit_id in self.cast["workers"]]
            if not serving:
                raise services.ReferralError("nobody to send")
            sender = self.cast["workers"][data.draw(st.sampled_from(sorted(serving)))]
            if to == "partner":
                services.send(case, sender[0], sender[1], kind=ReferralKind.PARTNER, reason="r", services_requested="",
                              sections=["members"], partner_service=self.cast["service"], consent=True, consent_by="案母")
            else:
                services.send(case, sender[0], sender[1], kind=ReferralKind.UNIT, reason="r", services_requested="",
                              sections=[], to_unit=self.cast["units"][to])
        self._step(act)

    @precondition(lambda self: self._any(Referral, Referral.status == ReferralStatus.WAITING,
                                         Referral.kind != ReferralKind.COUNTY))
    @rule(data=st.data())
    def accept(self, data):
        waiting = [r for r in self._referrals([ReferralStatus.WAITING]) if r.kind != ReferralKind.COUNTY]
        if waiting:
            referral = data.draw(st.sampled_from(waiting))
            receiver = self._receiver(referral)
            self._step(lambda: services.accept(referral, receiver[0], receiver[1], served_by="x"))

    @precondition(lambda self: self._any(Referral, Referral.status == ReferralStatus.IN_SERVICE,
                                         Referral.kind != ReferralKind.COUNTY))
    @rule(data=st.data(), failed=st.booleans())
    def complete(self, data, failed):
        serving = [r for r in self._referrals([ReferralStatus.IN_SERVICE]) if r.kind != ReferralKind.COUNTY]
        if serving:
            referral = data.draw(st.sampled_from(serving))
            receiver = self._receiver(referral)
            if failed:
                self._step(lambda: services.fail(referral, receiver[0], receiver[1], "案家拒絕"))
            else:
                self._step(lambda: services.complete(referral, receiver[0], receiver[1], ReferralOutcome.GOAL_MET, "完成"))

    @rule(data=st.data(), proposed=st.sampled_from([DisputeOutcome.REASSIGN, DisputeOutcome.JOINT, DisputeOutcome.RETURN]),
          to=st.sampled_from([CENTRE, WANHUA, DV]), agree=st.sampled_from([False, False, True]))
    def dispute(self, data, proposed, to, agree):
        case = self._case(data)

        def act():
            filers = [u.unit_id for u in case.units if u.role != CaseUnitRole.FORMER and u.unit_id in self.cast["sups"]]
            if not filers:
                raise disputes.DisputeError("nobody to file")
            filer = self.cast["sups"][data.draw(st.sampled_from(sorted(filers)))]
            d = disputes.file(case, filer[0], filer[1], reason="r", proposed=proposed, proposed_unit=self.cast["units"][to])
            other = self.cast["dispatch"] if d.other_unit_id == self.cast["dispatch"][1].unit_id else \
                self.cast["sups"].get(d.other_unit_id)
            if other is not None:
                disputes.respond(d, other[0], other[1], agrees=agree, reason="r")
        self._step(act)

    @precondition(lambda self: self._any(Dispute, Dispute.status == DisputeStatus.AWAITING_ARBITER))
    @rule(data=st.data(), outcome=st.sampled_from(list(DisputeOutcome)), lead=st.sampled_from([CENTRE, WANHUA, DV]),
          collaborators=st.sets(st.sampled_from([CENTRE, WANHUA, DV]), max_size=2),
          former=st.sampled_from(["auto", "collaborator", "former"]))
    def decide(self, data, outcome, lead, collaborators, former):
        waiting = list(_db.session.scalars(sa.select(Dispute).where(Dispute.status == DisputeStatus.AWAITING_ARBITER)))
        if not waiting:
            return
        dispute = data.draw(st.sampled_from(waiting))
        admin, admin_m = self.cast["admin"]
        units = self.cast["units"]
        both = outcome in (DisputeOutcome.REASSIGN, DisputeOutcome.JOINT) and lead in collaborators
        if both:  # one unit as lead and 協力: the service refuses it, and nothing changes
            LeadMachine.done["decide: lead and 協力 refused"] += 1
            with tenancy.tenant_scope(self.taipei), pytest.raises(disputes.DisputeError, match="同時是主責"):
                disputes.decide(dispute, admin, admin_m, outcome=outcome, reason="r", lead_unit=units[lead],
                                collaborators=[units[c] for c in collaborators], former_lead=former)
            _db.session.expire_all()
            assert _db.session.get(Dispute, dispute.id).status == DisputeStatus.AWAITING_ARBITER
            return
        self._step(lambda: disputes.decide(dispute, admin, admin_m, outcome=outcome, reason="r", lead_unit=units[lead],
                                           collaborators=[units[c] for c in collaborators], former_lead=former))

    @rule(data=st.data(), accept=st.booleans())
    def hand_over(self, data, accept):
        case = self._case(data)

        def act():
            sup = self._lead_sup(case)
            targets = [u.unit_id for u in case.units if u.role == CaseUnitRole.COLLABORATOR and u.unit_id in self.cast["sups"]]
            if sup is None or not targets:
                raise joint.JointError("no hand-over possible")
            target = data.draw(st.sampled_from(sorted(targets)))
            handover = joint.request_handover(case, sup[0], sup[1], target, "r")
            answer = self.cast["sups"][target]
            joint.answer_handover(handover, case, answer[0], answer[1], accept, "" if accept else "量能不足")
        self._step(act)

    @precondition(lambda self: self._any(Dispute, Dispute.status.in_(disputes.OPEN)))
    @rule(data=st.data())
    def withdraw_dispute(self, data):
        """The unit that raised an open dispute withdraws it: the case's units stay as they are."""
        open_ = list(_db.session.scalars(sa.select(Dispute).where(Dispute.status.in_(disputes.OPEN)).order_by(Dispute.id)))
        if not open_:
            return
        dispute = data.draw(st.sampled_from(open_))
        filer = self.cast["sups"].get(dispute.filed_by_unit_id) or self.cast["workers"].get(dispute.filed_by_unit_id)
        if filer is None:
            return
        before = self._unit_roles(dispute.case_id)
        self._step(lambda: disputes.withdraw(dispute, filer[0], filer[1], "協調後撤回"))
        assert self._unit_roles(dispute.case_id) == before
        assert _db.session.get(Dispute, dispute.id).status == DisputeStatus.WITHDRAWN

    @rule(data=st.data())
    def propose_hand_over(self, data):
        """A hand-over proposed and left unanswered (cancelled by ``cancel_hand_over``, or never)."""
        case = self._case(data)

        def act():
            sup = self._lead_sup(case)
            targets = [u.unit_id for u in case.units if u.role == CaseUnitRole.COLLABORATOR and u.unit_id in self.cast["sups"]]
            if sup is None or not targets:
                raise joint.JointError("no hand-over possible")
            joint.request_handover(case, sup[0], sup[1], data.draw(st.sampled_from(sorted(targets))), "r")
        self._step(act)

    @precondition(lambda self: self._any(LeadHandover, LeadHandover.status == HandoverStatus.PENDING))
    @rule(data=st.data())
    def cancel_hand_over(self, data):
        """The proposing unit's supervisor cancels a pending hand-over: the lead stays where it is."""
        pending = list(_db.session.scalars(sa.select(LeadHandover).where(LeadHandover.status == HandoverStatus.PENDING)
                                           .order_by(LeadHandover.id)))
        if not pending:
            return
        handover = data.draw(st.sampled_from(pending))
        sup = self.cast["sups"].get(handover.from_unit_id)
        if sup is None:
            return
        before = self._unit_roles(handover.case_id)
        self._step(lambda: joint.cancel_handover(handover, sup[0], sup[1], "不需移轉"))
        assert self._unit_roles(handover.case_id) == before
        assert _db.session.get(LeadHandover, handover.id).status == HandoverStatus.CANCELLED

    def _unit_roles(self, case_id) -> list:
        with tenancy.all_tenants("test: a case's units"):
            return sorted(_db.session.execute(sa.select(CaseUnit.unit_id, CaseUnit.role).where(CaseUnit.case_id == case_id)).all())

    @rule(data=st.data())
    def transfer(self, data):
        """跨縣市轉銜: the family moves to 花蓮縣, whose dispatch centre opens a case with its own lead."""
        case = self._case(data)
        holder = {}

        def send():
            serving = [u.unit_id for u in case.units if u.role != CaseUnitRole.FORMER and u.unit_id in self.cast["workers"]]
            if not serving:
                raise services.ReferralError("nobody to send")
            sender = self.cast["workers"][sorted(serving)[0]]
            holder["id"] = services.send(case, sender[0], sender[1], kind=ReferralKind.COUNTY, reason="遷居花蓮",
                                         services_requested="", sections=["members"], to_county=self.cast["hualien"]).id
        self._step(send)
        if "id" in holder:
            savepoint = _db.session.begin_nested()
            with tenancy.tenant_scope(self.cast["hualien"].id):
                referral = _db.session.get(Referral, holder["id"])
                hua, hua_m = self.cast["hua_dispatch"]
                services.accept(referral, hua, hua_m, served_by="x", lead_unit=self.cast["hua_lead"])
                _db.session.flush()
            savepoint.commit()
            _db.session.expire_all()

    @rule(data=st.data())
    def close(self, data):
        case = self._case(data)

        def act():
            sup = self._lead_sup(case)
            if sup is None:
                raise case_services.CaseError("no supervisor")
            case_services.propose_closing(case, sup[0], sup[1], "目標達成", Level.LOW)
            case_services.review_closing(case, sup[0], sup[1], approve=True)
        self._step(act)

    @precondition(lambda self: self._any(FamilyCase, FamilyCase.status.in_([CaseStatus.CLOSED, CaseStatus.NOT_OPENED])))
    @rule(data=st.data())
    def reopen(self, data):
        case = self._case(data)

        def act():
            sup = self._lead_sup(case)
            if sup is None or case.status not in (CaseStatus.CLOSED, CaseStatus.NOT_OPENED):
                raise case_services.CaseError("not closed")
            case_services.reopen(case, sup[0], sup[1], "再通報")
        self._step(act)

    # --- what must hold after every step ---------------------------------------------------

    @invariant()
    def one_lead_and_never_lead_and_collaborator(self):
        with tenancy.all_tenants("test invariant"):
            rows = _db.session.execute(sa.select(CaseUnit.case_id, CaseUnit.unit_id, CaseUnit.role)).all()
        cases = self._cases()
        for case in cases:
            mine = [(unit, role) for case_id, unit, role in rows if case_id == case.id]
            assert [role for _, role in mine].count(CaseUnitRole.LEAD) == 1, (case.case_no, mine)
            assert len({unit for unit, _ in mine}) == len(mine), (case.case_no, mine)  # one role per unit

    @invariant()
    def a_former_lead_still_reads_the_case(self):
        with tenancy.tenant_scope(self.taipei):
            for case_id, before in self.leads.items():
                case = _db.session.get(FamilyCase, case_id)
                if case is None or case.lead_unit is None or case.lead_unit.id == before:
                    continue
                on = case_services.unit_on_case(case, before)
                assert on is not None and on.role in (CaseUnitRole.COLLABORATOR, CaseUnitRole.FORMER)
                membership = self._membership_of(before)
                assert membership is None or case_services.can_read(case, membership)

    @invariant()
    def open_referrals_are_read_by_both_sides_and_followed_by_the_lead(self):
        for referral in self._referrals(OPEN_REFERRAL_STATUSES):
            with tenancy.tenant_scope(self.taipei):
                sender = self._membership_of(referral.from_unit_id)
                assert sender is None or services.can_read(referral, sender), referral.referral_no
                case = _db.session.get(FamilyCase, referral.case_id)
                lead = case.lead_unit
                lead_m = self._membership_of(lead.id)
                if lead_m is not None and lead.id != (referral.to_unit_id if referral.kind == ReferralKind.UNIT else None):
                    assert services.side_of(referral, lead_m) == "sender", (referral.referral_no, lead.name)
                    # ... and finds it in its 送出的 box, by the stored lead (the box's index)
                    in_box = sa.select(Referral.id).where(Referral.id == referral.id, queries.sent_by(lead_m))
                    assert _db.session.scalar(in_box) == referral.id, (referral.referral_no, lead.name)
            receiver = self._receiver(referral)
            if receiver is not None:
                scope = self.cast["hualien"].id if referral.kind == ReferralKind.COUNTY else self.taipei
                with tenancy.tenant_scope(scope):
                    assert services.can_read(referral, receiver[1]), referral.referral_no

    @invariant()
    def every_referral_knows_the_current_lead_of_its_case(self):
        with tenancy.all_tenants("test invariant: every referral and lead"):
            stale = _db.session.execute(
                sa.select(Referral.referral_no, Referral.case_lead_unit_id, CaseUnit.unit_id)
                .join(CaseUnit, sa.and_(CaseUnit.case_id == Referral.case_id, CaseUnit.role == CaseUnitRole.LEAD))
                .where(Referral.case_lead_unit_id.is_distinct_from(CaseUnit.unit_id))).all()
        assert not stale, stale

    @invariant()
    def notices_reach_only_people_who_can_read(self):
        new = list(_db.session.scalars(sa.select(Notification).where(Notification.id > self.last_notification)
                                       .order_by(Notification.id)))
        if new:
            self.last_notification = new[-1].id
        for notice in new:
            user = _db.session.get(User, notice.user_id)
            found = re.fullmatch(r"/referrals/(\d+)", notice.url)
            if found:
                with tenancy.all_tenants("test invariant: a referral of either county"):
                    referral = _db.session.get(Referral, int(found.group(1)))
                readers = []
                for m in user.memberships:
                    scope = m.county_id if m.county_id else referral.tenant_id
                    with tenancy.tenant_scope(scope):
                        readers.append(services.can_read(referral, m))
                assert any(readers), (notice.text, user.username)
                if "轉介完成" in notice.text or "轉介失敗" in notice.text:  # an outcome
                    with tenancy.tenant_scope(referral.tenant_id):
                        case = _db.session.get(FamilyCase, referral.case_id)
                        assert any(case_services.can_read(case, m) or services.side_of(referral, m) == "receiver"
                                   for m in user.memberships), (notice.text, user.username)
            found = re.fullmatch(r"/cases/(\d+)", notice.url)
            if found:
                with tenancy.all_tenants("test invariant: a case of either county"):
                    case = _db.session.get(FamilyCase, int(found.group(1)))
                with tenancy.tenant_scope(case.tenant_id):
                    assert any(case_services.can_read(case, m) for m in user.memberships), (notice.text, user.username)

    @invariant()
    def pending_hand_overs_go_to_collaborators(self):
        with tenancy.tenant_scope(self.taipei):
            for handover in _db.session.scalars(sa.select(LeadHandover).where(LeadHandover.status == HandoverStatus.PENDING)):
                case = _db.session.get(FamilyCase, handover.case_id)
                assert case_services.unit_on_case(case, handover.to_unit_id) is not None


def test_no_family_ever_falls_between_units(cast, db):
    LeadMachine.cast = cast
    LeadMachine.done = Counter()
    run_state_machine_as_test(LeadMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=12, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
    print("steps carried out:", dict(LeadMachine.done), "refused:", dict(LeadMachine.refused))
