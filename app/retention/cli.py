"""``flask retention-purge``: carry out the dispose decisions of one county, in one transaction."""
from __future__ import annotations

import click
import sqlalchemy as sa

from ..accounts.models import Role, User
from ..audit import services as audit
from ..core import tenancy
from ..core.filters import TAIPEI
from ..core.models import utcnow
from ..extensions import db
from ..tenants.models import County
from . import services


@click.command("retention-purge")
@click.option("--county", "county_ref", required=True, help="縣市代碼（如 6300000000）或名稱（如 臺北市）")
@click.option("--by", "username", required=True, help="執行者帳號：系統管理者或該縣市的縣市管理者（寫入稽核紀錄）")
@click.option("--dry-run", is_flag=True, help="只列出會銷毀與不會銷毀的案家，不刪除")
def retention_purge(county_ref, username, dry_run):
    """Delete the cases whose latest retention decision is "dispose", that are past the period and
    have no open links; each deletion is audited with its decision. All or nothing."""
    county = db.session.scalars(sa.select(County).where(sa.or_(County.code == county_ref,
                                                               County.name == county_ref))).first()
    if county is None:
        raise click.ClickException(f"找不到縣市「{county_ref}」。")
    user = db.session.scalars(sa.select(User).where(User.username == username.lower())).first()
    allowed = user is not None and user.active and (user.is_sysadmin or any(
        m.role == Role.COUNTY_ADMIN and m.unit.county_id == county.id for m in user.active_memberships))
    if not allowed:
        raise click.ClickException(f"帳號「{username}」不是系統管理者或{county.name}的縣市管理者，不可執行銷毀。")
    actor = audit.Actor(user_id=user.id, username=user.username, user_agent="flask retention-purge")
    today = utcnow().astimezone(TAIPEI).date()
    with tenancy.tenant_scope(county.id):
        if dry_run:
            rows = services.awaiting_disposal(county, today)
            for row in rows:
                state = "會銷毀" if row.disposable else "不會銷毀：" + "、".join(row.blockers)
                click.echo(f"{row.case.case_no}（決定 #{row.decision.id}）{state}")
            click.echo(f"{county.name}：待執行的銷毀決定 {len(rows)} 件（試跑，未刪除任何資料）")
            return
        try:
            result = services.purge(county, today, actor)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            raise click.ClickException(f"銷毀失敗，已全部復原，未刪除任何資料：{exc}") from exc
    for case_no, decision_id in result.disposed:
        click.echo(f"已銷毀 {case_no}（依決定 #{decision_id}）")
    for case_no, why in result.skipped:
        click.echo(f"未銷毀 {case_no}：{'、'.join(why)}")
    click.echo(f"{county.name}：銷毀 {len(result.disposed)} 件，未銷毀 {len(result.skipped)} 件")
