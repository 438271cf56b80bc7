"""The workflow engine itself, on a toy declaration (the areas' workflows are tested in their areas)."""
from __future__ import annotations

import enum

import pytest

from app.core import workflow
from app.core.errors import DomainError, Forbidden

# Audit listens to every firing (it writes the entry in the session), so the engine runs in an app context.
pytestmark = pytest.mark.usefixtures("db")


class Door(enum.Enum):
    SHUT = "shut"
    OPEN = "open"

    @property
    def label(self):
        return {"shut": "關", "open": "開"}[self.value]


class Thing:
    id = None
    tenant_id = None
    status = None


def _declare(name, transitions, **kw):
    workflow.REGISTRY.pop(name, None)
    return workflow.Workflow(name, label="門", states=Door, transitions=transitions, record_type="doors",
                             describe=lambda r: "門", **kw)


def test_fire_records_history_and_signals():
    history, heard = [], []
    T = workflow.Transition
    w = _declare("test-door", [T("make", (None,), Door.SHUT, "建立"), T("open", (Door.SHUT,), Door.OPEN, "開門"),
                               T("shut", (Door.OPEN,), Door.SHUT, "關門")], history=history.append)

    def listen(sender, firing):
        heard.append(firing)

    workflow.fired.connect(listen)
    try:
        thing = Thing()
        w.start(thing)
        w.fire(thing, "open", reason="通風")
        assert thing.status is Door.OPEN
        assert [(f.before, f.after) for f in history] == [(None, Door.SHUT), (Door.SHUT, Door.OPEN)]
        assert heard[-1].summary == "門：關 → 開（通風）"
        with pytest.raises(DomainError) as refused:
            w.fire(thing, "open")
        assert refused.value.status == 409 and "不能改為" in str(refused.value)
        assert w.moves() == {Door.SHUT: {Door.OPEN}, Door.OPEN: {Door.SHUT}}
    finally:
        workflow.fired.disconnect(listen)


def test_guard_refuses_with_its_message():
    T = workflow.Transition
    w = _declare("test-guard", [T("make", (None,), Door.SHUT, "建立"),
                                T("open", (Door.SHUT,), Door.OPEN, "開門", may=lambda r, m: m == "管理員",
                                  refused="只有管理員可以開門。"),
                                T("shut", (Door.OPEN,), Door.SHUT, "關門")])
    thing = Thing()
    w.start(thing)
    with pytest.raises(Forbidden, match="只有管理員"):
        w.fire(thing, "open", membership="訪客")
    assert not w.allows(thing, "open", "訪客") and w.allows(thing, "open", "管理員")
    w.fire(thing, "open", membership="管理員")


def test_unreachable_state_is_refused_at_declaration():
    T = workflow.Transition
    with pytest.raises(ValueError, match="OPEN"):
        _declare("test-unreachable", [T("make", (None,), Door.SHUT, "建立")])
    _declare("test-retired", [T("make", (None,), Door.SHUT, "建立")], retired=[Door.OPEN])


def test_an_areas_error_class_is_raised_too_and_check_asks_who_first():
    class AreaError(DomainError):
        status = 422

    T = workflow.Transition
    w = _declare("test-area-error", [T("make", (None,), Door.SHUT, "建立"),
                                     T("open", (Door.SHUT,), Door.OPEN, "開門", may=lambda r, m: m == "管理員",
                                       refused="只有管理員可以開門。"),
                                     T("shut", (Door.OPEN,), Door.SHUT, "關門")], error=AreaError)
    thing = Thing()
    w.start(thing)
    with pytest.raises(AreaError, match="只有管理員") as refused:
        w.check(thing, "open", "訪客")
    # the area's class for its pages' except-clauses, the engine's status for the answer
    assert isinstance(refused.value, Forbidden) and refused.value.status == 403
    with pytest.raises(AreaError, match="不能改為") as refused:
        w.fire(thing, "shut", membership="管理員")
    assert isinstance(refused.value, workflow.WorkflowError) and refused.value.status == 409
    w.check(thing, "open", "管理員")
