"""Demo data for a first look: organisations, accounts, credits, a transfer, an invalidation.

Seeded once into an empty registry by ``scripts/serve``; the logins are printed at start-up.
The 法人番号 are well-formed (valid check digits) but belong to no real company.

Development (and the test suite) only: the demo logins share a published password, so a
production registry refuses them; its first administrator comes from
``jcredit user create-admin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import TYPE_CHECKING
from typing import Any

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.cases.seed import seed_cases
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.identifiers import corporate_number_check_digit
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.handlers.invalidations import JST

if TYPE_CHECKING:  # the simulator (pvlib) is imported only when a fleet is seeded
    from jcredit.adapters.dmrv.simulator import Fleet


def demo_corporate_number(base12: str) -> str:
    return f"{corporate_number_check_digit(base12)}{base12}"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    organisation: str


DEMO_PASSWORD = "demo-registry-2026"  # passes the password policy (domain/passwords.py)

ORGS = (
    ("株式会社みどり電力", demo_corporate_number("010001099001"), ("環境推進部", "調達部")),
    ("山林組合ひのき森林株式会社", demo_corporate_number("020002099002"), ("森林経営部",)),
    ("株式会社カーボン商事", demo_corporate_number("030003099003"), ("サステナビリティ推進室",)),
)


OPERATOR_ORG = ("ぎふ太陽光プログラム株式会社", demo_corporate_number("040004099004"),
                ("プログラム口座",))
VERIFIER_ORG = ("一般財団法人 日本温室効果ガス審査センター", demo_corporate_number("050005099005"))


def is_seeded(registry: Registry) -> bool:
    with registry.uow(write=False) as uow:
        return bool(uow.organisations.list())


DEMO_ENVIRONMENTS = ("development", "test")


def refuse_demo_outside_development(environment: str) -> None:
    if environment not in DEMO_ENVIRONMENTS:
        raise PermissionDeniedError(
            f"demo data (logins with a published password) is for development only; this "
            f"registry runs in {environment}. Create the first administrator with "
            "`jcredit user create-admin USERNAME`",
            field="JCREDIT_ENVIRONMENT", valid=DEMO_ENVIRONMENTS)


def seed_demo(registry: Registry, *, fleet: bool = False) -> list[DemoLogin]:
    """Seed the demo registry (idempotent: a registry with organisations is left as it is).
    ``fleet``: also the programme's metered households and a month of their data
    (:func:`seed_demo_fleet`; ``jcredit serve`` and ``jcredit demo`` ask for it, most tests
    do not need it)."""
    refuse_demo_outside_development(registry.settings.environment)
    logins = [
        DemoLogin("admin", DEMO_PASSWORD, "ADMIN", "J-クレジット制度事務局"),
        DemoLogin("auditor", DEMO_PASSWORD, "AUDITOR", "-"),
        DemoLogin("midori", DEMO_PASSWORD, "HOLDER", ORGS[0][0]),
        DemoLogin("hinoki", DEMO_PASSWORD, "HOLDER", ORGS[1][0]),
        DemoLogin("shoji", DEMO_PASSWORD, "HOLDER", ORGS[2][0]),
        DemoLogin("taiyo", DEMO_PASSWORD, "OPERATOR", OPERATOR_ORG[0]),
        DemoLogin("shinsa", DEMO_PASSWORD, "VERIFIER", VERIFIER_ORG[0]),
        DemoLogin("iinkai", DEMO_PASSWORD, "COMMITTEE", "認証委員会"),
    ]
    if is_seeded(registry):
        return logins
    bus = registry.bus

    def run(command: c.Command) -> dict[str, Any]:
        return bus.handle(command, actor=SYSTEM_ACTOR).data

    accounts: dict[str, list[str]] = {}
    for name, number, departments in ORGS:
        run(c.CreateOrganisation(name=name, corporate_number=number))
        accounts[number] = [
            run(c.OpenAccount(organisation=number, account_name=d))["number"] for d in departments
        ]
    run(c.CreateUser(username="admin", password=DEMO_PASSWORD, role="ADMIN",
                     display_name="事務局 管理者"))
    run(c.CreateUser(username="auditor", password=DEMO_PASSWORD, role="AUDITOR",
                     display_name="監査人"))
    for login, (_, number, _) in zip(logins[2:5], ORGS, strict=True):
        run(c.CreateUser(username=login.username, password=DEMO_PASSWORD, role="HOLDER",
                         organisation=number, display_name=login.organisation))
    midori, midori_buying = accounts[ORGS[0][1]]
    hinoki = accounts[ORGS[1][1]][0]
    shoji = accounts[ORGS[2][1]][0]
    issues = (
        (midori, 1200, "JC", "ER", "RENEWABLE_POWER", "JCP-0101", "EN-R-002", "3.0", 2023),
        (midori, 800, "JCL", "ERL", "RENEWABLE_POWER", "JCP-0101", "EN-R-002", "3.0", 2024),
        (midori, 500, "JC", "ER", "ENERGY_SAVING", "JCP-0145", "EN-S-001", "2.1", 2024),
        (hinoki, 2000, "JC", "FM", "FOREST", "JCP-0210", "FO-001", "2.4", 2022),
        (hinoki, 300, "KC", "KC", "ENERGY_SAVING", "KC-0033", "EN-S-006", "1.0", 2012),
        (shoji, 150, "JC", "ER", "RENEWABLE_HEAT", "JCP-0312", "EN-R-001", "2.0", 2025),
    )
    for account, qty, scheme, ctype, category, project, meth, version, vintage in issues:
        run(c.IssueCredits(to_account=account, quantity=qty, scheme=scheme, credit_type=ctype,
                           category=category, project_id=project, methodology_id=meth,
                           methodology_version=version, vintage=vintage))
    run(c.TransferCredits(from_account=hinoki, to_account=shoji, quantity=400))
    run(c.TransferCredits(from_account=midori, to_account=midori_buying, quantity=100))
    today = registry.clock().astimezone(JST).date()
    application = run(c.ApplyInvalidation(
        from_account=shoji, quantity=120, use="OFFSET", offset_purpose="EVENT",
        purpose_details="環境フォーラム2026 の開催に伴うCO2排出量のオフセット",
        credit_user_name=ORGS[2][0], credit_user_corporate_number=ORGS[2][1],
        fiscal_year=fiscal_year_of(today), publish=True))
    run(c.ExecuteInvalidations(application_ids=(application["id"],), confirm=True))
    run(c.IssueOffsetCertificate(application_id=application["id"], quantity=100))
    seed_demo_offsets(registry)
    run(c.ApplyInvalidation(
        from_account=midori, quantity=50, use="RE100",
        purpose_details="RE100 年次報告 (Scope 2 電力)", credit_user_name=ORGS[0][0],
        credit_user_corporate_number=ORGS[0][1], fiscal_year=fiscal_year_of(today)))
    seed_demo_project(registry, run)
    # the projects the demo's credits come from, on the public list like any other
    demo_projects = (
        ("JCP-0101", ORGS[0], "静岡県浜松市", "屋根置き太陽光発電による系統電力の代替（デモ）",
         "2019/04/01", "EN-R-002 Ver.3.0"),
        ("JCP-0145", ORGS[0], "静岡県静岡市", "ボイラーの更新による燃料の削減（デモ）",
         "2020/04/01", "EN-S-001 Ver.2.1"),
        ("JCP-0210", ORGS[1], "岐阜県郡上市", "社有林における森林経営活動（デモ）",
         "2021/04/01", "FO-001 Ver.2.4"),
        ("KC-0033", ORGS[1], "岐阜県高山市", "照明のLED化（国内クレジットから移行、デモ）",
         "2010/04/01", "EN-S-006 Ver.1.0"),
        ("JCP-0312", ORGS[2], "愛知県豊田市", "木質バイオマスボイラーの導入（デモ）",
         "2023/04/01", "EN-R-001 Ver.2.0"))
    listed: tuple[dict[str, object], ...] = tuple({
        "no": no, "applied_at": started, "operator": f"{org[0]} {org[1]}", "location": place,
        "credit_buyer": f"{org[0]} {org[1]}", "summary": summary, "started_at": started,
        "methodology": methodology} for no, org, place, summary, started, methodology
        in demo_projects)
    run(c.ImportRegisteredProjects(rows=(*DEMO_REGISTERED, *listed)))
    seed_demo_cases(registry, application["id"])
    if fleet:
        seed_demo_fleet(registry)
    return logins


def seed_demo_cases(registry: Registry, offset_application: int) -> None:
    """The case search's demo: the cases the seed documents name (our words, in
    ``domain/cases/data/seed_cases.json``), entered and published by the secretariat, and
    カーボン商事's own case linking its forest project and its offset, waiting for review
    until the secretariat publishes it."""
    for case in seed_cases():
        done = registry.bus.handle(c.SubmitCase(case=case), actor=SYSTEM_ACTOR).data
        registry.bus.handle(c.ReviewCase(case_id=done["id"], decision="PUBLISH"),
                            actor=SYSTEM_ACTOR)
    with registry.uow(write=False) as uow:
        user = uow.users.by_username("shoji")
    assert user is not None
    holder = Actor(name=user.username, role=user.role, user_id=user.id,
                   organisation_id=user.organisation_id)
    own = registry.bus.handle(c.SubmitCase(case={
        "kind": "UTILISATION", "title": "環境フォーラムの開催に伴うCO2を森林クレジットでオフセット",
        "organisation": ORGS[2][0], "corporate_number": ORGS[2][1], "prefecture": "愛知県",
        "category": "FOREST", "uses": ["OFFSET"], "offset_purpose": "EVENT",
        "method": "EVENT", "mark": True, "start_year": 2026, "end_year": 2026,
        "summary": "環境フォーラムの会場・移動・配布物に伴うCO2を算定し、岐阜県の社有林から"
                   "創出された森林クレジットで会議・イベントのオフセットを行った（デモ）。\n\n"
                   "参加者にはオフセット証明書を配り、QRコードから登録簿で確かめられるようにした。",
        "projects": ["JCP-0210"], "invalidations": [offset_application]}),
        actor=holder).data
    registry.bus.handle(c.ReviewCase(case_id=own["id"], decision="PUBLISH"),
                        actor=SYSTEM_ACTOR)


# A few rows of the official public project list (forest projects, as published at
# https://japancredit.go.jp/project/index.php?method=FO), for the public project list.
DEMO_REGISTERED: tuple[dict[str, object], ...] = (
    {"no": "10", "applied_at": "2013/12/27", "operator": "中標津町 9000020016926",
     "location": "北海道標津郡中標津町", "credit_buyer": "中標津町 9000020016926",
     "summary": "町有林における森林経営活動", "started_at": "2013/4/1",
     "methodology": "FO-001 Ver.2.0"},
    {"no": "34", "applied_at": "2014/03/24", "operator": "山長林業株式会社 4170001008963",
     "location": "和歌山県田辺市", "credit_buyer": "山長林業株式会社 4170001008963",
     "summary": "私有林における森林経営活動", "started_at": "2013/4/1",
     "methodology": "FO-001 Ver. 2.0"},
    {"no": "103", "applied_at": "2016/02/22", "operator": "長野県 1000020200000",
     "location": "長野県南佐久郡小海町、諏訪郡下諏訪町、佐久市、下伊那郡阿智村",
     "credit_buyer": "長野県 1000020200000", "summary": "県有林における森林経営活動",
     "started_at": "2015/4/1", "methodology": "FO-001 Ver. 3.1"},
    {"no": "219", "applied_at": "2019/08/21", "operator": "美深町 8000020014699",
     "location": "北海道中川郡美深町", "credit_buyer": "美深町 8000020014699",
     "summary": "町有林における森林経営活動", "started_at": "2019/4/1",
     "methodology": "FO-001ver 4.1"},
    {"no": "243", "applied_at": "2021/01/28", "operator": "国立大学法人 東京大学 5010005007398",
     "location": "千葉県君津市", "credit_buyer": "国立大学法人 東京大学 5010005007398",
     "summary": "大学演習林における森林経営活動", "started_at": "2020/6/15",
     "methodology": "FO-001Ver 2.4"},
)


def seed_demo_offsets(registry: Registry) -> None:
    """The offsets pages' demo (docs/offsets.md): カーボン商事 saved a meeting's calculation
    (a shareable link) that it has not offset yet."""
    with registry.uow(write=False) as uow:
        user = uow.users.by_username("shoji")
    assert user is not None
    holder = Actor(name=user.username, role=user.role, user_id=user.id,
                   organisation_id=user.organisation_id)
    registry.bus.handle(c.SaveOffsetCalculation(
        kind="MEETING", title="脱炭素セミナー2026", inputs={
        "participants": 80, "prefecture": "愛知県",
        "venue": {"building_type": "HALL", "floor_area_class": "M", "room_area_m2": "300",
                  "hours": "4"},
        "online": {"participants": 40, "hours": "4"},
        "travel": [{"mode": "RAIL", "people": 50, "origin_prefecture": "東京都"},
                   {"mode": "CAR", "people": 30, "km": "25"}],
        "accommodation_nights": 20, "meals": 80, "handout_sheets": 800, "waste_kg": "15"}),
        actor=holder)


DEMO_FLEET_SITES = 24
DEMO_FLEET_DAYS = 28
DEMO_FLEET_FAULTS = ("stuck_meter", "night_generation", "capacity_inflated",
                     "export_gt_generation", "clock_shift_9h", "register_reset",
                     "duplicate_batch", "conflicting_batch", "tampered_batch")


def seed_demo_fleet(registry: Registry) -> dict[str, Any]:
    """The demo programme's metered households (創出システム, docs/dmrv.md): 24 simulated
    households in 中部 with their meters registered, and the four weeks before today of their
    signed half-hourly data sent through the ingestion pipeline, a few of them with faults
    for the automatic checks to find (one site each; a tampered batch is refused, a
    conflicting one held)."""
    from jcredit.entrypoints.dmrv_fleet import ingest_fleet
    from jcredit.entrypoints.dmrv_fleet import register_fleet
    from jcredit.entrypoints.dmrv_fleet import summary

    with registry.uow(write=False) as uow:
        user = uow.users.by_username("taiyo")
    assert user is not None
    operator = Actor(name=user.username, role=user.role, user_id=user.id,
                     organisation_id=user.organisation_id)
    fleet = demo_fleet(registry.clock().astimezone(JST).date())
    register_fleet(registry, fleet, operator, "JCP-000001")
    return summary(ingest_fleet(registry, fleet))


def demo_fleet(today: date) -> Fleet:
    """The demo programme's simulated fleet as of ``today`` (Japan): the same households,
    data and faults every time for the same day (its ``labels`` say which site has which
    fault; the tests and screenshots pick their sites from them)."""
    from jcredit.adapters.dmrv.simulator import simulate_fleet

    fleet = simulate_fleet(sites=DEMO_FLEET_SITES, days=DEMO_FLEET_DAYS, seed=2026,
                           start=today - timedelta(days=DEMO_FLEET_DAYS + 1),
                           project="JCP-000001", region="chubu",
                           faults=DEMO_FLEET_FAULTS, fault_sites=1)
    fleet.form = "series"  # the compact form where a day's grid is regular
    return fleet


def seed_demo_project(registry: Registry, run: Any) -> None:
    """A programme-type PV project, registered, with its first period under verification."""
    name, number, departments = OPERATOR_ORG
    run(c.CreateOrganisation(name=name, corporate_number=number))
    account = run(c.OpenAccount(organisation=number, account_name=departments[0]))["number"]
    run(c.CreateOrganisation(name=VERIFIER_ORG[0], corporate_number=VERIFIER_ORG[1]))
    run(c.AccreditVerifier(organisation=VERIFIER_ORG[1], scopes=("EN-R", "EN-S", "FO")))
    users = {}
    for username, role, org, display in (("taiyo", "OPERATOR", number, name),
                                         ("shinsa", "VERIFIER", VERIFIER_ORG[1], VERIFIER_ORG[0]),
                                         ("iinkai", "COMMITTEE", None, "認証委員会 委員")):
        view = run(c.CreateUser(username=username, password=DEMO_PASSWORD, role=role,
                                organisation=org, display_name=display))
        users[username] = Actor(name=username, role=Role(role), user_id=view["id"],
                                organisation_id=view["organisation_id"])

    def act(user: str, command: c.Command) -> dict[str, Any]:
        return registry.bus.handle(command, actor=users[user]).data

    today = registry.clock().astimezone(JST).date()
    start = date(today.year - 1, 4, 1)
    project = act("taiyo", c.CreateProject(
        name="ぎふ家庭用太陽光 J-クレジット・プログラム", project_type="PROGRAMME",
        methodology="EN-R-002", holder_account=account, prefecture="岐阜県",
        address="岐阜県岐阜市薮田南2-1-1", start_date=start.isoformat(),
        monitoring_start=start.isoformat(),
        plan={"summary": "県内の家庭に設置された太陽光発電の自家消費分を取りまとめる"}))["number"]
    for i in range(12):
        act("taiyo", c.AddActivity(project=project, code=f"HH-{i + 1:03d}",
                                   address=f"岐阜県岐阜市長良福光{i + 1}-{i + 3}",
                                   operation_start=start.isoformat(),
                                   expected_tco2_per_year="1.4", household=True))
    act("taiyo", c.AssignVerifier(project=project, verifier=VERIFIER_ORG[1]))
    act("taiyo", c.ProjectTransition(project=project, action="submit_for_validation"))
    act("shinsa", c.ProjectTransition(project=project, action="complete_validation"))
    act("taiyo", c.ProjectTransition(project=project, action="apply_for_registration"))
    act("iinkai", c.ProjectTransition(project=project, action="register"))
    detail_start = max(today, start)
    period_end = date(detail_start.year + (1 if detail_start.month >= 4 else 0), 3, 31)
    act("taiyo", c.OpenMonitoringPeriod(project=project, period_start=detail_start.isoformat(),
                                        period_end=period_end.isoformat()))
    act("taiyo", c.SubmitMonitoringData(project=project, period=1, activities={
        f"HH-{i + 1:03d}": {"el_self_kwh": str(1400 + 35 * i)} for i in range(12)}))
    act("taiyo", c.PeriodTransition(project=project, period=1,
                                    action="submit_for_verification"))
