"""The county's visit list is computed by a job (at 100,000 open families it is seconds of work): the
run keeps what it found, a second click while it runs answers the running one, the page polls the
job's progress and reloads when it is done, and the list is read a page at a time, filtered."""
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.campaigns import queries, services
from app.campaigns.models import ListRun
from app.core import documents, jobs, tenancy
from app.core.documents import DocumentStatus
from app.core.models import utcnow


def _change_run(db, t, run_id, **values):
    db.session.expire_all()
    with tenancy.tenant_scope(t["taipei"].id):
        run = db.session.get(ListRun, run_id)
        for name, value in values.items():
            setattr(run, name, value)
        db.session.commit()


def test_the_button_computes_the_list_in_a_job_whose_run_keeps_what_it_found(taipei_cases, as_user, db, inline_jobs):
    t = taipei_cases
    cid, drug = t["campaign"].id, t["drug"].case_no
    db.session.commit()
    admin = as_user("tpe.admin")
    answer = admin.post(f"/campaigns/{cid}/compute", {})
    assert answer.status_code == 303
    with tenancy.tenant_scope(t["taipei"].id):
        run = db.session.scalars(sa.select(ListRun)).one()
        assert run.status == DocumentStatus.DONE and run.tenant_id == t["taipei"].id
        assert (run.families, run.listed, run.added, run.removed) == (3, 2, 2, 0)
        assert run.counts == {"1C": 1, "2A": 1, "2C": 1} and run.requested_by.username == "tpe.admin"
    page = admin.get(f"/campaigns/{cid}").text
    assert "已依規則第 1 版計算：在案家庭 3 戶，列入 2 戶（新增 2、移除 0" in page  # the flash, once the job is done
    assert "最近一次計算" in page and drug in page and "hx-get" not in page.split('id="list-run"')[1][:200]
    # another county's administrator sees nothing of it, and cannot poll it
    other = as_user("hua.admin")
    assert "最近一次計算" not in other.get(f"/campaigns/{cid}").text
    assert other.get(f"/campaigns/{cid}/list-run").status_code == 303


def _busy_run(t, db):
    """A computation waiting for its worker (queued, recent): what a page sees while a job runs."""
    with tenancy.tenant_scope(t["taipei"].id):
        run = documents.request(ListRun(tenant_id=t["taipei"].id, campaign_id=t["campaign"].id))
        db.session.commit()
        return run.id


def test_a_second_click_while_the_list_is_computed_answers_the_running_computation(taipei_cases, as_user, db):
    t = taipei_cases
    cid, plain = t["campaign"].id, t["plain"].case_no
    run_id = _busy_run(t, db)
    admin = as_user("tpe.admin")
    again = admin.post(f"/campaigns/{cid}/compute", {})
    assert again.status_code == 303
    with tenancy.tenant_scope(t["taipei"].id):
        assert db.session.scalars(sa.select(sa.func.count(ListRun.id))).one() == 1  # no second job
    page = admin.get(f"/campaigns/{cid}").text
    assert "名單計算中" in page and f"/campaigns/{cid}/list-run" in page and 'hx-trigger="every 1s"' in page
    # a tick while the list is being computed is refused, with what was typed kept
    refused = admin.post(f"/campaigns/{cid}/tick", {"tk-case_no": plain, "tk-code": "1D", "tk-reason": "案父失業"})
    assert refused.status_code == 422 and "正在計算中" in refused.text and "案父失業" in refused.text
    assert 'hx-trigger="every 1s"' not in refused.text  # not reloaded under the typing when the job ends
    # polling: the progress while it runs; once done, the list page whole again (htmx: HX-Redirect)
    poll = admin.get(f"/campaigns/{cid}/list-run", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "名單計算進度" in poll.text and "<html" not in poll.text
    typed = admin.get(f"/campaigns/{cid}/list-run")  # the address typed or kept, not the page's polling: a 500 once
    assert typed.status_code == 303 and typed.headers["Location"].endswith(f"/campaigns/{cid}")
    _change_run(db, t, run_id, status=DocumentStatus.DONE, families=3, listed=2, seconds=0.4)
    done = admin.get(f"/campaigns/{cid}/list-run", headers={"HX-Request": "true"})
    assert done.status_code == 204 and done.headers["HX-Redirect"].startswith(f"/campaigns/{cid}")
    assert "列入 2 戶" in admin.get(f"/campaigns/{cid}").text


def test_a_computation_whose_worker_died_is_shown_failed_and_can_be_asked_again(taipei_cases, as_user, db, inline_jobs):
    t = taipei_cases
    cid = t["campaign"].id
    run_id = _busy_run(t, db)
    _change_run(db, t, run_id, requested_at=utcnow() - timedelta(seconds=ListRun.STALE_AFTER_SECONDS + 1))
    admin = as_user("tpe.admin")
    page = admin.get(f"/campaigns/{cid}").text
    assert "上次名單計算失敗" in page and "hx-trigger" not in page.split('id="list-run"')[1][:300]
    assert admin.post(f"/campaigns/{cid}/compute", {}).status_code == 303  # a new computation, done inline
    with tenancy.tenant_scope(t["taipei"].id):
        runs = db.session.scalars(sa.select(ListRun).order_by(ListRun.id)).all()
        assert len(runs) == 2 and runs[-1].status == DocumentStatus.DONE and runs[-1].listed == 2


def test_the_list_is_read_a_page_at_a_time_and_filtered(taipei_cases, as_user, db, monkeypatch, inline_jobs):
    t = taipei_cases
    cid, drug, young = t["campaign"].id, t["drug"].case_no, t["young"].case_no
    db.session.commit()
    monkeypatch.setattr(queries, "LIST_PAGE", 1)
    admin = as_user("tpe.admin")
    admin.post(f"/campaigns/{cid}/compute", {})
    first = admin.get(f"/campaigns/{cid}").text
    assert "共 2 戶" in first and "第 1 / 2 頁" in first and drug in first and young not in first  # in person first
    assert young in admin.get(f"/campaigns/{cid}?page=2").text
    phone = admin.get(f"/campaigns/{cid}?way=phone").text
    assert young in phone and drug not in phone and "符合篩選 1 戶" in phone
    assert drug in admin.get(f"/campaigns/{cid}?q={drug[-4:]}").text
    nothing = admin.get(f"/campaigns/{cid}?q=ZZZ&unit=999999&page=abc&way=nonsense")
    assert nothing.status_code == 200 and "沒有符合篩選條件的家庭" in nothing.text
    past = admin.get(f"/campaigns/{cid}?page=999").text  # past the end: the last page, not an empty list
    assert young in past and "第 2 / 2 頁" in past
    huge = admin.get(f"/campaigns/{cid}?page=99999999999999999999&unit=2147483648")  # a walk hit a 500 here
    assert huge.status_code == 200 and drug in huge.text
    # asked from a filtered view, the computation comes back to that view
    back = admin.post(f"/campaigns/{cid}/compute", {}, headers={"Referer": f"http://localhost/campaigns/{cid}?way=phone"})
    assert back.headers["Location"].endswith(f"/campaigns/{cid}?way=phone")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="progress is kept in RQ's job meta: Redis only")
def test_a_jobs_progress_is_read_from_its_rq_meta(app):
    from rq.job import Job

    with app.app_context():
        job = Job.create(print, connection=jobs.redis_connection())
        job.meta["progress"] = [40_000, 100_000]
        job.save()
        try:
            assert jobs.progress_of(job.id) == (40_000, 100_000)
            assert jobs.progress_of("no-such-job") is None and jobs.progress_of("") is None
        finally:
            job.delete()
