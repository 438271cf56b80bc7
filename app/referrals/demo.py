"""Demo referrals, hand-overs and disputes in every state (development only)."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import User
from ..cases import documents as case_documents
from ..cases.demo import DEMO_CONSENT
from ..cases.models import FamilyCase
from ..core import tenancy
from ..extensions import db
from ..tenants.models import County, Unit
from . import disputes, joint, services
from .models import DeclineReason, DisputeOutcome, PartnerService, Referral, ReferralKind, ReferralOutcome


def _one(model, **where):
    return db.session.scalars(sa.select(model).filter_by(**where)).one()


def seed_demo_referrals() -> int:
    with tenancy.all_tenants("seed: look for demo referrals"):
        if db.session.scalars(sa.select(Referral.id)).first():
            return 0
    taipei, hualien = _one(County, name="臺北市"), _one(County, name="花蓮縣")
    users = {u: _one(User, username=u) for u in ("tpe.sw1", "tpe.sup", "tpe.dv1", "tpe.dvsup", "tpe.mh1", "tpe.admin",
                                                 "tpe.dispatch", "ngo.staff")}
    m = {u: users[u].memberships[0] for u in users}
    units = {n: _one(Unit, name=n) for n in ("臺北市家庭暴力暨性侵害防治中心", "臺北市政府衛生局社區心理衛生中心",
                                            "臺北市中正社會福利服務中心")}
    support = _one(PartnerService, name="兒少及家庭支持服務")
    relief = _one(PartnerService, name="急難救助與物資")

    def case(prefix):
        return db.session.scalars(sa.select(FamilyCase).where(FamilyCase.family_name == f"{prefix}○○家")
                                  .order_by(FamilyCase.id)).first()

    def send(c, **kw):
        kw.setdefault("reason", "需要其他單位協助")
        kw.setdefault("services_requested", "")
        kw.setdefault("sections", ["members", "reports"])
        return services.send(c, users["tpe.sw1"], m["tpe.sw1"], **kw)

    with tenancy.tenant_scope(taipei.id):
        guo, hong, qiu, zeng, liao = (case(p) for p in ("郭", "洪", "邱", "曾", "廖"))
        consent_form = [d.id for d in case_documents.case_documents(guo) if d.filename == DEMO_CONSENT]
        send(guo, kind=ReferralKind.PARTNER, partner_service=support, consent=True, consent_by="郭媽媽",
             reason="兒少課後無人照顧", document_ids=consent_form)                         # waiting, sharing the consent form
        to_dv = send(hong, kind=ReferralKind.UNIT, to_unit=units["臺北市家庭暴力暨性侵害防治中心"],
                     reason="訪視發現疑似家暴", services_requested="保護調查")
        services.accept(to_dv, users["tpe.dv1"], m["tpe.dv1"], served_by="黃雅婷")          # in service
        services.message(to_dv, users["tpe.sw1"], m["tpe.sw1"], "案母同意本週二家訪。")
        joint.request_handover(hong, users["tpe.sup"], m["tpe.sup"], units["臺北市家庭暴力暨性侵害防治中心"].id,
                               "保護議題為主，建議由家防中心主責")                               # hand-over pending
        send(hong, kind=ReferralKind.COUNTY, to_county=hualien, reason="案家預計遷居花蓮縣吉安鄉")  # cross-county, waiting
        done = send(qiu, kind=ReferralKind.PARTNER, partner_service=relief, consent=True, consent_by="邱媽媽",
                    reason="急需生活物資")
        declined = send(qiu, kind=ReferralKind.UNIT, to_unit=units["臺北市政府衛生局社區心理衛生中心"], reason="案母情緒低落")
        services.decline(declined, users["tpe.mh1"], m["tpe.mh1"], DeclineReason.NOT_IN_SCOPE, "目前無精神醫療需求，建議社福中心持續關懷")
        returned = send(zeng, kind=ReferralKind.UNIT, to_unit=units["臺北市家庭暴力暨性侵害防治中心"], reason="疑似疏忽")
        services.return_for_information(returned, users["tpe.dv1"], m["tpe.dv1"], "請補充兒少近況與就學資料")
        withdrawn = send(zeng, kind=ReferralKind.UNIT, to_unit=units["臺北市政府衛生局社區心理衛生中心"], reason="案父酒癮")
        services.withdraw(withdrawn, users["tpe.sw1"], m["tpe.sw1"], "案父已自行就醫")
        forwarded = send(liao, kind=ReferralKind.UNIT, to_unit=units["臺北市家庭暴力暨性侵害防治中心"], reason="案母有自殺意念")
        services.forward(forwarded, users["tpe.dv1"], m["tpe.dv1"], units["臺北市政府衛生局社區心理衛生中心"],
                         "自殺防治由心衛社工處理較合適")                                      # forwarded + new waiting
        failed = send(liao, kind=ReferralKind.PARTNER, partner_service=support, consent=True, consent_by="廖媽媽",
                      reason="課業輔導")
    tenancy.set_tenant(None)
    tenancy.set_partner(m["ngo.staff"].unit.partner_org_id)
    for referral, end in ((done, "complete"), (failed, "fail")):
        mine = db.session.get(Referral, referral.id)
        services.accept(mine, users["ngo.staff"], m["ngo.staff"], served_by="周心怡")
        services.record_partner_service(mine, users["ngo.staff"], m["ngo.staff"], "提供食物箱與生活物資一批")
        if end == "complete":
            services.complete(mine, users["ngo.staff"], m["ngo.staff"], ReferralOutcome.GOAL_MET, "物資已送達，家庭生活穩定")
        else:
            services.fail(mine, users["ngo.staff"], m["ngo.staff"], "案家搬離、聯繫不上")
    tenancy.set_partner(None)
    with tenancy.tenant_scope(taipei.id):
        # disputes on the DV centre's demo case (文山, dispatched by the centre) and on 中正 cases
        dv_case = db.session.scalars(sa.select(FamilyCase).where(FamilyCase.family_name == "趙○○家")).first()
        if dv_case is not None:
            disputes.file(dv_case, users["tpe.dvsup"], m["tpe.dvsup"], reason="經訪視主要為經濟議題，建議改由社福中心主責",
                          proposed=DisputeOutcome.REASSIGN, proposed_unit=units["臺北市中正社會福利服務中心"])  # awaiting response
        escalated = disputes.file(guo, users["tpe.sup"], m["tpe.sup"], reason="案家有家暴議題",
                                  proposed=DisputeOutcome.JOINT, proposed_unit=units["臺北市家庭暴力暨性侵害防治中心"])
        disputes.respond(escalated, users["tpe.dispatch"], m["tpe.dispatch"], agrees=False, reason="通報內容無保護議題")  # at the arbiter
        decided = disputes.file(qiu, users["tpe.sup"], m["tpe.sup"], reason="需保護服務介入",
                                proposed=DisputeOutcome.JOINT, proposed_unit=units["臺北市家庭暴力暨性侵害防治中心"])
        disputes.respond(decided, users["tpe.dispatch"], m["tpe.dispatch"], agrees=False, reason="不同意")
        disputes.decide(decided, users["tpe.admin"], m["tpe.admin"], outcome=DisputeOutcome.MAINTAIN, reason="維持社福中心主責")
    db.session.flush()
    with tenancy.all_tenants("seed: count"):
        return db.session.scalar(sa.select(sa.func.count(Referral.id)))
