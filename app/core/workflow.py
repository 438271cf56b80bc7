"""One workflow engine.

A workflow is declared once, as data: its states (an enum) with a start
transition, its transitions (from which states, to which state, who may fire
each and the deadline each starts). ``Workflow.fire`` is the only way a record
changes state:

1. it refuses a transition the declaration does not allow from the record's
   state, or one the acting membership may not fire (``WorkflowError``, a
   ``DomainError`` the request edge turns into 409/403);
2. it sets the state and, when the transition starts a deadline, asks the
   deadline table (``core.deadlines``) for the due time and stores it;
3. it writes the workflow's own history row (the declaration's ``history``
   callable: who, when, from, to, why);
4. it sends one signal, ``fired``, with a ``Firing``. Subscribers write the
   audit entry (audit), the family's timeline entry (cases) and notices
   (referrals.notify); they are connected by the app factory, so ``core``
   names no area.

Creation goes through the start transition (``Workflow.start``): a record never
appears without its first history row. ``Workflow.reachable()`` lists the states
the declaration can reach; a declaration whose states are not all reachable is
refused when it is made, so no state exists that no code reaches.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Callable, Iterable

from blinker import Namespace
from sqlalchemy.orm import object_session

from . import deadlines
from .errors import DomainError, Forbidden
from .models import utcnow

_signals = Namespace()
#: Sent once per transition fired, by every workflow: ``fired.send(workflow, firing=Firing)``.
fired = _signals.signal("workflow-fired")

REGISTRY: dict[str, "Workflow"] = {}


class WorkflowError(DomainError):
    """A transition the record's state does not allow."""

    status = 409


# Who may fire a transition: a callable (record, membership) -> bool, or None for
# "whoever the area's service lets call it" (system transitions, checks made earlier).
Guard = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Transition:
    name: str
    source: tuple  # the states it may be fired from; ``None`` in it means "creation"
    target: Enum
    label: str  # the verb as a person reads it: 「受理」「派案」
    may: Guard | None = None
    refused: str = ""  # said when ``may`` answers no
    deadline: str | None = None  # a rule of ``core.deadlines`` this transition starts
    due_attr: str | None = None  # where its due time is stored (else the workflow's ``due_attr``)

    @property
    def creates(self) -> bool:
        return None in self.source


@dataclass
class Firing:
    """What happened, as the history, the audit log, the timeline and notices read it."""

    workflow: "Workflow"
    transition: Transition
    record: Any
    before: Enum | None
    after: Enum
    actor: Any = None  # the user, or None for the system
    membership: Any = None
    reason: str = ""
    at: datetime = field(default_factory=utcnow)
    due_at: datetime | None = None
    extra: dict = field(default_factory=dict)

    @property
    def actor_id(self) -> int | None:
        return getattr(self.actor, "id", None)

    @property
    def actor_name(self) -> str:
        return getattr(self.actor, "display_name", None) or "系統"

    @property
    def summary(self) -> str:
        """One line for the audit log and the timeline: 「通報 11511200001：篩案中 → 已派案（理由）」."""
        head = self.workflow.describe(self.record)
        move = (f"{self.before.label} → {self.after.label}" if self.before is not None
                else f"{self.transition.label}（{self.after.label}）")
        return f"{head}：{move}" + (f"（{self.reason}）" if self.reason else "")


