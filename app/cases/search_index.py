"""The case search index: n-grams of names and phones, searched by equality.

Why: under row-level security PostgreSQL will not use a trigram index for
``LIKE '%…%'`` (LIKE is not leakproof, so it may not run before the policy),
and partial-name and phone search scanned the county. Text equality is
leakproof, so an index on ``(kind, gram, …)`` is used under RLS; it works the
same on SQLite.

What is stored (``CaseSearchGram``), per source:

* ``name``: every distinct character and every distinct pair of adjacent
  characters of a member's name, ASCII letters folded to lower case;
* ``phone`` / ``case_phone``: every distinct run of three adjacent characters
  of a member's / the case's phone with the dashes taken out (the text the
  search compares with).

How a query uses it (``name_condition`` / ``phone_condition``): a one-character
name is its unigram, a longer one the intersection of its bigrams; a phone (at
least three digits) the intersection of its trigrams. Containment implies
having all of those grams, so the index gives a superset of today's matches;
the exact ``LIKE`` is then applied to those few candidates only, and skipped
where the grams are already exact (one or two characters with no ASCII
letter). Results are the same as the LIKE search's.

Kept current by a flush hook: whenever a ``CaseMember``'s name or phone or a
``FamilyCase``'s phone is inserted, updated or deleted through the ORM, the
grams of that source are rewritten in the same flush. Rows written with raw
SQL (bulk loaders, the benchmarks, the national data generator) are not seen:
call :func:`rebuild` after loading (``flask --app app rebuild-search-index``).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from .models import CaseMember, CaseSearchGram, FamilyCase

NAME = "name"
PHONE = "phone"
CASE_PHONE = "case_phone"
MEMBER_KINDS = (NAME, PHONE)
PHONE_MIN_DIGITS = 3

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_FOLD = str.maketrans(_UPPER, _LOWER)


# --- Grams ---------------------------------------------------------------------

def fold(text: str) -> str:
    """ASCII letters to lower case and nothing else (SQL's translate() does the same, on any database)."""
    return text.translate(_FOLD)


def name_grams(name: str) -> set[str]:
    text = fold(name or "")
    return set(text) | {text[i:i + 2] for i in range(len(text) - 1)}


def phone_text(phone: str) -> str:
    """What phone search compares with: the phone without its dashes."""
    return (phone or "").replace("-", "")


def phone_grams(phone: str) -> set[str]:
    text = phone_text(phone)
    return {text[i:i + 3] for i in range(len(text) - 2)}


def query_name_grams(query: str) -> list[str]:
    text = fold(query)
    if len(text) == 1:
        return [text]
    return sorted({text[i:i + 2] for i in range(len(text) - 1)})


def query_phone_grams(digits: str) -> list[str]:
    """The trigrams a phone query looks up. Any of the query's trigrams are a superset of the matches
    (the exact check follows), so a long query takes non-overlapping ones from the end (the last digits
    vary most; every mobile number shares "09x"): fewer and rarer index entries to intersect."""
    if len(digits) <= 6:
        starts = range(len(digits) - 2)
    else:
        starts = range(len(digits) - 3, -1, -3)
    return sorted({digits[i:i + 3] for i in starts})


def name_grams_are_exact(query: str) -> bool:
    """One or two characters with no ASCII letter: having the gram *is* containing the text
    (with letters, the folded gram is looser than a case-sensitive LIKE)."""
    return len(query) <= 2 and not any(c in _UPPER or c in _LOWER for c in query)


# --- Query conditions ------------------------------------------------------------

def _having_all(kind: str, grams: list[str], column):
    """``column`` of the sources whose grams of ``kind`` include all of ``grams``."""
    G = CaseSearchGram
    if len(grams) == 1:
        return sa.select(column).where(G.kind == kind, G.gram == grams[0])
    return (sa.select(column).where(G.kind == kind, G.gram.in_(grams))
            .group_by(column).having(sa.func.count(sa.distinct(G.gram)) == len(grams)))


def _containing(text: str) -> str:
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def name_condition(query: str):
    """A condition on ``FamilyCase.id``: a member's name contains ``query`` (stripped, non-empty)."""
    grams = query_name_grams(query)
    if name_grams_are_exact(query):
        return FamilyCase.id.in_(_having_all(NAME, grams, CaseSearchGram.case_id))
    members = sa.select(CaseMember.case_id).where(
        CaseMember.id.in_(_having_all(NAME, grams, CaseSearchGram.source_id)),
        CaseMember.name.like(_containing(query), escape="/"))
    return FamilyCase.id.in_(members)


def phone_condition(digits: str):
    """A condition on ``FamilyCase.id``: a member's or the case's phone (dashes aside) contains ``digits``."""
    pattern = _containing(digits)
    if len(digits) < PHONE_MIN_DIGITS:  # the search form asks for three; other callers get the scan
        by_member = sa.select(CaseMember.case_id).where(
            sa.func.replace(CaseMember.phone, "-", "").like(pattern, escape="/"))
        by_case = sa.select(FamilyCase.id).where(sa.func.replace(FamilyCase.phone, "-", "").like(pattern, escape="/"))
        return FamilyCase.id.in_(sa.union(by_member, by_case))
    grams = query_phone_grams(digits)
    by_member = sa.select(CaseMember.case_id).where(
        CaseMember.id.in_(_having_all(PHONE, grams, CaseSearchGram.source_id)),
        sa.func.replace(CaseMember.phone, "-", "").like(pattern, escape="/"))
    by_case = sa.select(FamilyCase.id).where(
        FamilyCase.id.in_(_having_all(CASE_PHONE, grams, CaseSearchGram.source_id)),
        sa.func.replace(FamilyCase.phone, "-", "").like(pattern, escape="/"))
    return FamilyCase.id.in_(sa.union(by_member, by_case))


# --- Keeping it current: the flush hook ------------------------------------------------

_table = CaseSearchGram.__table__


def _rows(kind: str, grams, tenant_id, source_id, case_id) -> list[dict]:
    return [{"kind": kind, "gram": g, "tenant_id": tenant_id, "source_id": source_id, "case_id": case_id}
            for g in sorted(grams)]


def _member_rows(member: CaseMember, *, previous: bool = False) -> list[dict]:
    value = _previous if previous else getattr
    key = (value(member, "tenant_id"), member.id, value(member, "case_id"))
    return (_rows(NAME, name_grams(value(member, "name")), *key)
            + _rows(PHONE, phone_grams(value(member, "phone")), *key))


def _case_rows(case: FamilyCase, *, previous: bool = False) -> list[dict]:
    value = _previous if previous else getattr
    return _rows(CASE_PHONE, phone_grams(value(case, "phone")), value(case, "tenant_id"), case.id, case.id)


def _changed(obj, *keys) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[key].history.has_changes() for key in keys)


