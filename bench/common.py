"""Helpers every benchmark shares: a database of its own, the app served by
gunicorn as the runtime role, logged-in clients, latency measurement."""
from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
APP_ROLE = os.environ.get("DB_APP_ROLE", "safetynet_app")
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "怡君雅婷志明家豪淑芬建宏美玲俊傑心怡宗翰詩涵冠宇佳穎承恩"


def make_database(name: str = "safetynet_bench"):
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    owner = f"{PG}/{name}"
    runtime = owner.replace("postgres@", f"{APP_ROLE}@", 1)
    return owner, runtime


def prepare(owner: str, runtime: str):
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.demo import seed_demo_users
    from app.extensions import db
    from app.tenants.seed import seed_reference_data

    app = create_app({"SQLALCHEMY_DATABASE_URI": owner, "MIGRATIONS_DATABASE_URL": owner, "SECRET_KEY": "bench",
                      "REDIS_URL": None})
    with app.app_context():
        upgrade()
        seed_reference_data()
        seed_demo_users()
        db.session.commit()
    return app


def serve(runtime: str, port: int, workers: int = 2, env: dict | None = None, checkout: Path = ROOT):
    """gunicorn as the runtime role on 127.0.0.1:port, with ``env`` on top of the process's, serving
    ``checkout``'s code (another worktree, for bench/ab.py)."""
    # The server's SECRET_KEY is the one the data's TOTP secrets were sealed with (`make bench-data` runs
    # `flask seed-demo` with the environment's SECRET_KEY or, without one, the checkout's instance secret):
    # a key of its own would read every sealed secret as empty and no administrator could log in.
    env = {**os.environ, "DATABASE_URL": runtime, "APP_ENV": "development", **(env or {})}
    _SERVED["owner"] = runtime.replace(f"{APP_ROLE}@", "postgres@", 1)
    env.pop("REDIS_URL", None)
    env.pop("MIGRATIONS_DATABASE_URL", None)
    proc = subprocess.Popen([str(checkout / ".venv/bin/gunicorn"), "app:create_app()", "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--log-level", "warning"], cwd=checkout, env=env)
    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn of {checkout} did not start")


_SERVED: dict = {}  # the database of the server serve() started (for the second factor's code)
_SIGNED_IN: dict = {}  # username -> cookies of a login that needed a second factor


def second_factor_code(username: str) -> str:
    """The code an administrator's authenticator shows now, read as `flask totp-code` does (the
    development command; the bench server runs as development)."""
    from app import create_app
    from app.accounts.models import User
    from app.accounts.services import next_totp_code
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": _SERVED["owner"], "REDIS_URL": None})
    for _ in range(3):
        with app.app_context():
            user = db.session.scalars(sa.select(User).where(User.username == username)).one()
            code = next_totp_code(user)
        if code:
            return code
        time.sleep(31 - time.time() % 30)  # this step's and the next one's codes are used: wait for a new step
    raise RuntimeError(f"no second-factor code for {username}")


def login(base: str, username: str) -> requests.Session:
    """A logged-in client. An account with a second factor (administrators) logs in once; later calls
    share that login's cookies, as one person's tabs would (a code is accepted once per 30 s)."""
    session = requests.Session()
    if username in _SIGNED_IN:
        session.cookies.update(_SIGNED_IN[username])
        return session
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/login", data={"username": username, "password": "demo1234", "csrf_token": token},
                            allow_redirects=False)
    assert response.status_code == 303, response.status_code
    if response.headers.get("Location", "").endswith("/login/verify"):
        page = session.get(f"{base}/login/verify").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = session.post(f"{base}/login/verify", allow_redirects=False,
                                data={"code": second_factor_code(username), "csrf_token": token})
        assert response.status_code == 303 and not response.headers.get("Location", "").endswith("/login"), \
            f"second factor refused for {username}"
        _SIGNED_IN[username] = session.cookies.copy()
    return session


def measure(session_factory, url: str, total: int, concurrency: int) -> dict:
    sessions = [session_factory() for _ in range(concurrency)]
    timings = []

    def one(i):
        s = sessions[i % concurrency]
        t0 = time.perf_counter()
        r = s.get(url)
        elapsed = time.perf_counter() - t0
        assert r.status_code == 200, (url, r.status_code)
        return elapsed

    for s in sessions:  # warm-up
        s.get(url)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        timings = list(pool.map(one, range(total)))
    wall = time.perf_counter() - started
    timings.sort()
    q = lambda p: timings[min(len(timings) - 1, int(p * len(timings)))] * 1000  # noqa: E731
    return {"requests": total, "concurrency": concurrency, "median_ms": round(statistics.median(timings) * 1000, 1),
            "p95_ms": round(q(0.95), 1), "p99_ms": round(q(0.99), 1), "throughput_rps": round(total / wall, 1)}



def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def write_result(name: str, result: dict) -> Path:
    # BENCH_RESULTS: another folder (the tiny run in CI, whose figures are not kept).
    folder = Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results")
    out = folder / f"{name}-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"written to {out}")
    return out


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    return {"median_ms": round(statistics.median(values), 2), "p95_ms": round(percentile(values, 0.95), 2),
            "max_ms": round(max(values), 2), "mean_ms": round(statistics.fmean(values), 2)}
