"""Command-line entry points: ``flask seed-demo``, ``flask rq-worker``, ``flask create-admin``,
``flask backup`` / ``restore`` / ``verify-backup``, and the areas' own commands (``seed-scale``,
``retention-purge``, ``escalate-disputes``, ``rebuild-search-index``). The operational layer: it may import
every area, and nothing in the app imports it (the app factory registers it)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from ..accounts.demo import describe_account, seed_demo_users
from ..accounts.models import User
from ..accounts.passwords import hash_password, policy_problems
from ..accounts.services import next_totp_code, reseal_totp_secrets
from ..campaigns.demo import seed_demo_campaign
from ..cases.demo import seed_demo_cases, seed_demo_programme
from ..cases.search_index import rebuild
from ..config import normalise_db_url
from ..core import backup, tenancy
from ..core.jobs import queue, redis_connection
from ..extensions import db
from ..exchange.demo import DEMO_CLIENT, seed_demo_exchange
from ..household.demo import describe_flags, seed_demo_household
from ..intake.demo import seed_demo_reports
from ..investigations.demo import STAFF as INVESTIGATION_STAFF, seed_demo_investigations
from ..meetings.demo import seed_demo_meetings
from ..referrals.demo import seed_demo_referrals
from ..referrals.disputes import escalate_silent
from ..reports.demo import seed_demo_reports as seed_demo_statistics
from ..retention.cli import retention_purge
from ..scale.command import seed_scale
from ..targets.demo import seed_demo_targets
from ..targets.snapshot import run_snapshot
from ..tenants.models import County
from ..tenants.seed import seed_reference_data


def register(app) -> None:
    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the reference data and, outside production, the demo accounts (idempotent)."""
        counts = seed_reference_data()
        click.echo(f"參考資料：{counts['counties']} 縣市、{counts['districts']} 行政區、"
                   f"{counts['units']} 單位、{counts['partners']} 民間團體")
        if current_app.config["PRODUCTION"]:
            db.session.commit()
            click.echo("正式環境：不建立示範帳號。請用 flask create-admin 建立系統管理者。")
            return
        rows = seed_demo_users()
        db.session.commit()
        made = seed_demo_reports()
        db.session.commit()
        if made:
            click.echo(f"示範通報：{made} 件（各管道、各狀態）")
        cases = seed_demo_cases()
        db.session.commit()
        if cases:
            click.echo(f"示範個案：臺北市 {cases} 案（待指派、評估中、首次訪視逾期、開案審查、服務中、結案審查、已結案、再通報、不開案、逾保存年限待審查）")
        programme_families = seed_demo_programme()
        db.session.commit()
        if programme_families:
            click.echo(f"示範社安網2.0 家庭：{programme_families} 案（臺北市、花蓮縣；新手父母、獨居老人、近貧人口、性影像移除申請）")
        referrals = seed_demo_referrals()
        db.session.commit()
        if referrals:
            click.echo(f"示範轉介：{referrals} 件（等待中、服務中、完成、不受案、退回、撤回、再轉、失敗、跨縣市），另有主責移轉與各階段爭議")
        household = seed_demo_household()
        db.session.commit()  # the flags are computed as the transaction commits
        investigations = seed_demo_investigations()
        db.session.commit()
        if investigations:
            click.echo(f"示範通報調查處理中心：臺北市（115-07-01 起試辦）{investigations} 件兒少保護通報（啟用前派家防中心、啟用後各調查狀態）")
        if seed_demo_meetings():
            db.session.commit()
            click.echo("示範會議：工作進度會議第 34 次（匯入會議紀錄與 12 項列管事項，第 35 次待填寫）、臺北市高危機網絡會議")
        if seed_demo_campaign():
            db.session.commit()
            click.echo("示範春節關懷：116年專案（規則第 1 版），臺北市關懷名單已計算")
        if seed_demo_statistics():
            click.echo("示範報表：臺北市上一季的四種統計報表（已送出）")
        exchange_token = seed_demo_exchange()
        db.session.commit()
        if exchange_token:
            click.echo(f"示範交換介面：{DEMO_CLIENT}（status.write、case.read），示範金鑰 {exchange_token}；"
                       "已送入賴媽媽（賴家：已結案並再通報）與鄭志明（鄭家）的精神照護列管（Flag）")
        if household:  # the 鄭 family's flags, the father's 列管 having arrived through the exchange
            click.echo(f"示範家戶圖像：臺北市通報 {household['report_no']}（鄭家：{household['closed_case']} 五個月前結案、"
                       f"{household['open_case']} 服務中、案父精神照護列管），風險預警：")
            for line in describe_flags("臺北市", household["report_id"]):
                click.echo(f"  {line}")
        snapshot_rows = seed_demo_targets()
        db.session.commit()
        click.echo(f"示範目標看板：臺北市115年育兒指導與獨居老人分母（附來源），各縣市快照 {snapshot_rows:,} 筆")
        password = current_app.config["DEMO_PASSWORD"]
        click.echo(f"\n示範帳號（密碼皆為 {password}，僅限開發環境）：")
        # the investigation centre's staff after the county's other staff, before the partner and the ministry
        at = next(i for i, row in enumerate(rows) if row[0] == "tpe.admin")
        rows[at:at] = [describe_account(username) for username, _, _ in INVESTIGATION_STAFF]
        for username, name, where in rows:
            click.echo(f"  {username:<13} {name}  {where}")
        click.echo("\n縣市管理者與系統管理者需兩步驟驗證：示範帳號已設定固定的示範金鑰，"
                   "登入時的 6 位數字請另開終端機執行 flask --app app totp-code tpe.admin（或 hua.admin、sysadmin）。")

    @app.cli.command("totp-code")
    @click.argument("username")
    def totp_code(username):
        """Print the current second-factor code of an account (development and demo only)."""
        if current_app.config["PRODUCTION"]:
            raise click.ClickException("正式環境不提供此指令。")
        user = db.session.scalars(sa.select(User).where(User.username == username.strip().lower())).first()
        if user is None or not user.has_totp:
            raise click.ClickException(f"帳號 {username} 不存在或未啟用兩步驟驗證。")
        if not user.totp_secret:  # sealed under another SECRET_KEY / DATA_ENCRYPTION_KEYS: read as empty
            raise click.ClickException("無法解開此帳號的兩步驟驗證金鑰：目前的 SECRET_KEY 或 DATA_ENCRYPTION_KEYS "
                                       "與建立示範資料時不同（例如 instance/secret_key 換過）。請改回原金鑰，"
                                       "或重建示範資料庫後再執行 seed-demo。")
        code = next_totp_code(user)
        if code is None:
            raise click.ClickException("這 30 秒內的驗證碼都已使用過，請稍候 30 秒再執行。")
        click.echo(code)

    @app.cli.command("reseal")
    def reseal_command():
        """Seal the stored TOTP secrets again with the first key of DATA_ENCRYPTION_KEYS (key rotation)."""
        count = reseal_totp_secrets()
        db.session.commit()
        click.echo(f"已以新金鑰重新加密 {count} 組兩步驟驗證金鑰。")

    app.cli.add_command(seed_scale)
    app.cli.add_command(retention_purge)

    @app.cli.command("seed-reference")
    def seed_reference():
        """Load only the reference data (counties, districts, units, ministry, partners)."""
        counts = seed_reference_data()
        db.session.commit()
        click.echo(counts)

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--name", default="系統管理者")
    @click.password_option()
    def create_admin(username, name, password):
        """Create a system administrator (the way in on a new production install)."""
        problems = policy_problems(password, username=username, min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        if problems:
            raise click.ClickException(" ".join(problems))
        if db.session.scalars(sa.select(User).where(User.username == username.lower())).first():
            raise click.ClickException(f"帳號 {username} 已存在")
        db.session.add(User(username=username.lower(), display_name=name, password_hash=hash_password(password),
                            is_sysadmin=True))
        db.session.commit()
        click.echo(f"已建立系統管理者 {username}")

    @app.cli.command("escalate-disputes")
    def escalate_disputes():
        """Send disputes left unanswered past their deadline to the county arbiter (run daily, e.g. from cron)."""
        with tenancy.all_tenants("daily sweep of unanswered disputes in every county"):
            count = escalate_silent()
        db.session.commit()
        click.echo(f"送縣市裁決：{count} 件")

    @app.cli.command("targets-snapshot")
    @click.option("--force", is_flag=True, help="Recompute finished periods too (normally kept).")
    def targets_snapshot(force):
        """Compute the target board's snapshot for every county (run nightly, e.g. from cron at 02:00)."""
        county_ids = list(db.session.scalars(sa.select(County.id).order_by(County.id)))
        count = run_snapshot(county_ids, force=force)
        db.session.commit()
        click.echo(f"目標看板快照：{len(county_ids)} 縣市，計算 {count:,} 筆")

    @app.cli.command("rebuild-search-index")
    @click.option("--tenant-id", type=int, default=None, help="Only this county (counties.id); default every county.")
    def rebuild_search_index(tenant_id):
        """Regenerate the case search grams from the members and cases (after bulk loads by SQL)."""
        count = rebuild(db.session.connection(), tenant_id)
        db.session.commit()
        click.echo(f"已重建案家搜尋索引：{count:,} 筆")

    @app.cli.command("backup")
    @click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("backups"),
                  show_default=True)
    def backup_command(output_dir):
        """Dump the database (PDFs included) and write its manifest: row counts, checksums, PDF SHA-256."""
        with _backup_errors():
            dump, manifest_path, body = backup.backup(current_app.config["MIGRATIONS_DATABASE_URL"], output_dir)
        rows = sum(t["rows"] for t in body["tables"].values())
        click.echo(f"已備份：{dump}（{len(body['tables'])} 個資料表、{rows:,} 筆、{len(body['pdfs'])} 份 PDF）")
        click.echo(f"備份清單：{manifest_path}")
        for problem in body["problems"]:
            click.echo(f"注意：{problem}", err=True)

    @app.cli.command("restore")
    @click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--database-url", help="The empty database to restore into (default MIGRATIONS_DATABASE_URL).")
    def restore_command(dump, database_url):
        """Restore a backup into an empty database, then check it against the backup's manifest."""
        url = _target_url(database_url)
        with _backup_errors():
            backup.restore(dump, url)
            _, problems = backup.verify(dump.with_suffix(".manifest.json"), url)
        _report_verification(problems, f"已還原 {dump}")

    @app.cli.command("verify-backup")
    @click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--database-url", help="The database to check (default MIGRATIONS_DATABASE_URL).")
    def verify_backup(manifest, database_url):
        """Recompute row counts, checksums and PDF SHA-256 on a database and compare with a backup's manifest."""
        with _backup_errors():
            expected, problems = backup.verify(manifest, _target_url(database_url))
        _report_verification(problems, f"{len(expected['tables'])} 個資料表、{len(expected['pdfs'])} 份 PDF")

    def _target_url(database_url):
        """The database a restore or a check works on: the one given, else the app's (as its owner)."""
        return normalise_db_url(database_url) if database_url else current_app.config["MIGRATIONS_DATABASE_URL"]

    @contextmanager
    def _backup_errors():
        """A backup step's own failure (pg_dump missing, a non-empty target…) as the command's message."""
        try:
            yield
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc

    def _report_verification(problems, what):
        if problems:
            for problem in problems:
                click.echo(f"不符：{problem}", err=True)
            raise click.ClickException(f"驗證失敗：{len(problems)} 項不符")
        click.echo(f"{what}：筆數、檢查碼與 PDF SHA-256 全部相符")

    @app.cli.command("rq-worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    @click.option("--job-monitoring-interval", type=int, default=30, show_default=True,
                  help="Seconds between heartbeats of a running job; a job whose worker died is noticed "
                       "this long plus 60 seconds after its last heartbeat.")
    def rq_worker(burst, job_monitoring_interval):
        """Run an RQ worker for this app's queue (needs REDIS_URL)."""
        from rq import Worker  # lazy: only this command needs rq's worker (and only with REDIS_URL)

        if not current_app.config.get("REDIS_URL"):
            raise click.ClickException("REDIS_URL 未設定：沒有 Redis 時工作會直接在網頁程序中執行，不需要 worker。")
        worker = Worker([queue()], connection=redis_connection(), job_monitoring_interval=job_monitoring_interval)
        worker.work(burst=burst)
