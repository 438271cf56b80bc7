"""Races on PostgreSQL with real parallel connections (step 9): two dispatchers
deciding one report, two workers saving one case, two people answering one
referral, two items numbered in one meeting.

Each race runs the real service functions in two threads, each with its own app
context, so its own session and its own connection, started together by a
barrier after both have read the row. Every round asserts: exactly one winner,
the loser got the error its view turns into a clear Chinese message (the
version column's StaleDataError, or the domain error of a move no longer
allowed), the row holds the winner's write and nothing of the loser's, and the
history has exactly one new entry. Two items numbered at once must both be saved
with consecutive numbers.

The rows are committed (two connections cannot see one test transaction), so
``committed`` notes the highest id of every table before the test and deletes
everything above it afterwards, as the owner role."""
import os
import threading
import time
from collections import Counter as Tally
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.cases import services as cases
from app.cases.models import CaseEvent, CaseStatus, CaseTransition, CaseUnit, FamilyCase
from app.cases.reference import AssessmentOutcome
from app.core import tenancy
from app.core.sequences import Counter
from app.extensions import db as _db
from app.intake import services as intake
from app.intake.models import InvalidReason, Report, ReportStatus, ReportTransition
from app.intake.reference import ReportingChannel
from app.meetings import services as meetings
from app.meetings.models import ItemNumber, MeetingSeries, SeriesKind
from app.referrals import services as referrals
from app.referrals.models import DeclineReason, Referral, ReferralEvent, ReferralKind, ReferralStatus
from app.tenants.models import County, Unit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL); .ci/run provides it"),
]

ROUNDS = 10
TALLY: Tally = Tally()  # races × rounds, winners and losers seen (printed with -s)
ZHONGZHENG = "臺北市中正社會福利服務中心"
DV_CENTRE = "臺北市家庭暴力暨性侵害防治中心"


@pytest.fixture(scope="module", autouse=True)
def _print_tally():
    yield
    for key in sorted(TALLY):  # what the races saw, for the record (run with -s)
        print(f"{key}: {TALLY[key]}")


# --- Committed rows, removed afterwards --------------------------------------------------------

@pytest.fixture
def committed(app):
    """Lets a test commit; afterwards every row above the ids noted before is deleted and the
    counters are put back, on the owner's connection (no row-level security, no grants)."""
    owner = sa.create_engine(app.config["MIGRATIONS_DATABASE_URL"], poolclass=sa.pool.NullPool)
    tables = [t for t in _db.metadata.sorted_tables if list(t.primary_key.columns.keys()) == ["id"]
              and t.name != "audit_events"]  # append-only, even for the owner: its rows stay
    with owner.connect() as conn:
        marks = {t.name: conn.scalar(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))) for t in tables}
        counters = conn.execute(sa.select(Counter.__table__)).mappings().all()
    with app.app_context():
        taipei = _db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
        tenant = taipei.id
        _db.session.remove()
    yield tenant
    grams = _db.metadata.tables["case_search_grams"]
    with owner.begin() as conn:
        conn.execute(sa.delete(grams).where(grams.c.case_id > marks["family_cases"]))
        for table in reversed(tables):
            conn.execute(sa.delete(table).where(table.c.id > marks[table.name]))
        conn.execute(sa.delete(Counter.__table__))
        if counters:
            conn.execute(sa.insert(Counter.__table__), [dict(c) for c in counters])
    owner.dispose()


def _in(app, tenant, fn):
    """Run ``fn`` in a fresh app context (its own session) for the county, committing."""
    with app.app_context():
        try:
            with tenancy.tenant_scope(tenant):
                result = fn()
                _db.session.commit()
                return result
        finally:
            _db.session.remove()


def _user(username):
    return _db.session.scalars(sa.select(User).where(User.username == username)).one()


def _member(username, unit_name=None):
    user = _user(username)
    return user, next(m for m in user.memberships if unit_name is None or m.unit.name == unit_name)


def _unit(name):
    return _db.session.scalars(sa.select(Unit).where(Unit.name == name)).one()


