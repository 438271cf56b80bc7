"""The case search index: grams follow every write of names and phones, search by grams
gives exactly the LIKE search's results, counties never see each other's grams."""
import itertools
import os

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cases import queries, search_index
from app.cases.models import (
    CaseMember,
    CaseSearchGram,
    CaseUnit,
    CaseUnitRole,
    FamilyCase,
)
from app.core import tenancy

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
_numbers = itertools.count(1)


@pytest.fixture
def taipei(factories):
    return factories.county("臺北市")


@pytest.fixture
def hualien(factories):
    return factories.county("花蓮縣")


@pytest.fixture
def admin(factories):
    return factories.user("tpe.admin").memberships[0]


def make_case(county, names=(), *, phone="", phones=None, lead_unit_id=None):
    """A family case with members of these names, written through the ORM in the county."""
    with tenancy.tenant_scope(county.id):
        case = FamilyCase(case_no=f"T-SI-{county.id}-{next(_numbers):06d}", family_name="測試○○家", phone=phone)
        if lead_unit_id:
            case.units.append(CaseUnit(unit_id=lead_unit_id, role=CaseUnitRole.LEAD))
        for i, name in enumerate(names):
            case.members.append(CaseMember(name=name, phone=(phones or {}).get(i, "")))
        from app.extensions import db

        db.session.add(case)
        db.session.flush()
        return case


def grams_of(db, case_id):
    with tenancy.all_tenants("test: the grams of one case"):
        rows = db.session.execute(sa.select(CaseSearchGram.kind, CaseSearchGram.gram, CaseSearchGram.source_id)
                                  .where(CaseSearchGram.case_id == case_id)).all()
    return {tuple(r) for r in rows}


def search(county, membership, **filters):
    from app.extensions import db

    with tenancy.tenant_scope(county.id):
        stmt = queries.search_stmt(queries.Filters(**filters), membership)
        return set(db.session.scalars(stmt.with_only_columns(FamilyCase.id).order_by(None)).all())


def like_search(county, name=None, digits=None):
    """Today's search, the reference: LIKE '%…%' on the names, on the phones without dashes."""
    from app.extensions import db

    stmt = sa.select(FamilyCase.id)
    if name is not None:
        pattern = search_index._containing(name)
        stmt = stmt.where(FamilyCase.id.in_(sa.select(CaseMember.case_id).where(CaseMember.name.like(pattern, escape="/"))))
    if digits is not None:
        pattern = search_index._containing(digits)
        by_member = sa.select(CaseMember.case_id).where(sa.func.replace(CaseMember.phone, "-", "").like(pattern, escape="/"))
        by_case = sa.select(FamilyCase.id).where(sa.func.replace(FamilyCase.phone, "-", "").like(pattern, escape="/"))
        stmt = stmt.where(FamilyCase.id.in_(sa.union(by_member, by_case)))
    with tenancy.tenant_scope(county.id):
        return set(db.session.scalars(stmt).all())


# --- Grams follow the writes ------------------------------------------------------------

def test_grams_are_written_on_create(db, taipei):
    case = make_case(taipei, ["陳怡君", "Amy 陳"], phone="02-2345-6789", phones={0: "0912-345-678"})
    first, second = case.members
    grams = grams_of(db, case.id)
    assert {("name", g, first.id) for g in ("陳", "怡", "君", "陳怡", "怡君")} <= grams
    assert ("name", "am", second.id) in grams and ("name", "a", second.id) in grams  # ASCII folded
    assert ("name", "陳怡君", first.id) not in grams  # no trigrams of names
    assert ("phone", "091", first.id) in grams and ("phone", "678", first.id) in grams
    assert not any(g == "2-3" for _, g, _ in grams)  # dashes are not part of a phone's grams
    assert ("case_phone", "022", case.id) in grams and ("case_phone", "789", case.id) in grams
    assert len([g for g in grams if g[0] == "phone"]) == len("0912345678") - 2


def test_grams_are_rewritten_on_update_and_removed_on_delete(db, taipei):
    case = make_case(taipei, ["王小明", "王媽媽"], phone="02-1111-2222", phones={1: "0922000111"})
    ming, mother = case.members
    with tenancy.tenant_scope(taipei.id):
        ming.name = "李大華"
        mother.phone = "0933-444-555"
        case.phone = ""
        db.session.flush()
    grams = grams_of(db, case.id)
    assert ("name", "李大", ming.id) in grams and ("name", "小明", ming.id) not in grams
    assert ("phone", "444", mother.id) in grams and ("phone", "000", mother.id) not in grams
    assert ("name", "媽媽", mother.id) in grams  # a phone change leaves the name's grams
    assert not any(kind == "case_phone" for kind, _, _ in grams)
    with tenancy.tenant_scope(taipei.id):
        case.members.remove(mother)  # delete-orphan: the member row goes
        db.session.flush()
    assert not any(source == mother.id for _, _, source in grams_of(db, case.id))
    assert ("name", "李大", ming.id) in grams_of(db, case.id)
    with tenancy.tenant_scope(taipei.id):
        db.session.delete(case)
        db.session.flush()
    assert grams_of(db, case.id) == set()