class Workflow:
    """A workflow declared as data. See the module docstring."""

    def __init__(self, name: str, *, label: str, states: type[Enum], transitions: Iterable[Transition],
                 record_type: str, describe: Callable[[Any], str], attr: str = "status",
                 history: Callable[[Firing], Any] | None = None, case_of: Callable[[Any], Any] | None = None,
                 due_attr: str | None = None, timeline_kind: str = "status", retired: Iterable[Enum] = (),
                 error: type[DomainError] | None = None):
        self.name = name
        self.label = label  # 「通報」「轉介」: how the record is named in messages
        self.states = states
        self.transitions = {t.name: t for t in transitions}
        self.record_type = record_type  # the audit log's record type (the table name)
        self.describe = describe  # record -> 「通報 11511200001」
        self.attr = attr
        self.history = history
        self.case_of = case_of  # record -> the family case whose timeline records it (or None)
        self.due_attr = due_attr  # where a started deadline is stored
        self.timeline_kind = timeline_kind
        self.retired = frozenset(retired)  # states kept for old rows only: no transition enters them
        # The area's own error class (``error=``): refusals are raised as it too, so the area's
        # pages that catch it keep answering as before (a state refusal stays a WorkflowError,
        # a guard's refusal a Forbidden).
        self.refused_state = _refusal_class(error, WorkflowError)
        self.refused_may = _refusal_class(error, Forbidden)
        starts = [t for t in self.transitions.values() if t.creates]
        if not starts:
            raise ValueError(f"workflow {name}: no start transition")
        unreachable = set(states) - self.reachable() - self.retired
        if unreachable:
            raise ValueError(f"workflow {name}: states no transition reaches: {sorted(s.name for s in unreachable)}")
        unknown = {t.deadline for t in self.transitions.values() if t.deadline} - set(deadlines.RULES)
        if unknown:
            raise ValueError(f"workflow {name}: deadline rules not in core.deadlines: {sorted(unknown)}")
        if name in REGISTRY:
            raise ValueError(f"workflow {name} declared twice")
        REGISTRY[name] = self

    # --- the declaration, read --------------------------------------------------------

    def transition(self, name: str) -> Transition:
        try:
            return self.transitions[name]
        except KeyError:
            raise ValueError(f"workflow {self.name} has no transition {name!r}") from None

    def reachable(self) -> set:
        seen: set = set()
        frontier = [t.target for t in self.transitions.values() if t.creates]
        while frontier:
            state = frontier.pop()
            if state in seen:
                continue
            seen.add(state)
            frontier.extend(t.target for t in self.transitions.values() if state in t.source)
        return seen

    def moves(self) -> dict:
        """{state: {targets}}: the transition table as the old hand-written dicts had it."""
        out: dict = {s: set() for s in self.states}
        for t in self.transitions.values():
            for s in t.source:
                if s is not None:
                    out[s].add(t.target)
        return out

    def allows(self, record, name: str, membership=None) -> bool:
        t = self.transition(name)
        state = getattr(record, self.attr, None)
        return state in t.source and (t.may is None or bool(t.may(record, membership)))

    def available(self, record, membership=None) -> list[Transition]:
        return [t for t in self.transitions.values() if not t.creates and self.allows(record, t.name, membership)]

    def between(self, before, after) -> Transition:
        """The transition from ``before`` to ``after`` (for callers that name the target state)."""
        found = [t for t in self.transitions.values() if before in t.source and t.target == after]
        if not found:
            raise self.refused_state(self._refusal(before, after))
        return found[0]

    def check(self, record, name: str, membership=None) -> None:
        """Refuse (``refused_may``) when ``membership`` may not fire ``name``, whatever the record's state:
        a service asks this first, before its own checks, so who-may is said before what-state."""
        t = self.transition(name)
        if t.may is not None and not t.may(record, membership):
            raise self.refused_may(t.refused or f"您不能{t.label}此{self.label}。")

    # --- firing -------------------------------------------------------------------------

    def start(self, record, name: str | None = None, **kwargs) -> Firing:
        """Fire the start transition on a new record (it is flushed first so history can point at it)."""
        if name is None:
            name = next(t.name for t in self.transitions.values() if t.creates)
        return self.fire(record, name, _creating=True, **kwargs)

    def fire(self, record, name: str, *, actor=None, membership=None, reason: str = "", at: datetime | None = None,
             check_may: bool = True, **extra) -> Firing:
        t = self.transition(name)
        before = None if extra.pop("_creating", False) else getattr(record, self.attr, None)
        if before not in t.source:
            raise self.refused_state(self._refusal(before, t.target, t))
        if check_may:
            self.check(record, name, membership)
        at = at or utcnow()
        session = object_session(record) if hasattr(record, "_sa_instance_state") else None
        due_at = None
        if t.deadline is not None:
            # A county's own length is read from the database: not a reason to flush a half-made record.
            with session.no_autoflush if session is not None else nullcontext():
                due_at = deadlines.due(t.deadline, at, county_id=getattr(record, "tenant_id", None))
            if t.due_attr or self.due_attr:
                setattr(record, t.due_attr or self.due_attr, due_at)
        setattr(record, self.attr, t.target)
        if session is not None and getattr(record, "id", 1) is None:
            session.flush()
        firing = Firing(self, t, record, before, t.target, actor, membership, reason, at, due_at, extra)
        if self.history is not None:
            self.history(firing)
        fired.send(self, firing=firing)
        return firing

    def to(self, record, target: Enum, **kwargs) -> Firing:
        """Fire whichever transition leads from the record's state to ``target``."""
        return self.fire(record, self.between(getattr(record, self.attr), target).name, **kwargs)

    def _refusal(self, before, after, t: Transition | None = None) -> str:
        if before is None:
            return f"{self.label}已建立，不能再{t.label if t else '建立'}。"
        return f"{self.label}目前為「{before.label}」，不能改為「{after.label}」。"


def _refusal_class(error: type[DomainError] | None, kind: type[DomainError]) -> type[DomainError]:
    if error is None or issubclass(error, kind):
        return error or kind
    # The area's class for its pages' ``except``, the engine's status for the answer (409 state, 403 who).
    return type(error.__name__, (error, kind), {"__module__": error.__module__, "__qualname__": error.__qualname__,
                                                "status": kind.status})


def declared() -> list[Workflow]:
    return list(REGISTRY.values())