def _previous(obj, key):
    """The value the row had in the database before this flush."""
    history = inspect(obj).attrs[key].history
    return history.deleted[0] if history.deleted else getattr(obj, key)


# Mapper events see every row the flush writes (orphans deleted by a cascade too, which the
# session's lists do not show); they note the grams that go and come, and ``_after_flush``
# writes them in two statements. The grams that go are named by their whole key (the old
# name or phone is still in the attribute's history), so no index besides the key is needed.
PENDING_KEY = "search_grams_pending"


def _pending(target) -> dict:
    return object_session(target).info.setdefault(PENDING_KEY, {"out": [], "in": []})


def _source_hooks(rows, *fields):
    """The mapper events of one kind of source (members, cases): its grams come on insert, go on
    delete, and are rewritten on an update that touches ``fields``."""
    def inserted(mapper, connection, target) -> None:
        _pending(target)["in"].extend(rows(target))

    def updated(mapper, connection, target) -> None:
        if _changed(target, *fields):
            work = _pending(target)
            work["out"].extend(rows(target, previous=True))
            work["in"].extend(rows(target))

    def deleted(mapper, connection, target) -> None:
        _pending(target)["out"].extend(rows(target, previous=True))

    return {"after_insert": inserted, "after_update": updated, "after_delete": deleted}


_HOOKS = {CaseMember: _source_hooks(_member_rows, "name", "phone", "case_id", "tenant_id"),
          FamilyCase: _source_hooks(_case_rows, "phone", "tenant_id")}


def _before_flush(session, flush_context, instances) -> None:
    session.info.pop(PENDING_KEY, None)  # nothing left over from a flush that failed


_KEY = ("kind", "gram", "tenant_id", "source_id", "case_id")


def _after_flush(session, flush_context) -> None:
    work = session.info.pop(PENDING_KEY, None)
    if not work:
        return
    connection = session.connection()
    if work["out"]:
        key = sa.tuple_(*(_table.c[k] for k in _KEY))
        connection.execute(_table.delete().where(key.in_([tuple(r[k] for k in _KEY) for r in work["out"]])))
    if work["in"]:
        connection.execute(_table.insert(), work["in"])


# Installed on import (models.py imports this module): once per process.
_LISTENERS = [(model, name, fn) for model, hooks in _HOOKS.items() for name, fn in hooks.items()] + [
    (Session, "before_flush", _before_flush), (Session, "after_flush", _after_flush)]
for _target, _name, _fn in _LISTENERS:
    if not event.contains(_target, _name, _fn):
        event.listen(_target, _name, _fn)


# --- Rebuilding after bulk loads ---------------------------------------------------

_PG_FOLD = f"translate(m.name, '{_UPPER}', '{_LOWER}')"

