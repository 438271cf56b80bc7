"""One helper enqueues on RQ when REDIS_URL is set and runs inline otherwise."""
import pytest

from app.core.jobs import InlineJob, enqueue
from tests.jobs_fixtures import count_counties, fail


def test_inline_without_redis(app, db, factories):
    app.config["REDIS_URL"], saved = None, app.config["REDIS_URL"]
    try:
        taipei = factories.county("臺北市").id
        job = enqueue(count_counties, taipei)
        assert isinstance(job, InlineJob)
        assert job.get_status() == "finished"
        assert job.return_value == {"tenant": taipei, "counties": 22}
        failed = enqueue(fail)
        assert failed.get_status() == "failed" and "boom" in failed.error
    finally:
        app.config["REDIS_URL"] = saved


@pytest.mark.redis
def test_on_redis_a_worker_runs_the_job(app, db, factories):
    if not app.config["REDIS_URL"]:
        pytest.skip("REDIS_URL not set (the PostgreSQL + Redis run in .ci/run covers this)")
    import os

    from rq import SimpleWorker

    from app.core.jobs import queue, redis_connection

    with app.app_context():
        q = queue()
        q.empty()
        job = enqueue(count_counties, factories.county("花蓮縣").id)
        assert job.get_status() == "queued"
        # The worker builds its own app from the environment, as `flask rq-worker` does.
        os.environ.setdefault("SECRET_KEY", "test-secret")
        SimpleWorker([q], connection=redis_connection()).work(burst=True)
        job.refresh()
        assert job.get_status() == "finished"
        assert job.return_value() == {"tenant": factories.county("花蓮縣").id, "counties": 22}
