"""What the investigation centre hears (connected by the app factory, ``install``): a report intake
dispatches to the county's 通報調查處理中心 opens its investigation (cases opens no case for it)."""
from __future__ import annotations

from ..core.workflow import Firing, fired
from ..intake import services as intake
from ..tenants.models import UnitKind
from . import services

_installed = False


def install(app) -> None:
    global _installed
    if _installed:
        return
    fired.connect(open_investigation, sender=intake.WORKFLOW)
    _installed = True


def open_investigation(sender, firing: Firing) -> None:
    if firing.transition.name != "dispatch" or firing.extra["lead"].kind != UnitKind.INVESTIGATION_CENTRE:
        return
    firing.extra["investigation"] = services.open_from_report(firing.record, firing.extra["lead"], firing.actor)
