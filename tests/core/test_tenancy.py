"""The ORM scopes every query to the current county and refuses writes into another."""
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.audit import services as audit
from app.audit.models import AuditAction, AuditEvent
from app.core import tenancy
from app.core.tenancy import TenantMixin, TenantViolation


class ProbeBase(DeclarativeBase):
    pass


class Probe(TenantMixin, ProbeBase):
    """A tenant table of the tests' own, created inside the test's transaction."""

    __tablename__ = "test_tenant_probes"
    __table_args__ = {"prefixes": ["TEMPORARY"]}  # the runtime role may not create real tables
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    note: Mapped[str] = mapped_column(sa.String(20), default="")


@pytest.fixture
def probes(db):
    Probe.__table__.create(db.session.connection())
    return Probe


@pytest.fixture
def counties(factories):
    return factories.county("臺北市").id, factories.county("花蓮縣").id


def test_queries_see_only_the_current_county(db, probes, counties):
    tpe, hua = counties
    with tenancy.tenant_scope(tpe):
        db.session.add(Probe(note="tpe"))
        db.session.flush()
    with tenancy.tenant_scope(hua):
        db.session.add(Probe(note="hua"))
        db.session.flush()
    with tenancy.tenant_scope(tpe):
        assert [p.note for p in db.session.scalars(sa.select(Probe))] == ["tpe"]
    with tenancy.tenant_scope(hua):
        assert [p.note for p in db.session.scalars(sa.select(Probe))] == ["hua"]
        assert db.session.scalar(sa.select(sa.func.count(Probe.id))) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(["tpe", "hua", "none", "partner", "nested"]), min_size=1, max_size=12))
def test_switching_scopes_never_shows_another_countys_rows(db, probes, counties, steps):
    """The scoping options are built once per county and reused (``tenancy._criteria``): whatever the order
    the scopes come in, each read sees its own county's rows and no other's."""
    tpe, hua = counties
    with tenancy.all_tenants("the test's set-up: the rows are made once, the examples share the fixture"):
        made = db.session.scalar(sa.select(sa.func.count(Probe.id)))
    if not made:
        for county, note in ((tpe, "tpe"), (hua, "hua")):
            with tenancy.tenant_scope(county):
                db.session.add(Probe(note=note))
                db.session.flush()
    db.session.expunge_all()
    seen = lambda: sorted(p.note for p in db.session.scalars(sa.select(Probe)))
    for step in steps:
        if step == "partner":  # a partner organisation's staff: no county
            tenancy.set_partner(1)
            try:
                assert seen() == []
            finally:
                tenancy.set_partner(None)
        elif step == "nested":  # a county's scope inside the other's, and back
            with tenancy.tenant_scope(hua):
                with tenancy.tenant_scope(tpe):
                    assert seen() == ["tpe"]
                assert seen() == ["hua"]
        else:
            county = {"tpe": tpe, "hua": hua, "none": None}[step]
            with tenancy.tenant_scope(county):
                assert seen() == ([] if county is None else [step])
        db.session.expunge_all()


def test_no_county_means_no_rows(db, probes, counties):
    with tenancy.tenant_scope(counties[0]):
        db.session.add(Probe(note="x"))
        db.session.flush()
    db.session.expunge_all()
    with tenancy.tenant_scope(None):
        assert db.session.scalars(sa.select(Probe)).all() == []


def test_crossing_counties_is_explicit(db, probes, counties):
    for county in counties:
        with tenancy.tenant_scope(county):
            db.session.add(Probe(note=str(county)))
            db.session.flush()
    with tenancy.tenant_scope(counties[0]), tenancy.all_tenants("test: aggregates across counties"):
        assert db.session.scalar(sa.select(sa.func.count(Probe.id))) == 2
    with pytest.raises(ValueError):
        with tenancy.all_tenants(""):
            pass


def test_rows_are_stamped_and_other_counties_refused(db, probes, counties):
    tpe, hua = counties
    with tenancy.tenant_scope(tpe):
        probe = Probe(note="new")
        db.session.add(probe)
        db.session.flush()
        assert probe.tenant_id == tpe
        db.session.add(Probe(note="smuggled", tenant_id=hua))
        with pytest.raises(TenantViolation):
            db.session.flush()
    db.session.rollback()


def test_moving_a_row_to_another_county_is_refused(db, probes, counties):
    tpe, hua = counties
    with tenancy.tenant_scope(tpe):
        probe = Probe(note="mine")
        db.session.add(probe)
        db.session.flush()
        probe.tenant_id = hua
        with pytest.raises(TenantViolation):
            db.session.flush()
    db.session.rollback()


def test_writing_without_a_county_is_refused(db, probes):
    with tenancy.tenant_scope(None):
        db.session.add(Probe(note="orphan"))
        with pytest.raises(TenantViolation):
            db.session.flush()
    db.session.rollback()


def test_audit_log_reads_are_scoped_too(db, counties):
    tpe, hua = counties
    audit.record(AuditAction.UPDATE, summary="tpe-only", tenant_id=tpe)
    audit.record(AuditAction.UPDATE, summary="hua-only", tenant_id=hua)
    db.session.flush()
    with tenancy.tenant_scope(hua):
        summaries = set(db.session.scalars(sa.select(AuditEvent.summary)))
    assert "hua-only" in summaries and "tpe-only" not in summaries
