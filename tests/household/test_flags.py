"""Risk flags (風險預警): the campaign's rule engine over the household picture, rules as versioned data,
each flag with its facts; recomputed when new facts arrive (a report, another system's status sent or
withdrawn, a case ending), a worker told when their open case gains a 一級 flag; the screening queue
sorted and filtered by them while the dispatcher still decides."""
import itertools
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cases import services as cases
from app.cases.models import OPEN_STATUSES, FamilyCase
from app.cases.reference import AssessmentOutcome
from app.core import calendar, tenancy
from app.core.models import utcnow
from app.household import rules, services
from app.household.models import RiskFlag, RiskSubject
from app.intake import services as intake
from app.intake.models import OPEN_REPORT_STATUSES, Report, ReportStatus
from app.intake.reference import ReportingChannel
from app.referrals.models import Notification

P = intake.PersonInput
CENTRE = "臺北市中正社會福利服務中心"
FATHER_ID = "A120000016"
_refs = itertools.count(1)


@pytest.fixture
def taipei(factories):
    return factories.county("臺北市")


def receive(county, persons, concerns=("vulnerable_family",), days_ago=0, hours_ago=0):
    report, _ = intake.receive(county, intake.ReportInput(
        district_id=county.districts[0].id, concerns=list(concerns), narrative="預警測試", persons=persons,
        received_at=utcnow() - timedelta(days=days_ago, hours=hours_ago)), ReportingChannel("36"))
    return report


def stored(db, subject, subject_id):
    return {f.key: f for f in db.session.scalars(sa.select(RiskFlag).where(RiskFlag.subject == subject,
                                                                           RiskFlag.subject_id == subject_id))}


def test_the_risk_rules_are_versioned_data_in_the_campaigns_vocabulary():
    versions = services.rule_versions()
    assert versions and all(rules.validate(v) for v in versions)
    assert services.rules_in_force(date(2026, 12, 1))["version"] == versions[-1]["version"]
    used = {r["test"] for v in versions for level in ("level1", "level2") for r in v[level]}
    assert used <= set(rules.TESTS)
    with pytest.raises(rules.RulesError, match="不認得"):
        rules.validate({"kind": "flags", "level1": [{"code": "X", "label": "x", "test": "guess"}], "level2": []})


def test_the_engine_explains_each_flag_with_its_facts():
    on = date(2026, 12, 1)
    family = rules.Family(case_id=0, concerns=("ipv",), members=(
        rules.Member("mother", date(1990, 1, 1), name="甲媽媽"),
        rules.Member("child", date(2023, 1, 1), name="甲寶", source="個案 C1"),
        rules.Member("child", date(2015, 1, 1), flags=("disability",), name="甲哥", source="個案 C1",
                     placement_ended_on=on - timedelta(days=20), placement_source="個案 C1")),
        tipvda_at_receipt=10, tipvda_source="通報 R1", tipvda_on=on,
        listed=(rules.Listed("mental_health", "精神照護列管", "甲媽媽", date(2026, 1, 1)),),
        closings=((on - timedelta(days=100), "C0"),))
    flags = {f.key: f for f in rules.flags(family, services.rules_in_force(on), on)}
    assert set(flags) == {"1B", "1C", "2A", "2B", "2F", "AP"}
    assert flags["1C"].facts == (rules.Fact("甲媽媽：精神照護列管", "mental_health", date(2026, 1, 1)),)
    assert flags["2B"].facts[0].text == "甲哥：身心障礙" and flags["2B"].facts[0].source == "個案 C1"
    assert [f.text for f in flags["AP"].facts] == ["TIPVDA 10 分（> 8）", "甲寶（3 歲）"]
    assert flags["2F"].facts == (rules.Fact("個案 C0 結案", "個案紀錄", on - timedelta(days=100)),)


