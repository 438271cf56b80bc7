"""The audit log pages by keyset: every entry once, newest first, ties broken by id,
whatever the county's log holds; a bad cursor is the first page; other counties stay out."""
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import sqlalchemy as sa

from app.audit.models import AuditAction, AuditEvent
from app.core import tenancy
from app.core.keyset import keyset_page


def _fill(db, tenant_id: int, n: int, marker: str, start: datetime):
    # pairs of entries at the same instant: the order must then come from the id
    for i in range(n):
        db.session.add(AuditEvent(tenant_id=tenant_id, occurred_at=start + timedelta(seconds=i // 2),
                                  actor_username="keyset", action=AuditAction.READ, record_type="family_cases",
                                  record_id=f"{marker}{i}", summary="查閱"))
    db.session.flush()


def test_keyset_pages_cover_every_entry_once(db, factories):
    taipei = factories.county("臺北市")
    start = datetime(2030, 1, 1, tzinfo=UTC)
    _fill(db, taipei.id, 57, "k", start)
    with tenancy.tenant_scope(taipei.id):
        stmt = sa.select(AuditEvent).where(AuditEvent.actor_username == "keyset")
        seen, cursor, pages = [], "", 0
        while True:
            page = keyset_page(stmt, [AuditEvent.occurred_at, AuditEvent.id], cursor, per_page=10)
            seen += [(e.occurred_at, e.id) for e in page.items]
            pages += 1
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    assert pages == 6 and len(seen) == 57 and len(set(seen)) == 57
    assert seen == sorted(seen, reverse=True)
    with tenancy.tenant_scope(taipei.id):
        bad = keyset_page(stmt, [AuditEvent.occurred_at, AuditEvent.id], "not-a-cursor~x", per_page=10)
    assert bad.is_first and [(e.occurred_at, e.id) for e in bad.items] == seen[:10]


def test_audit_page_follows_older_links(as_user, db, factories):
    taipei, hualien = factories.county("臺北市"), factories.county("花蓮縣")
    start = datetime(2030, 1, 1, tzinfo=UTC)
    _fill(db, taipei.id, 120, "t", start)
    _fill(db, hualien.id, 30, "h", start)
    db.session.commit()
    admin = as_user("tpe.admin")
    url, ids, pages = "/admin/audit?username=keyset", [], 0
    while url and pages < 10:
        body = admin.get(url).get_data(as_text=True)
        pages += 1
        ids += re.findall(r"#([th]\d+)</span>", body)
        link = re.search(r'href="([^"]+)">較舊的 50 筆', body)
        url = unescape(link.group(1)) if link else None
        if pages > 1:
            assert "回到最新" in body
    assert pages == 3
    assert ids == [f"t{i}" for i in range(119, -1, -1)]  # newest first, each once, none of 花蓮縣's
