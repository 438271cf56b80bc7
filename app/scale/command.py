"""The ``seed-scale`` command."""
from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

import time

import sqlalchemy as sa

from ..campaigns import services as campaigns
from ..campaigns.models import Campaign
from ..cases.models import OPEN_STATUSES, FamilyCase
from ..config import normalise_db_url
from ..core import tenancy
from ..core.filters import TAIPEI
from ..extensions import db
from ..tenants.models import County
from .generator import FULL, Generator, ScaleError, Sizes


@click.command("seed-scale")
@click.option("--seed", type=int, default=20261202, show_default=True, help="Random seed: same seed and sizes, same data.")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="Multiplier of the full national sizes (1,500,000 reports …).")
@click.option("--reports", type=int, default=None, help="Reports (default 1,500,000 × scale).")
@click.option("--cases", type=int, default=None, help="Family cases (default 500,000 × scale).")
@click.option("--contacts", type=int, default=None, help="Contacts and service records (default 5,000,000 × scale).")
@click.option("--referrals", type=int, default=None, help="Referrals (default 200,000 × scale).")
@click.option("--meetings", type=int, default=None, help="Meetings (default 2,000 × scale).")
@click.option("--items", type=int, default=None, help="Action items (default 20,000 × scale).")
@click.option("--staff", type=int, default=None, help="Front-line staff accounts (default 9,000 × scale).")
@click.option("--counties", default="", help="Only these counties (names or codes, comma-separated); each gets its national share.")
@click.option("--today", default="", help="Anchor date YYYY-MM-DD (default: today in Asia/Taipei).")
@with_appcontext
def seed_scale(seed, scale, reports, cases, contacts, referrals, meetings, items, staff, counties, today):
    """Generate national-scale data (deterministic, bulk-loaded) on top of the reference and demo data."""
    if current_app.config["PRODUCTION"]:
        raise click.ClickException("正式環境（APP_ENV=production）不可產生模擬資料。")
    if scale <= 0:
        raise click.ClickException("--scale 需大於 0。")
    try:
        anchor = date.fromisoformat(today) if today else datetime.now(TAIPEI).date()
    except ValueError:
        raise click.ClickException("--today 的格式應為 YYYY-MM-DD。") from None
    given = {"reports": reports, "cases": cases, "contacts": contacts, "referrals": referrals,
             "meetings": meetings, "items": items}
    sizes = Sizes(**{k: (v if v is not None else round(getattr(FULL, k) * scale)) for k, v in given.items()})
    staff_count = staff if staff is not None else None
    wanted = [c.strip() for c in counties.split(",") if c.strip()] or None
    # The owner's connection (superuser or table owner): row-level security does not get in the way.
    url = normalise_db_url(current_app.config.get("MIGRATIONS_DATABASE_URL") or current_app.config["SQLALCHEMY_DATABASE_URI"])
    generator = Generator(seed=seed, sizes=sizes, today=anchor, scale=scale, staff=staff_count, counties=wanted,
                          echo=click.echo)
    try:
        generator.run(url)
    except ScaleError as error:
        raise click.ClickException(str(error)) from None
    campaign_lists(click.echo)


def campaign_lists(echo) -> None:
    """Each county's visit list for the coming spring-festival campaign (the demo opened it), computed from
    the generated families by the campaign's own job, as a county administrator's button does: the lists,
    their runs and their audit entries are what the application itself makes. Run here rather than queued
    (no worker is waiting for a data load)."""
    campaign = db.session.scalars(sa.select(Campaign).order_by(Campaign.holiday_start.desc()).limit(1)).first()
    if campaign is None:
        echo("  [campaign] 沒有春節關懷專案（demo 資料未載入），略過名單計算")
        return
    with tenancy.all_tenants("seed-scale: which counties have open families"):
        counties = db.session.scalars(sa.select(County).where(sa.exists().where(
            FamilyCase.tenant_id == County.id, FamilyCase.status.in_(OPEN_STATUSES))).order_by(County.id)).all()
    queued, current_app.config["REDIS_URL"] = current_app.config.get("REDIS_URL"), None
    started, listed = time.perf_counter(), 0
    try:
        for county in counties:
            with current_app.test_request_context(), tenancy.tenant_scope(county.id):
                run = campaigns.request_list(campaign, county.id, None)
                db.session.commit()
                listed += run.listed
                echo(f"  [campaign] {county.name}：在案家庭 {run.families:,} 戶，列入關懷名單 {run.listed:,} 戶"
                     f"（{run.seconds:.1f} 秒）")
    finally:
        current_app.config["REDIS_URL"] = queued
    if db.engine.dialect.name == "postgresql":  # the generator's ANALYZE ran before these rows existed
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE campaign_entries")
            conn.exec_driver_sql("ANALYZE campaign_list_runs")
    echo(f"  [campaign] {campaign.name}：{len(counties)} 縣市名單 {listed:,} 戶（{time.perf_counter() - started:.1f} 秒）")