def test_a_status_sent_and_withdrawn_re_evaluates_and_the_worker_hears_of_a_first_level_flag(
        taipei, db, factories):
    dispatcher, sup, sw = (factories.user(u) for u in ("tpe.dispatch", "tpe.sup", "tpe.sw1"))
    centre = factories.unit(CENTRE)
    sup_m = next(m for m in sup.memberships if m.unit_id == centre.id)
    father = P("吳爸", "M", date(1985, 1, 1), id_number=FATHER_ID, relation="father")
    with tenancy.tenant_scope(taipei.id):
        report = receive(taipei, [father, P("吳妹", "F", date(2012, 1, 1), relation="child")])
        intake.claim(report, dispatcher)
        case = intake.dispatch(report, dispatcher, centre)
        cases.assign(case, sup, sup_m, sw)
        waiting = receive(taipei, [father])
        case_id, waiting_id = case.id, waiting.id
    db.session.commit()
    with tenancy.tenant_scope(taipei.id):
        assert stored(db, RiskSubject.CASE, case_id) == {} and stored(db, RiskSubject.REPORT, waiting_id) == {}
        services.record_external_status(source="suicide_prevention", source_ref="SP-1", status="listed",
                                        status_label="自殺防治列管", id_number=FATHER_ID, since=date(2026, 6, 1))
    db.session.commit()
    with tenancy.tenant_scope(taipei.id):
        flag = stored(db, RiskSubject.CASE, case_id)["1C"]
        assert flag.level == 1 and flag.facts == [{"text": "吳爸：自殺防治列管", "source": "suicide_prevention",
                                                   "on": "2026-06-01"}]
        assert "1C" in stored(db, RiskSubject.REPORT, waiting_id)
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == sw.id)).all()
    assert [n.url for n in notes if "一級風險預警" in n.text] == [f"/cases/{case_id}"]
    # sent again (same reference): nothing gained, nobody told twice
    with tenancy.tenant_scope(taipei.id):
        services.record_external_status(source="suicide_prevention", source_ref="SP-1", status="listed",
                                        status_label="自殺防治列管", id_number=FATHER_ID, since=date(2026, 6, 1))
    db.session.commit()
    assert sum("一級風險預警" in n.text for n in db.session.scalars(
        sa.select(Notification).where(Notification.user_id == sw.id))) == 1
    with tenancy.tenant_scope(taipei.id):
        services.withdraw_external_status(source="suicide_prevention", source_ref="SP-1", reason="解除列管")
    db.session.commit()
    with tenancy.tenant_scope(taipei.id):
        assert "1C" not in stored(db, RiskSubject.CASE, case_id)
        assert "1C" not in stored(db, RiskSubject.REPORT, waiting_id)


def test_a_rolled_back_change_computes_nothing(taipei, db):
    with tenancy.tenant_scope(taipei.id):
        services.record_external_status(source="mental_health", source_ref="RB-1", status="listed",
                                        id_number=FATHER_ID)
    db.session.rollback()
    assert services.PENDING_KEY not in db.session.info


def test_the_queue_sorts_first_level_first_and_filters_but_the_dispatcher_decides(taipei, db, factories, as_user):
    with tenancy.tenant_scope(taipei.id):
        plain = receive(taipei, [P("平安", "F", date(1980, 1, 1))], hours_ago=5)
        young = receive(taipei, [P("幼兒", "F", calendar.today() - timedelta(days=300), relation="child")], hours_ago=4)
        listed = receive(taipei, [P("列管", "M", date(1985, 1, 1), id_number=FATHER_ID)], hours_ago=1)
        services.record_external_status(source="mental_health", source_ref="Q-1", status="listed",
                                        status_label="精神照護列管", id_number=FATHER_ID)
        nos = {"plain": plain.report_no, "young": young.report_no, "listed": listed.report_no}
        listed_id = listed.id
    db.session.commit()
    dispatcher = as_user("tpe.dispatch")

    def order(url):
        page = dispatcher.get(url).text
        return [k for k, _ in sorted(((k, page.find(no)) for k, no in nos.items() if no in page), key=lambda x: x[1])]

    assert order("/intake/queue") == ["plain", "young", "listed"]  # by deadline (received first)
    assert order("/intake/queue?sort=risk") == ["listed", "young", "plain"]
    assert order("/intake/queue?risk=1") == ["listed"]
    assert order("/intake/queue?risk=2") == ["young"]
    assert order("/intake/queue?risk=none") == ["plain"]
    assert order("/intake/queue?risk=bogus") == ["plain", "young", "listed"]  # an unknown filter: all
    empty = dispatcher.get("/intake/queue?risk=1&due=overdue").text  # nothing matches: said so, not 「沒有通報」
    assert "沒有符合篩選條件（風險預警：有一級、只列已逾期）的通報；待處理共 3 件" in empty
    assert "目前沒有待篩派案的通報" not in empty
    page = dispatcher.get(f"/intake/reports/{listed_id}").text
    assert "一級C" in page and "精神照護列管" in page and "派案與否及理由仍由派案人員決定並紀錄" in page
    # the flags inform, the dispatcher decides: screening a flagged report out is still theirs, with their reason
    with tenancy.tenant_scope(taipei.id):
        report = db.session.get(Report, listed_id)
        intake.claim(report, factories.user("tpe.dispatch"))
        intake.refer(report, factories.user("tpe.dispatch"), "衛生局社區心理衛生中心", "已由衛生局追蹤")
        assert report.status == ReportStatus.REFERRED and report.referred_to == "衛生局社區心理衛生中心"
    db.session.commit()
    with tenancy.tenant_scope(taipei.id):
        assert "1C" in stored(db, RiskSubject.REPORT, listed_id)  # a decided report keeps what the dispatcher saw


# --- Over random sequences of real actions, the stored flags are the flags computed from scratch --------

PEOPLE = [
    P("甲爸", "M", date(1984, 4, 4), id_number=FATHER_ID, relation="father"),
    P("甲媽", "F", date(1988, 8, 8), id_number="A203000005", relation="mother"),
    P("甲寶", "F", date(2023, 3, 3), relation="child"),
    P("甲妹", "F", date(2014, 1, 1), relation="child"),
]
SOURCES = ("mental_health", "suicide_prevention", "drug_control")

