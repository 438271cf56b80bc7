"""What the household area hears from the areas whose facts make a picture, connected by the app factory
(``install``), so they name no household: a report's transitions (intake's workflow), a case's transitions
and household edits (cases' workflow and ``on_household_change``); what other systems send is recorded by
this area's own services. Each marks what changed; the flags are recomputed once, when the transaction
commits (``services.process_pending``), and dropped with a rollback."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..cases import services as cases
from ..core.workflow import Firing, fired
from ..intake import services as intake
from . import services

_installed = False


def install(app) -> None:
    global _installed
    if _installed:
        return
    fired.connect(report_fired, sender=intake.WORKFLOW)
    fired.connect(case_fired, sender=cases.WORKFLOW)
    cases.on_household_change(services.case_changed)
    event.listen(Session, "before_commit", services.process_pending)
    event.listen(Session, "after_rollback", services.discard_pending)
    _installed = True


def report_fired(sender, firing: Firing) -> None:
    services.report_changed(firing.record)
    case = firing.extra.get("case")
    if case is not None:
        services.case_changed(case)


def case_fired(sender, firing: Firing) -> None:
    services.case_changed(firing.record)