_PG_REBUILD = f"""
INSERT INTO case_search_grams (kind, gram, tenant_id, source_id, case_id)
SELECT DISTINCT 'name', substr(x.t, i, n), m.tenant_id, m.id, m.case_id
  FROM case_members m
 CROSS JOIN LATERAL (SELECT {_PG_FOLD} AS t) x
 CROSS JOIN generate_series(1, 2) n
 CROSS JOIN LATERAL generate_series(1, char_length(x.t) - n + 1) i
 WHERE m.name <> '' {{members_where}}
UNION ALL
SELECT DISTINCT 'phone', substr(x.t, i, 3), m.tenant_id, m.id, m.case_id
  FROM case_members m
 CROSS JOIN LATERAL (SELECT replace(m.phone, '-', '') AS t) x
 CROSS JOIN LATERAL generate_series(1, char_length(x.t) - 2) i
 WHERE m.phone <> '' {{members_where}}
UNION ALL
SELECT DISTINCT 'case_phone', substr(x.t, i, 3), c.tenant_id, c.id, c.id
  FROM family_cases c
 CROSS JOIN LATERAL (SELECT replace(c.phone, '-', '') AS t) x
 CROSS JOIN LATERAL generate_series(1, char_length(x.t) - 2) i
 WHERE c.phone <> '' {{cases_where}}
"""


def rebuild(connection, tenant_id: int | None = None, *, batch: int = 5000) -> int:
    """Regenerate the grams of every case (or of one county's) from the members and cases as they are;
    returns the number of grams. Runs in ``connection``'s transaction; the caller commits.

    On PostgreSQL it is one DELETE and one set-based INSERT … SELECT. It acts across counties (or as
    ``tenant_id``) for the statement's length, whoever the connection's role and current county are."""
    if connection.dialect.name == "postgresql":
        return _rebuild_postgres(connection, tenant_id)
    return _rebuild_python(connection, tenant_id, batch)


def _rebuild_postgres(connection, tenant_id):
    saved = connection.execute(sa.text(
        "SELECT current_setting('app.tenant_id', true), current_setting('app.all_tenants', true)")).one()
    connection.execute(sa.text("SELECT set_config('app.tenant_id', :t, true), set_config('app.all_tenants', :a, true)"),
                       {"t": "" if tenant_id is None else str(tenant_id), "a": "on" if tenant_id is None else "off"})
    try:
        params = {} if tenant_id is None else {"t": tenant_id}
        where = "" if tenant_id is None else "AND tenant_id = :t"
        connection.execute(sa.text(f"DELETE FROM case_search_grams {'WHERE tenant_id = :t' if where else ''}"), params)
        result = connection.execute(sa.text(_PG_REBUILD.format(
            members_where=where.replace("tenant_id", "m.tenant_id"),
            cases_where=where.replace("tenant_id", "c.tenant_id"))), params)
        return result.rowcount
    finally:
        connection.execute(sa.text("SELECT set_config('app.tenant_id', :t, true), set_config('app.all_tenants', :a, true)"),
                           {"t": saved[0] or "", "a": saved[1] or "off"})


def _rebuild_python(connection, tenant_id, batch):
    t = _table.c
    delete = _table.delete()
    if tenant_id is not None:
        delete = delete.where(t.tenant_id == tenant_id)
    connection.execute(delete)
    total = 0
    members = sa.table("case_members", sa.column("id"), sa.column("tenant_id"), sa.column("case_id"),
                       sa.column("name"), sa.column("phone"))
    cases = sa.table("family_cases", sa.column("id"), sa.column("tenant_id"), sa.column("phone"))
    for source, columns, to_rows in (
        (members, (members.c.id, members.c.tenant_id, members.c.case_id, members.c.name, members.c.phone),
         lambda r: ([{"kind": NAME, "gram": g, "tenant_id": r[1], "source_id": r[0], "case_id": r[2]}
                     for g in name_grams(r[3])]
                    + [{"kind": PHONE, "gram": g, "tenant_id": r[1], "source_id": r[0], "case_id": r[2]}
                       for g in phone_grams(r[4])])),
        (cases, (cases.c.id, cases.c.tenant_id, cases.c.phone),
         lambda r: [{"kind": CASE_PHONE, "gram": g, "tenant_id": r[1], "source_id": r[0], "case_id": r[0]}
                    for g in phone_grams(r[2])]),
    ):
        after = 0
        while True:
            stmt = sa.select(*columns).where(source.c.id > after).order_by(source.c.id).limit(batch)
            if tenant_id is not None:
                stmt = stmt.where(source.c.tenant_id == tenant_id)
            chunk = connection.execute(stmt).all()
            if not chunk:
                break
            rows = [row for r in chunk for row in to_rows(r)]
            if rows:
                connection.execute(_table.insert(), rows)
                total += len(rows)
            after = chunk[-1][0]
    return total
