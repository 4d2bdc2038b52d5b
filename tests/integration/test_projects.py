"""A programme-type project from plan to issued credits, on SQLite and PostgreSQL.

The operator bundles 50 households with PV (EN-R-002), a 審査機関 validates, the committee
registers, two monitoring periods are verified, certified and issued, and the ledger check
passes. Wrong role, wrong state, missing input and inputs outside the methodology each get
a clear error and change nothing.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from fractions import Fraction as F
from typing import Any

import pytest

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import DomainError
from jcredit.domain.errors import InvalidStateError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from tests.conftest import race

OPERATOR_ORG = "7000012050002"
VERIFIER_ORG = "1180301018771"
HOUSEHOLDS = 50
FACTOR = F("0.434") / 1000  # SUBSTITUTE, FY2023 onwards [t-CO2/kWh]


class World:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        run = self.admin
        run(c.CreateOrganisation(name="ぎふ太陽光プログラム株式会社", corporate_number=OPERATOR_ORG))
        run(c.CreateOrganisation(name="一般財団法人 審査センター", corporate_number=VERIFIER_ORG))
        self.account = run(c.OpenAccount(organisation=OPERATOR_ORG,
                                         account_name="プログラム口座"))["number"]
        run(c.AccreditVerifier(organisation=VERIFIER_ORG, scopes=("EN-R",)))
        self.operator = self.user("operator", Role.OPERATOR, OPERATOR_ORG)
        self.verifier = self.user("verifier", Role.VERIFIER, VERIFIER_ORG)
        self.committee = self.user("committee", Role.COMMITTEE, None)
        self.secretariat = Actor(name="secretariat", role=Role.ADMIN)
        self.keys = 0

    def admin(self, cmd: c.Command) -> dict[str, Any]:
        return self.registry.bus.handle(cmd, actor=SYSTEM_ACTOR).data

    def user(self, name: str, role: Role, org: str | None) -> Actor:
        view = self.admin(c.CreateUser(username=name, password="amber kettle journey 57",
                                       role=role.value, organisation=org))
        return Actor(name=name, role=role, user_id=view["id"],
                     organisation_id=view["organisation_id"])

    def run(self, actor: Actor, cmd: c.Command) -> dict[str, Any]:
        self.keys += 1
        return self.registry.bus.handle(cmd, actor=actor, idempotency_key=f"k{self.keys}").data

    def journal_length(self) -> int:
        with self.registry.uow(write=False) as uow:
            return len(list(uow.journal.iterate()))


def create_programme(w: World) -> str:
    project = w.run(w.operator, c.CreateProject(
        name="岐阜県 家庭用太陽光 J-クレジット プログラム", project_type="PROGRAMME",
        methodology="EN-R-002", holder_account=w.account, prefecture="岐阜県",
        address="岐阜県岐阜市薮田南2-1-1", start_date="2025-06-01",
        monitoring_start="2026-12-01"))["number"]
    for i in range(HOUSEHOLDS):
        w.run(w.operator, c.AddActivity(
            project=project, code=f"HH-{i + 1:03d}", address=f"岐阜県岐阜市長良{i + 1}-1",
            operation_start="2025-06-01", expected_tco2_per_year="1.5", household=True))
    w.run(w.operator, c.AssignVerifier(project=project, verifier=VERIFIER_ORG))
    return project


def kwh(period: int, i: int) -> int:
    return 500 + i if period == 1 else 1500 + 10 * i


def test_programme_from_plan_to_issued_credits(registry: Registry,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(registry)
    project = create_programme(w)
    # validation, registration (the committee decides)
    w.run(w.operator, c.ProjectTransition(project=project, action="submit_for_validation"))
    validated = w.run(w.verifier, c.ProjectTransition(project=project,
                                                      action="complete_validation"))
    assert all(f["passed"] for f in validated["findings"])
    assert {"IN_JAPAN", "TWO_YEAR_RULE", "EQUIPMENT_AGE", "PROGRAMME_ACTIVITY_SIZE",
            "ADDITIONALITY", "CREDITING_PERIOD"} <= {f["check"] for f in validated["findings"]}
    w.run(w.operator, c.ProjectTransition(project=project, action="apply_for_registration"))
    registered = w.run(w.committee, c.ProjectTransition(project=project, action="register"))
    assert registered["crediting_period"] == {"start": "2026-12-01", "end": "2034-11-30",
                                              "years": 8, "capped": False}
    issued_total = 0
    for number, (start, end) in enumerate([("2026-12-01", "2027-03-31"),
                                           ("2027-04-01", "2028-03-31")], start=1):
        w.run(w.operator, c.OpenMonitoringPeriod(project=project, period_start=start,
                                                 period_end=end))
        data = {f"HH-{i + 1:03d}": {"el_self_kwh": str(kwh(number, i))}
                for i in range(HOUSEHOLDS)}
        w.run(w.operator, c.SubmitMonitoringData(project=project, period=number,
                                                 activities=data))
        w.run(w.operator, c.PeriodTransition(project=project, period=number,
                                             action="submit_for_verification"))
        w.run(w.verifier, c.PeriodTransition(project=project, period=number,
                                             action="complete_verification"))
        w.run(w.operator, c.PeriodTransition(project=project, period=number,
                                             action="apply_for_certification"))
        certified = w.run(w.committee, c.PeriodTransition(project=project, period=number,
                                                          action="certify"))
        total = sum(kwh(number, i) for i in range(HOUSEHOLDS)) * FACTOR
        (amount,) = certified["certified"]
        assert F(amount["total_tco2"]) == total
        assert amount["credits"] == int(total)  # rounded down once, after aggregation
        issued = w.run(w.secretariat, c.PeriodTransition(project=project, period=number,
                                                         action="issue"))
        (block,) = issued["blocks"]
        assert block["quantity"] == int(total)
        assert (block["scheme"], block["credit_type"], block["category"]) == (
            "JC", "ER", "RENEWABLE_POWER")
        assert block["vintage"] == (2026 if number == 1 else 2027)
        issued_total += block["quantity"]
    with registry.uow(write=False) as uow:
        check = queries.check_ledger(uow)
        account = queries.account_detail(uow, w.secretariat, w.account)
    assert check.ok, check.issues
    assert account["balance"] == issued_total
    # `jcredit ledger check` itself, on the same database
    from typer.testing import CliRunner

    from jcredit.entrypoints.cli.app import app

    monkeypatch.setenv("JCREDIT_DATABASE_URL", registry.settings.database_url)
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(registry.settings.data_dir))
    checked = CliRunner().invoke(app, ["ledger", "check"])
    assert checked.exit_code == 0 and "ledger OK" in checked.stdout, checked.output
    # nothing is issued twice for the same period
    with pytest.raises(InvalidStateError):
        w.run(w.secretariat, c.PeriodTransition(project=project, period=2, action="issue"))


def test_wrong_role_state_input_and_applicability_change_nothing(registry: Registry) -> None:
    w = World(registry)
    project = create_programme(w)

    def refused(actor: Actor, cmd: c.Command, error: type[DomainError], field: str | None = None
                ) -> None:
        before = w.journal_length()
        with pytest.raises(error) as raised:
            w.run(actor, cmd)
        if field is not None:
            assert raised.value.field == field, raised.value.message
        assert w.journal_length() == before

    # wrong role: the verifier cannot submit the operator's plan; the committee cannot edit
    refused(w.verifier, c.ProjectTransition(project=project, action="submit_for_validation"),
            PermissionDeniedError)
    # wrong state: registering a draft lists what is allowed
    refused(w.committee, c.ProjectTransition(project=project, action="register"),
            InvalidStateError, "action")
    # missing input and bad values
    refused(w.operator, c.AddActivity(project=project, code="HH-999", address="",
                                      operation_start="2025-06-01",
                                      expected_tco2_per_year="1"), ValidationError, "address")
    refused(w.operator, c.AddActivity(project=project, code="HH-998", address="岐阜県大垣市1",
                                      operation_start="2025-06-01",
                                      expected_tco2_per_year="500.5"),
            ValidationError, "expected_tco2_per_year")
    # double registration (same address written differently)
    refused(w.operator, c.AddActivity(project=project, code="HH-997", address="岐阜県 岐阜市長良１-1",
                                      operation_start="2025-06-01",
                                      expected_tco2_per_year="1"), ConflictError, "address")
    # an input the methodology does not have
    refused(w.operator, c.AddActivity(project=project, code="HH-996", address="岐阜県大垣市2",
                                      operation_start="2025-06-01", expected_tco2_per_year="1",
                                      inputs={"panel_colour": "blue"}),
            ValidationError, "inputs.panel_colour")
    # a 審査機関 of the same organisation is a conflict of interest
    w.admin(c.AccreditVerifier(organisation=OPERATOR_ORG, scopes=("EN-R",)))
    refused(w.operator, c.AssignVerifier(project=project, verifier=OPERATOR_ORG),
            ConflictError, "verifier")
    # register, then monitoring data outside the methodology's applicability
    w.run(w.operator, c.ProjectTransition(project=project, action="submit_for_validation"))
    w.run(w.verifier, c.ProjectTransition(project=project, action="complete_validation"))
    w.run(w.operator, c.ProjectTransition(project=project, action="apply_for_registration"))
    w.run(w.committee, c.ProjectTransition(project=project, action="register"))
    w.run(w.operator, c.OpenMonitoringPeriod(project=project, period_start="2026-12-01",
                                             period_end="2027-03-31"))
    refused(w.operator, c.SubmitMonitoringData(project=project, period=1, activities={
        "HH-001": {"e_gen_kwh": "100", "e_export_kwh": "150"}}), ValidationError,
        "activities.HH-001.inputs.e_export_kwh")
    refused(w.operator, c.SubmitMonitoringData(project=project, period=1, activities={
        "HH-001": {}}), ValidationError)
    refused(w.operator, c.PeriodTransition(project=project, period=1,
                                           action="submit_for_verification"), ConflictError)
    refused(w.operator, c.OpenMonitoringPeriod(project=project, period_start="2027-03-01",
                                               period_end="2027-06-30"), ConflictError,
            "period_start")
    with registry.uow(write=False) as uow:
        assert queries.check_ledger(uow).ok


def test_a_return_needs_a_comment_and_resubmission_goes_back(registry: Registry) -> None:
    w = World(registry)
    project = create_programme(w)
    w.run(w.operator, c.ProjectTransition(project=project, action="submit_for_validation"))
    with pytest.raises(ValidationError, match="comment"):
        w.run(w.verifier, c.ProjectTransition(project=project, action="return"))
    returned = w.run(w.verifier, c.ProjectTransition(project=project, action="return",
                                                     comment="HH-003 の設置日を確認してください"))
    assert returned["to_state"] == "RETURNED"
    back = w.run(w.operator, c.ProjectTransition(project=project, action="resubmit"))
    assert back["to_state"] == "VALIDATION"


def test_registration_is_refused_when_a_rule_fails(registry: Registry) -> None:
    w = World(registry)
    project = w.run(w.operator, c.CreateProject(
        name="古い設備", project_type="NORMAL", methodology="EN-S-006",
        holder_account=w.account, prefecture="岐阜県", address="岐阜県岐阜市1",
        start_date="2024-11-22", monitoring_start="2026-12-01",
        additionality={"investment_yen": "2999", "annual_income_yen": "1000"}))["number"]
    w.run(w.operator, c.AddActivity(project=project, code="SITE", address="岐阜県岐阜市本町1",
                                    operation_start="2024-11-22", expected_tco2_per_year="30"))
    w.admin(c.AccreditVerifier(organisation=VERIFIER_ORG, scopes=("EN-S-006",)))
    w.run(w.operator, c.AssignVerifier(project=project, verifier=VERIFIER_ORG))
    w.run(w.operator, c.ProjectTransition(project=project, action="submit_for_validation"))
    report = w.run(w.verifier, c.ProjectTransition(project=project,
                                                   action="complete_validation"))
    failed = {f["check"] for f in report["findings"] if not f["passed"]}
    assert failed == {"TWO_YEAR_RULE", "EQUIPMENT_AGE", "ADDITIONALITY"}
    with pytest.raises(ValidationError, match="TWO_YEAR_RULE"):
        w.run(w.operator, c.ProjectTransition(project=project, action="apply_for_registration"))


def test_decimal_inputs_are_never_floats(registry: Registry) -> None:
    w = World(registry)
    with pytest.raises(ValidationError) as raised:
        w.run(w.operator, c.CreateProject(
            name="x", project_type="NORMAL", methodology="EN-R-002", holder_account=w.account,
            prefecture="岐阜県", address="a", start_date="2026-01-01",
            monitoring_start="2026-12-01", crediting_years=8.0))
    assert raised.value.field == "crediting_years"
    assert Decimal  # the API and CLI pass numbers as text or exact JSON decimals


def test_the_2031_cap_is_applied_when_configured(sqlite_url: str, tmp_path: Any,
                                                  clock: Any) -> None:
    from datetime import date

    from jcredit.bootstrap import bootstrap
    from jcredit.config import Settings

    settings = Settings(database_url=sqlite_url, data_dir=tmp_path, environment="test",
                        crediting_period_cap=date(2031, 3, 31))
    registry = bootstrap(settings, clock=clock)
    try:
        w = World(registry)
        project = create_programme(w)
        w.run(w.operator, c.ProjectTransition(project=project, action="submit_for_validation"))
        w.run(w.verifier, c.ProjectTransition(project=project, action="complete_validation"))
        w.run(w.operator, c.ProjectTransition(project=project, action="apply_for_registration"))
        registered = w.run(w.committee, c.ProjectTransition(project=project, action="register"))
        assert registered["crediting_period"]["end"] == "2031-03-31"
        assert registered["crediting_period"]["capped"] is True
    finally:
        registry.dispose()


def test_similar_scheme_sites_are_refused_and_flagged_when_found_later(
        registry: Registry) -> None:
    w = World(registry)
    project = create_programme(w)
    imported = w.admin(c.ImportExternalRegistrations(scheme="県の太陽光補助制度", entries=(
        {"address": "岐阜県岐阜市長良3-1", "reference": "GIFU-PV-0003"},   # already HH-003
        {"address": "岐阜県関市1-1", "reference": "GIFU-PV-0999"})))
    assert imported["imported"] == 2 and imported["flagged"] == [f"{project}/HH-003"]
    secretariat = Actor(name="s", role=Role.ADMIN)
    with registry.uow(write=False) as uow:
        from jcredit.service_layer import project_queries

        detail = project_queries.project_detail(uow, secretariat, project)
        queue = project_queries.work_queue(uow, secretariat)
    assert detail["double_registration"][0]["activity"] == "HH-003"
    assert any(q["task"] == "double_registration" for q in queue)
    with pytest.raises(ConflictError, match="similar scheme"):
        w.run(w.operator, c.AddActivity(project=project, code="HH-100",
                                        address="岐阜県 関市１-１",
                                        operation_start="2025-06-01",
                                        expected_tco2_per_year="1"))


def test_ledger_check_ties_issued_periods_to_the_registry(registry: Registry) -> None:
    from sqlalchemy import update

    from jcredit.adapters.db import tables

    w = World(registry)
    project = create_programme(w)
    for actor, action in ((w.operator, "submit_for_validation"),
                          (w.verifier, "complete_validation"),
                          (w.operator, "apply_for_registration"), (w.committee, "register")):
        w.run(actor, c.ProjectTransition(project=project, action=action))
    w.run(w.operator, c.OpenMonitoringPeriod(project=project, period_start="2026-12-01",
                                             period_end="2027-03-31"))
    w.run(w.operator, c.SubmitMonitoringData(project=project, period=1, activities={
        f"HH-{i + 1:03d}": {"el_self_kwh": "3000"} for i in range(HOUSEHOLDS)}))
    for actor, action in ((w.operator, "submit_for_verification"),
                          (w.verifier, "complete_verification"),
                          (w.operator, "apply_for_certification"), (w.committee, "certify"),
                          (w.secretariat, "issue")):
        w.run(actor, c.PeriodTransition(project=project, period=1, action=action))
    with registry.uow(write=False) as uow:
        assert queries.check_ledger(uow).ok
    with registry.engine.begin() as connection:  # someone edits the link behind our back
        connection.execute(update(tables.period_issuances).values(quantity=1))
    with registry.uow(write=False) as uow:
        codes = {i.code for i in queries.check_ledger(uow).issues}
    assert {"ISSUED_NOT_CERTIFIED", "ISSUANCE_ATTRIBUTES"} <= codes


def register(w: World, project: str) -> None:
    for actor, action in ((w.operator, "submit_for_validation"),
                          (w.verifier, "complete_validation"),
                          (w.operator, "apply_for_registration"), (w.committee, "register")):
        w.run(actor, c.ProjectTransition(project=project, action=action))


def registered_with_monitored_period(w: World) -> str:
    """A registered programme whose 50 households reported 3,000 kWh each in period 1
    (2026-12-01 to 2027-03-31), ready for verification."""
    project = create_programme(w)
    register(w, project)
    w.run(w.operator, c.OpenMonitoringPeriod(project=project, period_start="2026-12-01",
                                             period_end="2027-03-31"))
    w.run(w.operator, c.SubmitMonitoringData(project=project, period=1, activities={
        f"HH-{i + 1:03d}": {"el_self_kwh": "3000"} for i in range(50)}))
    return project


def certify_and_issue(w: World, project: str, period: int) -> dict[str, Any]:
    for actor, action in ((w.operator, "submit_for_verification"),
                          (w.verifier, "complete_verification"),
                          (w.operator, "apply_for_certification"), (w.committee, "certify")):
        w.run(actor, c.PeriodTransition(project=project, period=period, action=action))
    return w.run(w.secretariat, c.PeriodTransition(project=project, period=period,
                                                   action="issue"))


def test_a_member_joining_a_registered_programme_gets_its_own_period(
        registry: Registry, clock: Any) -> None:
    from datetime import datetime

    w = World(registry)
    project = create_programme(w)
    register(w, project)
    clock.now = datetime(2027, 2, 1, 3, 0, tzinfo=UTC)  # two months later
    too_old = c.AddActivity(project=project, code="HH-099", address="岐阜県岐阜市加納1-1",
                            operation_start="2025-01-31", expected_tco2_per_year="1")
    with pytest.raises(ValidationError) as raised:
        w.run(w.operator, too_old)
    assert raised.value.field == "operation_start"
    joined = w.run(w.operator, c.AddActivity(
        project=project, code="HH-051", address="岐阜県岐阜市加納2-1",
        operation_start="2026-12-15", expected_tco2_per_year="1.5", household=True))
    assert (joined["crediting_start"], joined["crediting_end"]) == ("2027-02-01", "2035-01-31")
    w.run(w.operator, c.OpenMonitoringPeriod(project=project, period_start="2026-12-01",
                                             period_end="2027-03-31"))
    w.run(w.operator, c.SubmitMonitoringData(project=project, period=1, activities={
        "HH-001": {"el_self_kwh": "1210"}, "HH-051": {"el_self_kwh": "590"}}))
    with registry.uow(write=False) as uow:
        from jcredit.service_layer import project_queries

        period = project_queries.project_detail(uow, w.secretariat, project)["periods"][0]
    # HH-051 counts only from its own start: 59 of the period's 59 days from 1 February
    assert F(period["result"]["activities"]["HH-051"]["reduction_tco2"]) == 590 * FACTOR
    assert F(period["result"]["activities"]["HH-001"]["reduction_tco2"]) == 1210 * FACTOR


def test_a_forest_project_issues_fm_credits_over_16_years(registry: Registry) -> None:
    w = World(registry)
    w.admin(c.AccreditVerifier(organisation=VERIFIER_ORG, scopes=("FO",)))
    project = w.run(w.operator, c.CreateProject(
        name="ひのき森林経営プロジェクト", project_type="NORMAL", methodology="FO-001",
        holder_account=w.account, prefecture="岐阜県", address="岐阜県下呂市萩原町",
        start_date="1995-04-01", monitoring_start="2026-12-01", crediting_years=16,
        additionality={"exemption": "METHODOLOGY"}))["number"]
    w.run(w.operator, c.AddActivity(project=project, code="FOREST", address="岐阜県下呂市萩原町 林班1-5",
                                    operation_start="1995-04-01", expected_tco2_per_year="300"))
    w.run(w.operator, c.AssignVerifier(project=project, verifier=VERIFIER_ORG))
    register(w, project)
    w.run(w.operator, c.OpenMonitoringPeriod(project=project, period_start="2027-04-01",
                                             period_end="2028-03-31"))
    stands = [{"stand_id": "1-い-5", "species": "HINOKI", "age_years": "35",
               "volume_increment_m3": "400", "forest_type": "PLANTED",
               "managed_since_1990": True},
              {"stand_id": "1-ろ-2", "species": "SUGI", "age_years": "60",
               "volume_increment_m3": "90", "forest_type": "NATURAL", "protected": False}]
    w.run(w.operator, c.SubmitMonitoringData(project=project, period=1,
                                             activities={"FOREST": {"stands": stands}}))
    issued = certify_and_issue(w, project, 1)
    (block,) = issued["blocks"]
    expected = 400 * F("1.24") * F("1.26") * F("0.407") * F("0.51") * F(44, 12)  # ヒノキ > 20 yr
    assert block["quantity"] == int(expected)
    assert (block["scheme"], block["credit_type"], block["category"], block["vintage"]) == (
        "JC", "FM", "FOREST", 2027)
    with registry.uow(write=False) as uow:
        from jcredit.service_layer import project_queries

        detail = project_queries.project_detail(uow, w.secretariat, project)
        assert queries.check_ledger(uow).ok
    assert detail["crediting_end"] == "2042-11-30"  # 16 years from the monitoring start
    # Finding 17: the obligation runs 10 years past the crediting end; the last filing is
    # the 30 June before that day.
    assert detail["permanence"]["until"] == "2052-11-30"
    assert detail["permanence"]["last_filing"] == "2052-06-30"
    findings = detail["periods"][0]["result"]["activities"]["FOREST"]["findings"]
    assert any("STAND_NOT_PROTECTED" in f for f in findings)


def test_a_keidanren_participant_gets_jcl_erl_credits(registry: Registry) -> None:
    w = World(registry)
    w.admin(c.AccreditVerifier(organisation=VERIFIER_ORG, scopes=("EN-S",)))
    project = w.run(w.operator, c.CreateProject(
        name="工場照明のLED化", project_type="NORMAL", methodology="EN-S-006",
        holder_account=w.account, prefecture="岐阜県", address="岐阜県各務原市1",
        start_date="2026-01-15", monitoring_start="2026-12-01", keidanren=True,
        additionality={"investment_yen": "12000000", "subsidy_yen": "4000000",
                       "annual_income_yen": "2100000", "annual_running_cost_yen": "100000"}
    ))["number"]
    w.run(w.operator, c.AddActivity(project=project, code="PLANT", address="岐阜県各務原市工場1",
                                    operation_start="2026-01-15", expected_tco2_per_year="60",
                                    inputs={"p_bl_w": "64000", "p_pj_w": "25600"}))
    w.run(w.operator, c.AssignVerifier(project=project, verifier=VERIFIER_ORG))
    register(w, project)  # payback (12,000,000 − 4,000,000) / 2,000,000 = 4.0 years ≥ 3
    w.run(w.operator, c.OpenMonitoringPeriod(project=project, period_start="2027-04-01",
                                             period_end="2028-03-31"))
    w.run(w.operator, c.SubmitMonitoringData(project=project, period=1,
                                             activities={"PLANT": {"el_pj_kwh": "120000"}}))
    (block,) = certify_and_issue(w, project, 1)["blocks"]
    assert block["quantity"] == int(120000 * (F(64000, 25600) - 1) * FACTOR)  # 78.12 → 78
    assert (block["scheme"], block["credit_type"], block["category"]) == (
        "JCL", "ERL", "ENERGY_SAVING")
    assert block["methodology"] == "EN-S-006 v2.2"  # the version that computed it


def test_a_mistyped_activity_is_removed_and_added_again_before_registration(
        registry: Registry) -> None:
    w = World(registry)
    project = create_programme(w)
    removed = w.run(w.operator, c.RemoveActivity(project=project, code="hh-007",
                                                 reason="住所の誤り"))
    assert removed["removed"] is True and removed["address"] == "岐阜県岐阜市長良7-1"
    # the address is free again, corrected
    w.run(w.operator, c.AddActivity(project=project, code="HH-007", address="岐阜県岐阜市長良7-2",
                                    operation_start="2025-06-01", expected_tco2_per_year="1.5",
                                    household=True))
    with pytest.raises(NotFoundError):
        w.run(w.operator, c.RemoveActivity(project=project, code="HH-999"))
    with pytest.raises(PermissionDeniedError):
        w.run(w.verifier, c.RemoveActivity(project=project, code="HH-001"))
    register(w, project)
    with pytest.raises(ConflictError, match="REGISTERED"):
        w.run(w.operator, c.RemoveActivity(project=project, code="HH-001"))
    with registry.uow(write=False) as uow:
        journal = [e.command for e in uow.journal.iterate()]
    assert "project.remove_activity" in journal  # the journal keeps what was removed


def test_racing_registrations_of_one_site_register_it_once(registry: Registry) -> None:
    """Eight threads add the same household (written eight ways) at once: one wins."""
    w = World(registry)
    project = create_programme(w)
    spellings = [f"岐阜県{' ' * (i % 3)}大垣市{'１' if i % 2 else '1'}-1" for i in range(8)]

    def attempt(i: int) -> str:
        try:
            registry.bus.handle(c.AddActivity(
                project=project, code=f"RACE-{i}", address=spellings[i],
                operation_start="2025-06-01", expected_tco2_per_year="1"),
                actor=w.operator, idempotency_key=f"race-{i}")
            return "ok"
        except ConflictError:
            return "double"

    outcomes = race(attempt)
    assert sorted(outcomes) == ["double"] * 7 + ["ok"]
    with registry.uow(write=False) as uow:
        from jcredit.service_layer import project_queries

        detail = project_queries.project_detail(uow, w.secretariat, project)
    assert sum(a["code"].startswith("RACE-") for a in detail["activities"]) == 1


@pytest.mark.parametrize(("investments", "passed", "manual_review"), [
    (["ECOCUTE"], True, True),   # EcoCute alone: a person decides
    ([], False, False),          # 卒FIT needs an additional investment
    (["BATTERY"], True, False),
])
def test_post_fit_rule_wins_over_the_household_programme_exemption(
        sqlite_registry: Registry, investments: list[str], passed: bool,
        manual_review: bool) -> None:
    """Finding 15: the household-programme exemption waives only the payback test; a 卒FIT
    programme still needs its additional investment, and EcoCute alone is flagged."""
    w = World(sqlite_registry)
    project = w.run(w.operator, c.CreateProject(
        name="卒FIT 家庭用太陽光", project_type="PROGRAMME", methodology="EN-R-002",
        holder_account=w.account, prefecture="岐阜県", address="岐阜県岐阜市薮田南2-1-1",
        start_date="2025-06-01", monitoring_start="2026-12-01",
        additionality={"exemption": "POST_FIT_PV", "post_fit_investments": investments}))["number"]
    w.run(w.operator, c.AddActivity(
        project=project, code="HH-001", address="岐阜県岐阜市長良1-1",
        operation_start="2025-06-01", expected_tco2_per_year="1.5", household=True))
    w.run(w.operator, c.AssignVerifier(project=project, verifier=VERIFIER_ORG))
    w.run(w.operator, c.ProjectTransition(project=project, action="submit_for_validation"))
    report = w.run(w.verifier, c.ProjectTransition(project=project,
                                                   action="complete_validation"))
    [finding] = [f for f in report["findings"] if f["check"] == "ADDITIONALITY"]
    assert (finding["passed"], finding["manual_review"]) == (passed, manual_review)
    assert "卒FIT" in finding["message"]


def test_an_external_address_longer_than_its_column_is_refused_and_nothing_imported(
        registry: Registry) -> None:
    w = World(registry)
    with pytest.raises(ValidationError, match="at most 300 characters") as refused:
        w.admin(c.ImportExternalRegistrations(scheme="県の太陽光補助制度", entries=(
            {"address": "岐阜県関市1-1", "reference": "GIFU-PV-0001"},
            {"address": "岐阜県関市" + "あ" * 400, "reference": "GIFU-PV-0002"})))
    assert refused.value.field == "entries[1].address"
    with registry.uow(write=False) as uow:
        from jcredit.domain.projects.eligibility import site_key

        assert uow.projects.external_matches([site_key("岐阜県関市1-1")]) == {}
