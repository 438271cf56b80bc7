"""What cases hears from the workflow engine and offers intake, connected by the app factory
(``install``), so intake and the engine name no case:

- the family timeline: every firing of a workflow that declares ``case_of`` writes one
  timeline entry (``add_event``) of the workflow's ``timeline_kind``. The case's own workflow
  writes 「狀態：A → B（理由）」, its creation the text of what opened it; other workflows
  their firing's summary. A firing may name its own text and kind (``timeline=``,
  ``timeline_kind=`` passed to ``fire``);
- a report dispatched at intake opens the family's case, or joins its open case
  (``firing.extra["case"]`` then holds it for intake's caller);
- intake's duplicate search also searches the county's open cases, and its TIPVDA form is
  the version in force that cases keeps.
"""
from __future__ import annotations

from ..core.workflow import Firing, fired
from ..extensions import db
from ..intake import duplicates
from ..intake import reference as intake_reference
from ..intake import services as intake
from ..tenants.models import UnitKind
from . import queries, services
from .models import FamilyCase

_installed = False


def install(app) -> None:
    global _installed
    if _installed:
        return
    fired.connect(write_timeline)
    fired.connect(open_dispatched_case, sender=intake.WORKFLOW)
    duplicates.register_source(queries.open_case_duplicates)
    intake_reference.register_tipvda_source(services.tipvda_in_force)
    _installed = True


def timeline_text(firing: Firing) -> str:
    if "timeline" in firing.extra:
        return firing.extra["timeline"]
    if firing.record is not firing.workflow.case_of(firing.record):
        return firing.summary
    if firing.before is None:
        return firing.reason or firing.summary
    return f"狀態：{firing.before.label} → {firing.after.label}" + (f"（{firing.reason}）" if firing.reason else "")


def write_timeline(sender, firing: Firing) -> None:
    workflow = firing.workflow
    case = workflow.case_of(firing.record) if workflow.case_of is not None else None
    if case is None:
        return
    services.add_event(case, firing.extra.get("timeline_kind", workflow.timeline_kind), timeline_text(firing),
                       firing.actor, firing.membership, at=firing.at)


def open_dispatched_case(sender, firing: Firing) -> None:
    if firing.transition.name != "dispatch":
        return
    report, lead, collaborators = firing.record, firing.extra["lead"], firing.extra["collaborators"]
    if lead.kind == UnitKind.INVESTIGATION_CENTRE:
        return  # investigated first: the centre's area opens the investigation, and the case comes after it
    attach_to = firing.extra.get("attach_to_case")
    if attach_to is None and firing.extra.get("attach_to_case_id"):
        attach_to = db.session.get(FamilyCase, firing.extra["attach_to_case_id"])
        if attach_to is None or attach_to.tenant_id != report.tenant_id:
            raise intake.IntakeError("查無要併入的個案。")
    if attach_to is not None:
        case = services.attach_report(attach_to, report, lead, collaborators)
    else:
        case = services.open_from_report(report, lead, collaborators)
    report.case_id = case.id
    firing.extra["case"] = case