def test_writers_outside_this_module_keep_the_index(db, taipei, admin, factories):
    """The household form's service (case and member phones) goes through the same hook."""
    from app.cases import services

    worker = factories.user("tpe.sw1")
    membership = worker.memberships[0]
    case = make_case(taipei, ["林美玲"], phones={0: "0911111111"}, lead_unit_id=membership.unit_id)
    member = case.members[0]
    with tenancy.tenant_scope(taipei.id):
        services.update_household(case, worker, membership, version=case.version, address="臺北市",
                                  phone="03-8888-7777", members={member.id: {"phone": "0955-666-777", "flags": []}})
    assert search(taipei, admin, phone="88887777") == {case.id}
    assert search(taipei, admin, phone="0955666777") == {case.id}
    assert search(taipei, admin, phone="0911111111") == set()


def test_rebuild_gives_the_grams_the_hook_wrote(db, taipei, hualien):
    cases = [make_case(taipei, ["陳怡君", "Amy Chen", "歐陽 娜娜", "A"], phone="(02) 2345-6789", phones={1: "0912-345-678"}),
             make_case(hualien, ["陳陳", "林"], phone="", phones={0: "12"})]
    before = {c.id: grams_of(db, c.id) for c in cases}
    connection = db.session.connection()
    with tenancy.all_tenants("test: rebuild everything"):
        total = search_index.rebuild(connection)
    assert {c.id: grams_of(db, c.id) for c in cases} == before
    with tenancy.all_tenants("test: count"):
        assert total == db.session.scalar(sa.select(sa.func.count()).select_from(CaseSearchGram))
    with tenancy.tenant_scope(hualien.id):
        search_index.rebuild(db.session.connection(), hualien.id)
    assert {c.id: grams_of(db, c.id) for c in cases} == before


def test_rebuild_command(app, db, taipei):
    case = make_case(taipei, ["張家豪"])
    case_id, member_id = case.id, case.members[0].id
    with tenancy.all_tenants("test: lose the grams as a raw load would"):
        db.session.execute(sa.delete(CaseSearchGram).where(CaseSearchGram.case_id == case.id))
    assert grams_of(db, case.id) == set()
    result = app.test_cli_runner().invoke(args=["rebuild-search-index"])
    assert result.exit_code == 0, result.output
    assert "已重建案家搜尋索引" in result.output
    assert ("name", "家豪", member_id) in grams_of(db, case_id)


# --- Search by grams = search by LIKE ---------------------------------------------------

def test_characters_apart_do_not_match(db, taipei, admin):
    apart = make_case(taipei, ["陳怡芳君"])           # 陳怡 … 君: not 陳怡君
    both_pairs = make_case(taipei, ["怡君陳怡"])      # has 陳怡 and 怡君, not 陳怡君
    exact = make_case(taipei, ["李陳怡君"])
    assert search(taipei, admin, name="陳怡君") == {exact.id}
    assert search(taipei, admin, name="陳君") == set()
    assert search(taipei, admin, name="怡君") >= {both_pairs.id, exact.id}
    assert apart.id not in search(taipei, admin, name="怡君")
    assert search(taipei, admin, name="李陳怡君") == {exact.id}
    assert apart.id in search(taipei, admin, name="芳")


def test_phone_with_dashes_and_parts(db, taipei, admin):
    member_phone = make_case(taipei, ["甲"], phones={0: "0912-345-678"})
    case_phone = make_case(taipei, ["乙"], phone="02-2345-6789")
    assert search(taipei, admin, phone="0912345678") == {member_phone.id}
    assert search(taipei, admin, phone="0912-345-678") == {member_phone.id}
    assert search(taipei, admin, phone="12345") == {member_phone.id}
    assert search(taipei, admin, phone="5678") == {member_phone.id, case_phone.id}
    assert search(taipei, admin, phone="2-345") >= {member_phone.id, case_phone.id}  # digits 2345
    assert search(taipei, admin, phone="(02) 2345-6789") == {case_phone.id}
    assert search(taipei, admin, phone="23456789") == {case_phone.id}
    assert search(taipei, admin, phone="0913") == set()


