"""Demo: 臺北市政府衛生局's 精神照護 register as a registered client (a fixed demo token, development only),
and one 精神照護 列管 status it sends for a member of a 臺北市 demo family, through the endpoint's own path
(the Flag read and checked by ``inbound.read_flag``, recorded by ``services.receive_status``)."""
from __future__ import annotations

import sqlalchemy as sa

from ..cases.models import CaseMember
from ..core import tenancy
from ..extensions import db
from ..intake import services as intake
from ..tenants.models import County
from . import inbound, services
from .inbound import REGISTER_SYSTEM
from .models import ExchangeClient, Scope, SystemKind

DEMO_CLIENT = "臺北市政府衛生局 精神照護管理系統"
DEMO_TOKEN = "snk_demotpeh_demo-token-of-the-taipei-health-bureau-mental-care"  # development only
DEMO_MEMBER = ("賴媽媽", "1987-03-03")  # the 賴 family: a case closed 200 days ago and a re-report (cases.demo)
# the 鄭 family's father, whose household's new report waits in the screening queue (household.demo)
HOUSEHOLD_FATHER = ("鄭志明", "1988-11-02", "TPEMH-2026-0815")


def demo_flag(name: str, birth_date: str, source_ref: str = "TPEMH-2026-0042", *, gender: str = "female",
              since: str = "2026-10-15") -> dict:
    return {
        "resourceType": "Flag", "identifier": [{"system": "https://health.gov.taipei/mental-care/case", "value": source_ref}],
        "status": "active", "code": {"coding": [{"system": REGISTER_SYSTEM, "code": "mental_health"}],
                                     "text": "精神照護列管（社區關懷訪視）"},
        "subject": {"reference": "#p1"}, "period": {"start": since},
        "contained": [{"resourceType": "Patient", "id": "p1", "name": [{"text": name}], "birthDate": birth_date,
                       "gender": gender, "address": [{"city": "臺北市", "district": "中正區"}]}],
    }


def seed_demo_exchange() -> str | None:
    """The demo client and its status; returns the token to print (None when already there)."""
    taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
    with tenancy.tenant_scope(taipei.id):
        if db.session.scalars(sa.select(ExchangeClient.id).where(ExchangeClient.name == DEMO_CLIENT)).first():
            return None
        client, _token = services.issue_client(DEMO_CLIENT, SystemKind.MENTAL_HEALTH,
                                               [Scope.STATUS_WRITE.value, Scope.CASE_READ.value], None)
        client.token.token_prefix, client.token.token_hash = "demotpeh", intake.hash_token(DEMO_TOKEN)
        member = db.session.scalars(sa.select(CaseMember).where(CaseMember.name == DEMO_MEMBER[0])).first()
        if member is not None:
            _send(client, taipei, demo_flag(member.name, member.birth_date.isoformat()), "TPEMH-2026-0042")
        father = db.session.scalars(sa.select(CaseMember).where(CaseMember.name == HOUSEHOLD_FATHER[0])).first()
        if father is not None:
            name, born, ref = HOUSEHOLD_FATHER
            _send(client, taipei, demo_flag(name, born, ref, gender="male", since="2026-04-30"), ref)
        db.session.flush()
    return DEMO_TOKEN


def _send(client: ExchangeClient, county: County, flag: dict, ref: str) -> None:
    """What POST /fhir/r4/Flag does with a valid Flag (read and checked, recorded, logged)."""
    services.receive_status(client, inbound.read_flag(flag, county.code, county.name))
    services.log_call(client, "Flag/create", "Flag", 201, f"列管 mental_health（{ref}）（示範）")