LOST = (StaleDataError, intake.IntakeError, cases.CaseError, referrals.ReferralError, meetings.MeetingError)


def race(app, tenant, load, moves, *, hold=0.15):
    """Both threads ``load()`` (each on its own connection), meet at the barrier, then make their
    move, hold their row locks a moment and commit. Returns ``[(outcome, value), …]`` per thread:
    ("won", what the move returned) or ("lost", the exception)."""
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(index):
        with app.app_context():
            try:
                with tenancy.tenant_scope(tenant):
                    loaded = load()
                    barrier.wait(10)
                    value = moves[index](loaded)
                    _db.session.flush()
                    time.sleep(hold)
                    _db.session.commit()
                    results[index] = ("won", value)
            except LOST as exc:
                _db.session.rollback()
                results[index] = ("lost", exc)
            except Exception as exc:  # a deadlock, an IntegrityError: the test fails and says which
                _db.session.rollback()
                results[index] = ("error", exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(r is not None for r in results), "a thread did not finish"
    errors = [r[1] for r in results if r[0] == "error"]
    assert not errors, f"unexpected failure: {errors!r}"
    return results


def one_winner(results, name):
    outcomes = [r[0] for r in results]
    assert sorted(outcomes) == ["lost", "won"], f"{name}: {results!r}"
    winner = outcomes.index("won")
    TALLY[f"{name}: rounds"] += 1
    TALLY[f"{name}: won by {winner}"] += 1
    TALLY[f"{name}: loser got {type(results[1 - winner][1]).__name__}"] += 1
    return winner, results[1 - winner][1]


# --- Two dispatchers, one report ---------------------------------------------------------------

def _new_report(claimed_by: str | None = None):
    county = _db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
    district = next(d for d in county.districts if d.name == "中正區")
    report, _ = intake.receive(county, intake.ReportInput(
        district_id=district.id, concerns=["vulnerable_family"], narrative="兩位篩派案人員同時處理",
        persons=[intake.PersonInput(name="競爭測試", relation="child")]), ReportingChannel("36"))
    if claimed_by:
        intake.claim(report, _user(claimed_by))
    return report.id


INTAKE_MOVES = {
    "claim": lambda user: lambda r: intake.claim(r, _user(user)),
    "dispatch": lambda user: lambda r: intake.dispatch(r, _user(user), _unit(ZHONGZHENG), note="派案說明"),
    "screen_out": lambda user: lambda r: intake.screen_out(r, _user(user), InvalidReason.OUT_OF_SCOPE,
                                                           directed_to="長照管理中心", note="無效說明"),
    "refer": lambda user: lambda r: intake.refer(r, _user(user), "就業服務站", "轉介說明"),
}
INTAKE_RESULT = {"claim": ReportStatus.SCREENING, "dispatch": ReportStatus.DISPATCHED,
                 "screen_out": ReportStatus.SCREENED_OUT, "refer": ReportStatus.REFERRED}


@pytest.mark.parametrize("first,second,users,claimed", [
    ("claim", "claim", ("tpe.dispatch", "tpe.dsup"), None),           # two dispatchers take the same report
    ("dispatch", "screen_out", ("tpe.dispatch", "tpe.dispatch"), "tpe.dispatch"),  # the claimer's two windows
    ("refer", "dispatch", ("tpe.dispatch", "tpe.dispatch"), "tpe.dispatch"),
])
def test_two_dispatchers_deciding_one_report(app, committed, first, second, users, claimed):
    tenant = committed
    for _ in range(ROUNDS):
        report_id = _in(app, tenant, lambda: _new_report(claimed))
        before = _in(app, tenant, lambda: (
            _db.session.scalar(sa.select(sa.func.count(ReportTransition.id)).where(ReportTransition.report_id == report_id)),
            _db.session.scalar(sa.select(sa.func.count(FamilyCase.id))),
            _db.session.get(Report, report_id).version))
        moves = [INTAKE_MOVES[first](users[0]), INTAKE_MOVES[second](users[1])]
        results = race(app, tenant, lambda: _db.session.get(Report, report_id), moves)
        winner, error = one_winner(results, f"report {first}/{second}")
        assert isinstance(error, (StaleDataError, intake.IntakeError))
        won = (first, second)[winner]

        def check():
            report = _db.session.get(Report, report_id)
            assert report.status == INTAKE_RESULT[won]
            transitions = [t.to_status for t in report.transitions]
            assert len(transitions) == before[0] + 1 and transitions[-1] == INTAKE_RESULT[won]
            assert report.version > before[2]
            if won == "claim":
                assert report.claimed_by.username == users[winner]
            else:
                assert report.decided_by.username == users[winner]
                assert report.decision_note == {"dispatch": "派案說明", "screen_out": "無效說明", "refer": "轉介說明"}[won]
                # nothing of the loser's decision: no directed_to / referred_to / case of the other move
                assert (report.directed_to == "長照管理中心") == (won == "screen_out")
                assert (report.referred_to == "就業服務站") == (won == "refer")
                cases_now = _db.session.scalar(sa.select(sa.func.count(FamilyCase.id)))
                assert cases_now == before[1] + (1 if won == "dispatch" else 0)
                assert (report.case_id is not None) == (won == "dispatch")
        _in(app, tenant, check)


# --- Two workers, one case ---------------------------------------------------------------------

def _assigned_case():
    """A family case of 中正社福中心, assigned to 王淑芬 (tpe.sw1), being assessed."""
    report_id = _new_report("tpe.dispatch")
    report = _db.session.get(Report, report_id)
    case = intake.dispatch(report, _user("tpe.dispatch"), _unit(ZHONGZHENG))
    sup, sup_m = _member("tpe.sup")
    cases.assign(case, sup, sup_m, _user("tpe.sw1"))
    return case.id, case.version


def _household(username, address):
    def move(case):
        user, membership = _member(username)
        cases.update_household(case, user, membership, version=case.version, address=address, phone="02-2222-0000",
                               members={})
    return move


def _decide(username, outcome):
    def move(case):
        user, membership = _member(username)
        cases.decide(case, user, membership, outcome, note=f"{username} 的評估")
    return move


CASE_RACES = {
    "household/household": ([_household("tpe.sw1", "王淑芬寫的地址"), _household("tpe.sup", "督導寫的地址")],
                            ["王淑芬寫的地址", "督導寫的地址"]),
    "decide/decide": ([_decide("tpe.sw1", AssessmentOutcome.WELFARE_CONSULTATION),
                       _decide("tpe.sup", AssessmentOutcome.REFER_NETWORK)],
                      [AssessmentOutcome.WELFARE_CONSULTATION, AssessmentOutcome.REFER_NETWORK]),
    "decide/household": ([_decide("tpe.sw1", AssessmentOutcome.DUPLICATE_OR_ERROR),
                          _household("tpe.sup", "督導寫的地址")],
                         [AssessmentOutcome.DUPLICATE_OR_ERROR, "督導寫的地址"]),
}


@pytest.mark.parametrize("name", list(CASE_RACES))
def test_two_workers_saving_one_case(app, committed, name):
    tenant = committed
    moves, writes = CASE_RACES[name]
    for _ in range(ROUNDS):
        case_id, version = _in(app, tenant, _assigned_case)
        before = _in(app, tenant, lambda: (
            _db.session.scalar(sa.select(sa.func.count(CaseTransition.id)).where(CaseTransition.case_id == case_id)),
            _db.session.scalar(sa.select(sa.func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id))))
        results = race(app, tenant, lambda: _db.session.get(FamilyCase, case_id), moves)
        winner, error = one_winner(results, f"case {name}")
        assert isinstance(error, (StaleDataError, cases.CaseError))
        written = writes[winner]

        def check():
            case = _db.session.get(FamilyCase, case_id)
            assert case.version > version
            transitions = _db.session.scalar(sa.select(sa.func.count(CaseTransition.id)).where(CaseTransition.case_id == case_id))
            events = _db.session.scalar(sa.select(sa.func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id))
            assert events == before[1] + 1  # the winner's one timeline entry
            if not isinstance(written, AssessmentOutcome):
                assert case.address == written and case.status == CaseStatus.ASSESSING and case.outcome is None
                assert transitions == before[0]
            else:
                assert case.outcome == written and case.status == CaseStatus.NOT_OPENED
                assert case.address != "督導寫的地址" and transitions == before[0] + 1
        _in(app, tenant, check)


# --- Two people answering one referral --------------------------------------------------------

def _waiting_referral():
    case_id, _ = _assigned_case()
    case = _db.session.get(FamilyCase, case_id)
    sw, sw_m = _member("tpe.sw1")
    referral = referrals.send(case, sw, sw_m, kind=ReferralKind.UNIT, reason="疑似兒虐，請家防中心調查",
                              services_requested="保護調查", sections=["members"], to_unit=_unit(DV_CENTRE))
    return referral.id, case_id


REFERRAL_MOVES = {
    "accept": (("tpe.dv1", None), lambda u, m: lambda r: referrals.accept(r, u(), m(), served_by="黃雅婷"),
               ReferralStatus.IN_SERVICE),
    "decline": (("tpe.dvsup", None), lambda u, m: lambda r: referrals.decline(
        r, u(), m(), DeclineReason.NO_CAPACITY, "本月量能已滿"), ReferralStatus.DECLINED),
    "return": (("tpe.dvsup", None), lambda u, m: lambda r: referrals.return_for_information(
        r, u(), m(), "請補充家訪紀錄"), ReferralStatus.RETURNED),
    "withdraw": (("tpe.sw1", None), lambda u, m: lambda r: referrals.withdraw(r, u(), m(), "家屬已搬離"),
                 ReferralStatus.WITHDRAWN),
}


def _referral_move(name):
    (username, unit), make, _ = REFERRAL_MOVES[name]
    return make(lambda: _user(username), lambda: _member(username, unit)[1])


@pytest.mark.parametrize("first,second", [("accept", "decline"), ("accept", "return"), ("accept", "withdraw"),
                                          ("decline", "withdraw")])
def test_two_people_answering_one_referral(app, committed, first, second):
    tenant = committed
    dv_centre = _in(app, tenant, lambda: _unit(DV_CENTRE).id)
    for _ in range(ROUNDS):
        referral_id, case_id = _in(app, tenant, _waiting_referral)
        before = _in(app, tenant, lambda: _db.session.scalar(sa.select(sa.func.count(ReferralEvent.id)).where(
            ReferralEvent.referral_id == referral_id, ReferralEvent.kind == "status")))
        results = race(app, tenant, lambda: _db.session.get(Referral, referral_id),
                       [_referral_move(first), _referral_move(second)])
        winner, error = one_winner(results, f"referral {first}/{second}")
        assert isinstance(error, (StaleDataError, referrals.ReferralError))
        won = (first, second)[winner]

        def check():
            referral = _db.session.get(Referral, referral_id)
            assert referral.status == REFERRAL_MOVES[won][2]
            statuses = _db.session.scalars(sa.select(ReferralEvent.to_status).where(
                ReferralEvent.referral_id == referral_id, ReferralEvent.kind == "status").order_by(ReferralEvent.id)).all()
            assert len(statuses) == before + 1 and statuses[-1] == REFERRAL_MOVES[won][2].value
            assert (referral.served_by == "黃雅婷") == (won == "accept")
            assert (referral.decline_reason == DeclineReason.NO_CAPACITY) == (won == "decline")
            assert (referral.responded_at is not None) == (won in ("accept", "decline"))
            joined = _db.session.scalar(sa.select(sa.func.count(CaseUnit.id)).where(
                CaseUnit.case_id == case_id, CaseUnit.unit_id == dv_centre))
            assert joined == (1 if won == "accept" else 0)  # the loser's acceptance left no collaborator behind
        _in(app, tenant, check)


# --- Two items numbered in one meeting --------------------------------------------------------

def test_two_items_numbered_in_one_meeting(app, committed):
    tenant = committed

    def add(title):
        def move(loaded):
            meeting, unit_id = loaded
            return meetings.add_item_to_open_meeting(meeting, section=3, title=title, instruction="請追蹤",
                                                     lead_unit_ids=[unit_id]).id
        return move

    for round_no in range(ROUNDS):
        meeting_id, unit_id = _in(app, tenant, _draft_meeting(date(2026, 1, 5) + timedelta(days=round_no)))
        from app.meetings.models import Meeting

        results = race(app, tenant, lambda: (_db.session.get(Meeting, meeting_id), unit_id),
                       [add("甲社工的列管事項"), add("乙社工的列管事項")])
        assert [r[0] for r in results] == ["won", "won"], results
        TALLY["meeting add_item/add_item: rounds"] += 1
        TALLY["meeting add_item/add_item: both saved"] += 1

        def check():
            meeting = _db.session.get(Meeting, meeting_id)
            numbers = _db.session.scalars(sa.select(ItemNumber.number).where(
                ItemNumber.series_id == meeting.series_id).order_by(ItemNumber.number)).all()
            prefix = f"{meeting.held_on.year - 1911:03d}{meeting.held_on:%m%d}-3"
            assert numbers == [f"{prefix}-1", f"{prefix}-2"], numbers
            assert _db.session.scalar(sa.select(sa.func.count(MeetingSeries.id)).where(
                MeetingSeries.id == meeting.series_id)) == 1
        _in(app, tenant, check)




def _draft_meeting(day):
    def make():
        admin, admin_m = _member("tpe.admin")
        series = meetings.create_series(SeriesKind.HIGH_RISK, f"臺北市高危機網絡會議（競爭測試 {day.year - 1911}/{day.month:02d}/{day.day:02d}）", admin_m)
        return meetings.new_meeting(series, day).id, _unit(ZHONGZHENG).id
    return make


def test_an_item_arriving_while_the_minutes_are_finalised_waits_and_is_refused(app, committed):
    """Found by this race: the page checked the status, then added; an item could land in minutes
    already final. Now the meeting's row is locked and its status read again."""
    from app.meetings.models import ActionItem, Meeting, MeetingStatus

    tenant = committed

    def finalise(loaded):
        meetings.finalise(loaded[0], _user("tpe.admin"))

    def add_a_moment_later(loaded):
        time.sleep(0.05)  # the finalising has updated the row and holds it until its commit
        meeting, unit_id = loaded
        return meetings.add_item_to_open_meeting(meeting, section=3, title="晚到的事項", instruction="請追蹤",
                                                 lead_unit_ids=[unit_id])

    for round_no in range(ROUNDS):
        meeting_id, unit_id = _in(app, tenant, _draft_meeting(date(2026, 2, 2) + timedelta(days=round_no)))
        results = race(app, tenant, lambda: (_db.session.get(Meeting, meeting_id), unit_id),
                       [finalise, add_a_moment_later], hold=0.3)
        winner, error = one_winner(results, "meeting finalise/add_item")
        assert winner == 0 and isinstance(error, meetings.MeetingError) and "已確定" in str(error)

        def check():
            assert _db.session.get(Meeting, meeting_id).status == MeetingStatus.FINAL
            assert _db.session.scalar(sa.select(sa.func.count(ActionItem.id)).where(
                ActionItem.raised_at_id == meeting_id)) == 0
        _in(app, tenant, check)


def test_two_secretariats_finalising_one_meeting(app, committed):
    from app.meetings.models import Meeting

    tenant = committed
    for round_no in range(ROUNDS):
        meeting_id, _ = _in(app, tenant, _draft_meeting(date(2026, 4, 1) + timedelta(days=round_no)))
        results = race(app, tenant, lambda: _db.session.get(Meeting, meeting_id),
                       [lambda m: meetings.finalise(m, _user("tpe.admin")), lambda m: meetings.finalise(m, None)])
        winner, error = one_winner(results, "meeting finalise/finalise")
        assert isinstance(error, (StaleDataError, meetings.MeetingError))
        _in(app, tenant, lambda: _check_finalised_by(meeting_id, ("tpe.admin", None)[winner]))


def _check_finalised_by(meeting_id, username):
    from app.meetings.models import Meeting, MeetingStatus

    meeting = _db.session.get(Meeting, meeting_id)
    assert meeting.status == MeetingStatus.FINAL
    assert (meeting.finalised_by.username if meeting.finalised_by else None) == username


@pytest.mark.parametrize("typed", [None, 7])
def test_two_secretariats_creating_the_next_meeting(app, committed, typed):
    """Found by this race: both read the highest number, the second insert broke the unique
    (series, number) constraint (a 500). Now the series is locked: consecutive numbers, or, for a
    number typed twice, the second is told it exists."""
    from app.meetings.models import Meeting

    tenant = committed
    for round_no in range(ROUNDS):
        meeting_id, _ = _in(app, tenant, _draft_meeting(date(2026, 6, 1) + timedelta(days=round_no)))
        series_id = _in(app, tenant, lambda: _db.session.get(Meeting, meeting_id).series_id)
        create = [lambda s, d=d: meetings.new_meeting(s, d, number=typed).number
                  for d in (date(2026, 7, 1), date(2026, 7, 2))]
        results = race(app, tenant, lambda: _db.session.get(MeetingSeries, series_id), create)
        if typed is None:
            assert sorted(r[1] for r in results) == [2, 3], results
            TALLY["meeting new/new (next number): rounds, both saved"] += 1
        else:
            winner, error = one_winner(results, "meeting new/new (same typed number)")
            assert isinstance(error, meetings.MeetingError) and "第 7 次會議已存在" in str(error)
        numbers = _in(app, tenant, lambda: sorted(_db.session.scalars(
            sa.select(Meeting.number).where(Meeting.series_id == series_id))))
        assert numbers == ([1, 2, 3] if typed is None else [1, 7])


# --- The same races over HTTP: the loser's page says what happened ------------------------------

class _MeetAtFirstUpdate:
    """Holds each request's first UPDATE of ``table`` until the other request reaches its own:
    both have read the row by then, so both write from the same version. (Timing only: the
    requests run the real views, services and database.)"""

    def __init__(self, table):
        self.prefix = f"UPDATE {table} "
        self.barrier = threading.Barrier(2)
        self.local = threading.local()

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(self.prefix) and not getattr(self.local, "met", False):
            self.local.met = True
            try:
                self.barrier.wait(5)
            except threading.BrokenBarrierError:
                pass


def http_race(app, posts, table):
    """``posts``: two (client, url, form), sent at once. Returns the winner's index and the loser's page."""
    from sqlalchemy import event

    with app.app_context():
        engine = _db.engine
    meet = _MeetAtFirstUpdate(table)
    responses: list = [None, None]

    def run(index):
        client, url, form = posts[index]
        responses[index] = client.post(url, form)

    event.listen(engine, "before_cursor_execute", meet)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        event.remove(engine, "before_cursor_execute", meet)
    assert all(r is not None for r in responses)
    codes = sorted(r.status_code for r in responses)
    assert codes == [303, 409], codes
    loser = next(r for r in responses if r.status_code == 409)
    winner = next(i for i, r in enumerate(responses) if r.status_code == 303)
    return winner, loser.get_data(as_text=True)


def _clients(app, *usernames):
    from tests.support import log_in

    return [log_in(app, u) for u in usernames]


def test_two_dispatchers_claiming_over_http(app, committed):
    tenant = committed
    clients = _clients(app, "tpe.dispatch", "tpe.dsup")
    names = ("陳怡君", _in(app, tenant, lambda: _user("tpe.dsup").display_name))
    for _ in range(ROUNDS):
        report_id = _in(app, tenant, _new_report)
        winner, body = http_race(app, [(c, f"/intake/reports/{report_id}/claim", {}) for c in clients], "reports")
        TALLY["http report claim/claim: rounds"] += 1
        TALLY["http report claim/claim: loser got 409"] += 1
        TALLY[f"http report claim/claim: won by {winner}"] += 1
        assert f"此通報剛由 {names[winner]} 處理（目前：篩案中）" in body and "未儲存" in body
        _in(app, tenant, lambda: _check_claimed(report_id, ("tpe.dispatch", "tpe.dsup")[winner]))


def _check_claimed(report_id, username):
    report = _db.session.get(Report, report_id)
    assert report.status == ReportStatus.SCREENING and report.claimed_by.username == username
    assert [t.to_status for t in report.transitions] == [ReportStatus.RECEIVED, ReportStatus.SCREENING]


def test_two_workers_deciding_one_case_over_http(app, committed):
    tenant = committed
    clients = _clients(app, "tpe.sw1", "tpe.sup")
    outcomes = ("welfare_consultation", "refer_network")
    for _ in range(ROUNDS):
        case_id, _version = _in(app, tenant, _assigned_case)
        posts = [(c, f"/cases/{case_id}/decision", {"d-outcome": o, "d-note": f"第 {i} 人打的評估說明"})
                 for i, (c, o) in enumerate(zip(clients, outcomes))]
        winner, body = http_race(app, posts, "family_cases")
        TALLY["http case decide/decide: rounds"] += 1
        TALLY["http case decide/decide: loser got 409"] += 1
        TALLY[f"http case decide/decide: won by {winner}"] += 1
        assert "此案剛被其他人更新；您的內容尚未儲存" in body
        assert 'id="unsaved-input"' in body and f"第 {1 - winner} 人打的評估說明" in body

        def check():
            case = _db.session.get(FamilyCase, case_id)
            assert case.outcome == AssessmentOutcome(outcomes[winner]) and case.status == CaseStatus.NOT_OPENED
            notes = _db.session.scalars(sa.select(CaseTransition.reason).where(
                CaseTransition.case_id == case_id, CaseTransition.to_status == CaseStatus.NOT_OPENED)).all()
            assert len(notes) == 1 and f"第 {winner} 人打的評估說明" in notes[0]
        _in(app, tenant, check)


def test_accept_and_decline_of_one_referral_over_http(app, committed):
    tenant = committed
    accept, decline = _clients(app, "tpe.dv1", "tpe.dvsup")
    for _ in range(ROUNDS):
        referral_id, _case_id = _in(app, tenant, _waiting_referral)
        winner, body = http_race(app, [
            (accept, f"/referrals/{referral_id}/accept", {"ac-served_by": "受案者打的黃雅婷"}),
            (decline, f"/referrals/{referral_id}/decline", {"de-reason": "no_capacity", "de-comment": "督導打的不受案理由"}),
        ], "referrals")
        TALLY["http referral accept/decline: rounds"] += 1
        TALLY["http referral accept/decline: loser got 409"] += 1
        TALLY[f"http referral accept/decline: won by {winner}"] += 1
        now = ("受案服務中", "不受案")[winner]
        assert f"此轉介剛被他人更新（目前：{now}），您的操作未儲存" in body
        assert ("督導打的不受案理由" if winner == 0 else "受案者打的黃雅婷") in body

        def check():
            referral = _db.session.get(Referral, referral_id)
            assert referral.status == (ReferralStatus.IN_SERVICE, ReferralStatus.DECLINED)[winner]
            assert (referral.served_by == "受案者打的黃雅婷") == (winner == 0)
            assert (referral.closing_text == "督導打的不受案理由") == (winner == 1)
            assert _db.session.scalar(sa.select(sa.func.count(ReferralEvent.id)).where(
                ReferralEvent.referral_id == referral_id, ReferralEvent.kind == "status")) == 2
        _in(app, tenant, check)


def test_two_secretariats_finalising_over_http(app, committed):
    tenant = committed
    clients = _clients(app, "tpe.admin", "tpe.admin")
    for round_no in range(ROUNDS):
        meeting_id, _ = _in(app, tenant, _draft_meeting(date(2026, 9, 1) + timedelta(days=round_no)))
        winner, body = http_race(app, [(c, f"/meetings/{meeting_id}/finalise", {"confirm": "1"}) for c in clients], "meetings")
        TALLY["http meeting finalise/finalise: rounds"] += 1
        TALLY["http meeting finalise/finalise: loser got 409"] += 1
        assert "會議紀錄剛由" in body and "確定" in body
        _in(app, tenant, lambda: _check_finalised_by(meeting_id, "tpe.admin"))