def test_name_with_id_number_is_the_same_member(db, taipei, admin):
    case = make_case(taipei, ["王大明", "王小華"])
    with tenancy.tenant_scope(taipei.id):
        case.members[0].id_number = "A123456789"
        db.session.flush()
    assert search(taipei, admin, name="大明", id_number="a123456789") == {case.id}
    assert search(taipei, admin, name="小華", id_number="A123456789") == set()


ALPHABET = "陳怡君林a A_%"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(ALPHABET, min_size=1, max_size=5), min_size=1, max_size=12),
       phones=st.lists(st.text("0123-", min_size=0, max_size=12), min_size=1, max_size=4),
       queries_=st.lists(st.text(ALPHABET, min_size=1, max_size=4), min_size=1, max_size=6),
       digit_queries=st.lists(st.text("0123", min_size=3, max_size=10), min_size=1, max_size=4))
def test_search_equals_like_for_random_names_and_phones(db, taipei, admin, names, phones, queries_, digit_queries):
    nested = db.session.begin_nested()
    try:
        for i, name in enumerate(names):
            make_case(taipei, [name], phone=phones[i % len(phones)] if i % 2 else "",
                      phones={0: phones[(i + 1) % len(phones)]})
        # substrings of the names (1–4 characters, adjacent) as well as random strings
        picked = [n[s:s + k] for n in names[:4] for k in (1, 2, 3, 4) for s in (0, 1) if len(n) >= s + k]
        for q in {q.strip() for q in queries_ + picked} - {""}:
            assert search(taipei, admin, name=q) == like_search(taipei, name=q), q
        # long queries look up only some of their trigrams: substrings of the phones, 3–10 digits
        digits_of = [p.replace("-", "") for p in phones]
        picked_digits = [d[s:s + k] for d in digits_of for k in (3, 7, 10) for s in (0, 1) if len(d) >= s + k]
        for digits in set(digit_queries + picked_digits):
            assert search(taipei, admin, phone=digits) == like_search(taipei, digits=digits), digits
    finally:
        nested.rollback()


# --- Counties --------------------------------------------------------------------------

def test_another_countys_grams_never_match(db, taipei, hualien, admin):
    make_case(hualien, ["花蓮陳怡君"], phone="03-8888-9999", phones={0: "0977-888-999"})
    mine = make_case(taipei, ["陳怡君"])
    assert search(taipei, admin, name="陳怡君") == {mine.id}
    assert search(taipei, admin, name="花蓮") == set()
    assert search(taipei, admin, phone="0977888999") == set()
    assert search(taipei, admin, phone="88889999") == set()
    # the grams are scoped like every county table
    with tenancy.tenant_scope(taipei.id):
        seen = set(db.session.scalars(sa.select(CaseSearchGram.tenant_id).distinct()).all())
    assert seen <= {taipei.id}


@pytest.mark.skipif(not POSTGRES, reason="row-level security is PostgreSQL's")
def test_row_level_security_hides_other_countys_grams(db, taipei, hualien):
    make_case(hualien, ["花蓮陳怡君"])
    make_case(taipei, ["臺北陳怡君"])
    conn = db.session.connection()

    def visible():
        return {r[0] for r in conn.execute(sa.text(
            "SELECT DISTINCT tenant_id FROM case_search_grams WHERE kind = 'name' AND gram = '怡君'"))}

    conn.execute(sa.text("SELECT set_config('app.tenant_id', '', true), set_config('app.all_tenants', 'off', true)"))
    assert visible() == set()
    conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(taipei.id)})
    assert visible() == {taipei.id}
    conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(hualien.id)})
    assert visible() == {hualien.id}
    # and the runtime role cannot write grams into another county
    nested = db.session.begin_nested()
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
        conn.execute(sa.text("INSERT INTO case_search_grams (kind, gram, tenant_id, source_id, case_id) "
                             "VALUES ('name', '假', :t, 1, 1)"), {"t": taipei.id})
    nested.rollback()


# --- The search form ---------------------------------------------------------------------

def test_a_phone_of_fewer_than_three_digits_is_refused_with_what_was_typed(as_user, db, taipei):
    make_case(taipei, ["錢小姐"], phones={0: "0912000000"})
    db.session.commit()
    response = as_user("tpe.admin").get("/cases/search?phone=09&name=錢")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "請至少輸入 3 位數字" in body
    assert 'value="09"' in body and 'value="錢"' in body
    results = body.split('id="results"', 1)[1]
    assert "共 " not in results  # nothing was searched
    ok = as_user("tpe.admin").get("/cases/search?phone=091").get_data(as_text=True)
    assert "請至少輸入" not in ok and "共 " in ok.split('id="results"', 1)[1]
