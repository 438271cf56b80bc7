"""A number typed or edited into a URL's query (a page, a unit, a cursor) that is no number or more than
a database's integer holds is ignored: the page answers, never the error page (a walk hit a 500)."""
import pytest

HUGE = "99999999999999999999"
LISTS = (("tpe.admin", "/cases/search?name=王&page={v}"), ("tpe.sup", "/cases/inbox?page={v}"),
         ("tpe.dv1", "/referrals?page={v}"), ("tpe.dispatch", "/intake/queue?page={v}"),
         ("tpe.admin", "/admin/users?page={v}"), ("moh.sfaa", "/meetings/mine?page={v}"), (None, "/report?county_id={v}"))


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "2147483648", "0", "-3", "abc"])
def test_a_page_or_id_out_of_range_is_ignored(as_user, client, db, value):
    for username, url in LISTS:
        answer = (as_user(username) if username else client).get(url.format(v=value))
        assert answer.status_code == 200, (url, value, answer.status_code)
