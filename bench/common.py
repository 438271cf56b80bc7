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


def serve(runtime: str, port: int, workers: int = 2, env: dict | None = None):
    """gunicorn as the runtime role on 127.0.0.1:port, with ``env`` on top of the process's."""
    env = {**os.environ, "DATABASE_URL": runtime, "SECRET_KEY": "bench-secret", "APP_ENV": "development", **(env or {})}
    env.pop("REDIS_URL", None)
    env.pop("MIGRATIONS_DATABASE_URL", None)
    proc = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "app:create_app()", "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--log-level", "warning"], cwd=ROOT, env=env)
    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/login", data={"username": username, "password": "demo1234", "csrf_token": token},
                            allow_redirects=False)
    assert response.status_code == 303, response.status_code
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
    out = ROOT / "bench" / "results" / f"{name}-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    return out