action = st.one_of(
    st.tuples(st.just("report"), st.sampled_from(["臺北市", "花蓮縣"]),
              st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True),
              st.sampled_from(["vulnerable_family", "child_protection", "ipv"])),
    st.tuples(st.just("dispatch"), st.integers(0, 20)),
    st.tuples(st.just("status"), st.sampled_from(["臺北市", "花蓮縣"]), st.integers(0, 3), st.sampled_from(SOURCES)),
    st.tuples(st.just("withdraw"), st.integers(0, 20)),
    st.tuples(st.just("end_case"), st.integers(0, 20)),
)


def _check_all(db, factories):
    for county_name in ("臺北市", "花蓮縣"):
        county = factories.county(county_name)
        with tenancy.tenant_scope(county.id):
            for report in db.session.scalars(sa.select(Report).where(Report.status.in_(OPEN_REPORT_STATUSES))):
                expected = {(f.key, tuple(x.as_dict()["text"] for x in f.facts))
                            for f in services.compute(RiskSubject.REPORT, report)}
                got = {(f.key, tuple(x["text"] for x in f.facts)) for f in stored(db, RiskSubject.REPORT, report.id).values()}
                assert got == expected, (report.report_no, got, expected)
            for case in db.session.scalars(sa.select(FamilyCase).where(FamilyCase.status.in_(OPEN_STATUSES))):
                expected = {(f.key, tuple(x.as_dict()["text"] for x in f.facts))
                            for f in services.compute(RiskSubject.CASE, case)}
                got = {(f.key, tuple(x["text"] for x in f.facts)) for f in stored(db, RiskSubject.CASE, case.id).values()}
                assert got == expected, (case.case_no, got, expected)
            # a county's flags never name another county's facts
            for flag in db.session.scalars(sa.select(RiskFlag)):
                assert flag.tenant_id == county.id
                for fact in flag.facts:
                    assert "花蓮" not in fact["source"] if county_name == "臺北市" else "臺北" not in fact["source"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(action, min_size=1, max_size=7))
def test_stored_flags_always_equal_flags_recomputed_from_scratch(db, factories, steps):
    units = {"臺北市": (factories.user("tpe.dispatch"), factories.unit(CENTRE)),
             "花蓮縣": (factories.user("hua.dispatch"), factories.unit("花蓮縣花蓮社會福利服務中心"))}
    sup = {"臺北市": factories.user("tpe.sup"), "花蓮縣": factories.user("hua.sup")}
    workers = {"臺北市": factories.user("tpe.sw1"), "花蓮縣": factories.user("hua.sw1")}
    sent = []
    for step in steps:
        kind = step[0]
        if kind == "report":
            county = factories.county(step[1])
            with tenancy.tenant_scope(county.id):
                receive(county, [PEOPLE[i] for i in step[2]], concerns=(step[3],))
        elif kind == "dispatch":
            with tenancy.all_tenants("test: pick an open report"):
                open_reports = db.session.scalars(sa.select(Report).where(
                    Report.status.in_(OPEN_REPORT_STATUSES)).order_by(Report.id)).all()
            if open_reports:
                report = open_reports[step[1] % len(open_reports)]
                county_name = "臺北市" if report.tenant_id == factories.county("臺北市").id else "花蓮縣"
                dispatcher, unit = units[county_name]
                with tenancy.tenant_scope(report.tenant_id):
                    intake.claim(report, dispatcher)
                    intake.dispatch(report, dispatcher, unit)
        elif kind == "status":
            county = factories.county(step[1])
            person = PEOPLE[step[2]]
            ref = f"H-{next(_refs)}"
            with tenancy.tenant_scope(county.id):
                services.record_external_status(source=step[3], source_ref=ref, status="listed",
                                                status_label=f"{step[3]} 列管", id_number=person.id_number,
                                                name=person.name, birth_date=person.birth_date)
            sent.append((county.id, step[3], ref))
        elif kind == "withdraw" and sent:
            county_id, source, ref = sent.pop(step[1] % len(sent))
            with tenancy.tenant_scope(county_id):
                services.withdraw_external_status(source=source, source_ref=ref, reason="解除")
        elif kind == "end_case":
            with tenancy.all_tenants("test: pick a case awaiting assignment"):
                waiting = db.session.scalars(sa.select(FamilyCase).where(
                    FamilyCase.status == "awaiting_assignment").order_by(FamilyCase.id)).all()
            if waiting:
                case = waiting[step[1] % len(waiting)]
                county_name = "臺北市" if case.tenant_id == factories.county("臺北市").id else "花蓮縣"
                supervisor = sup[county_name]
                sup_m = next(m for m in supervisor.memberships if m.unit_id == units[county_name][1].id)
                with tenancy.tenant_scope(case.tenant_id):
                    cases.assign(case, supervisor, sup_m, workers[county_name])
                    cases.decide(case, supervisor, sup_m, AssessmentOutcome.WELFARE_CONSULTATION, "諮詢")
        db.session.commit()
        _check_all(db, factories)
