"""Offsets through the bus (issue 15): calculation → offset with own credits → execution →
certificates that never claim the same tonnes twice; factor tables; the reporting table."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import DomainError
from jcredit.domain.errors import InvalidStateError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.service_layer import commands as c
from jcredit.service_layer import offset_queries
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from tests.conftest import Clock
from tests.conftest import issue
from tests.conftest import setup_two_orgs

HOLDER_A = Actor(name="a", role=Role.HOLDER, organisation_id=1)
HOLDER_B = Actor(name="b", role=Role.HOLDER, organisation_id=2)
MEETING = {"participants": 40, "prefecture": "東京都",
           "travel": [{"mode": "CAR", "people": 40, "km": "100"}],  # 8,000 pkm × 0.175
           "accommodation_nights": 20}  # × 31.5 = 630 kg → 1.4 + 0.63 = 2.03 t → 3 credits


def run(registry: Registry, command: c.Command, actor: Actor = SYSTEM_ACTOR) -> dict[str, Any]:
    return registry.bus.handle(command, actor=actor).data


def journal_size(registry: Registry) -> int:
    with registry.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM journal")).scalar_one())


def offset_args(acc: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"from_account": acc["a"], "subject": "2026年度 環境フォーラム",
            "credit_user_name": "株式会社エー", "fiscal_year": 2026} | extra


def test_meeting_to_certificate(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10, category="FOREST", credit_type="FM", project="P-FOREST")
    saved = run(registry, c.SaveOffsetCalculation(kind="MEETING", inputs=MEETING,
                                                  title="環境フォーラム"), HOLDER_A)
    assert saved["credits"] == 3 and Decimal(saved["total_t_co2"]) == Decimal("2.03")

    offset = run(registry, c.ApplyOffset(**offset_args(acc, calculation=saved["token"])),
                 HOLDER_A)
    assert offset["quantity"] == 3 and offset["offset_purpose"] == "EVENT"
    application_id = offset["application_id"]
    app = queries.application_detail(registry.uow(write=False).__enter__(), HOLDER_A,
                                      application_id)
    assert app["use"] == "OFFSET" and app["status"] == "PENDING"

    # the same calculation cannot be offset twice
    with pytest.raises(ConflictError) as twice:
        run(registry, c.ApplyOffset(**offset_args(acc, calculation=saved["token"])), HOLDER_A)
    assert twice.value.field == "calculation"

    # a certificate only after the secretariat executes
    with pytest.raises(InvalidStateError):
        run(registry, c.IssueOffsetCertificate(application_id=application_id), HOLDER_A)
    run(registry, c.ExecuteInvalidations(application_ids=(application_id,), confirm=True))

    main = run(registry, c.IssueOffsetCertificate(application_id=application_id,
                                                  quantity="2"), HOLDER_A)
    assert main["holder_name"] == "株式会社エー" and main["remaining"] == "1"
    donor = run(registry, c.IssueOffsetCertificate(application_id=application_id,
                                                   holder_name="参加者 山田", quantity="0.5",
                                                   third_party=True), HOLDER_A)
    assert donor["remaining"] == "0.5"
    before = journal_size(registry)
    with pytest.raises(ConflictError) as again:  # only 0.5 t left: 1 t is refused
        run(registry, c.IssueOffsetCertificate(application_id=application_id,
                                               holder_name="参加者 佐藤", quantity="1",
                                               third_party=True), HOLDER_A)
    assert again.value.field == "quantity" and journal_size(registry) == before
    with pytest.raises(PermissionDeniedError):  # another organisation's offset
        run(registry, c.IssueOffsetCertificate(application_id=application_id,
                                               quantity="0.5"), HOLDER_B)

    with registry.uow(write=False) as uow:
        public = offset_queries.certificate(uow, donor["token"])
        assert public["genuine"] and public["certified_on_offset"] == "2.5"
        assert public["holder_name"] == "参加者 山田" and public["invalidated"] == 3
        assert public["blocks"][0]["category"] == "FOREST"
        assert public["notice_number"].startswith("JCN-2026-")
        detail = offset_queries.offset_detail(uow, HOLDER_A, application_id)
        assert detail["uncertified"] == "0.5" and len(detail["certificates"]) == 2
        assert detail["calculation"]["credits"] == 3
        listed = offset_queries.offsets(uow, HOLDER_A)
        assert [(o["application_id"], o["subject"], o["certified"]) for o in listed] == [
            (application_id, "2026年度 環境フォーラム", "2.5")]
        assert offset_queries.offsets(uow, HOLDER_B) == []
    assert queries.check_ledger(registry.uow(write=False).__enter__()).ok


def test_offset_more_than_calculated_needs_confirmation(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    saved = run(registry, c.SaveOffsetCalculation(kind="MEETING", inputs=MEETING), HOLDER_A)
    before = journal_size(registry)
    with pytest.raises(ConfirmationRequiredError) as error:
        run(registry, c.ApplyOffset(**offset_args(acc, calculation=saved["token"],
                                                  quantity=5)), HOLDER_A)
    assert error.value.field == "quantity" and journal_size(registry) == before
    done = run(registry, c.ApplyOffset(**offset_args(acc, calculation=saved["token"],
                                                     quantity=5, confirm_excess=True)),
               HOLDER_A)
    assert done["quantity"] == 5 and done["warnings"]


@pytest.mark.parametrize(("extra", "field"), [
    ({"quantity": 11, "offset_purpose": "EVENT"}, "quantity"),  # more credits than held
    ({"quantity": 1, "offset_purpose": "PICNIC"}, "offset_purpose"),
    ({"quantity": 1, "subject": ""}, "subject"),
    ({"quantity": 1}, "offset_purpose"),  # without a calculation the type must be said
])
def test_bad_offsets_change_nothing(registry: Registry, extra: dict[str, Any], field: str
                                    ) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    before = journal_size(registry)
    with pytest.raises(DomainError) as error:
        run(registry, c.ApplyOffset(**offset_args(acc) | extra), HOLDER_A)
    fields = {e["field"] for e in error.value.errors or []} | {error.value.field}
    assert field in fields
    assert journal_size(registry) == before


def test_legacy_credits_cannot_serve_an_offset(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    legacy = issue(registry, acc["a"], 3, scheme="KC", credit_type="KC",
                   category="ENERGY_SAVING", vintage=2025)
    first = legacy["blocks"][0]["serials"] if "blocks" in legacy else legacy["serials"]
    with pytest.raises(ValidationError) as error:
        run(registry, c.ApplyOffset(**offset_args(acc, serials=first,
                                                  offset_purpose="EVENT")), HOLDER_A)
    assert error.value.field == "use" and "国内クレジット" in error.value.message
    with registry.uow(write=False) as uow:
        holdings = offset_queries.offset_holdings(uow, HOLDER_A, acc["a"])
    assert holdings["available"] == 0 and holdings["unusable"][0]["reason"]


def test_holdings_filter_by_prefecture_category_and_vintage(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 5, vintage=2023, project="P-1")
    issue(registry, acc["a"], 7, category="FOREST", credit_type="FM", vintage=2024,
          project="P-2")
    with registry.uow(write=False) as uow:
        every = offset_queries.offset_holdings(uow, HOLDER_A, acc["a"])
        forest = offset_queries.offset_holdings(uow, HOLDER_A, acc["a"], category="FOREST")
        old = offset_queries.offset_holdings(uow, HOLDER_A, acc["a"], vintage="2023")
        nowhere = offset_queries.offset_holdings(uow, HOLDER_A, acc["a"], prefecture="沖縄県")
        with pytest.raises(PermissionDeniedError):
            offset_queries.offset_holdings(uow, HOLDER_B, acc["a"])
    assert every["available"] == 12 and forest["available"] == 7 and old["available"] == 5
    assert nowhere["available"] == 0  # unregistered projects have no prefecture


def test_factor_table_versions_and_rerun(registry: Registry) -> None:
    setup_two_orgs(registry)
    saved = run(registry, c.SaveOffsetCalculation(kind="MEETING", inputs=MEETING), HOLDER_A)
    with pytest.raises(PermissionDeniedError):
        run(registry, c.PublishOffsetFactors(changes=({"key": "travel.CAR", "value": "0.13",
                                                        "source": "x"},), note="n"), HOLDER_A)
    published = run(registry, c.PublishOffsetFactors(
        changes=({"key": "travel.CAR", "value": "0.130", "confidence": "secondary",
                  "source": "MLIT FY2019 自家用乗用車 130 g/人km"},),
        note="car factor from MLIT FY2019"))
    assert published["version"] == 2 and published["changed"] == ["travel.CAR"]
    with registry.uow(write=False) as uow:
        calc = offset_queries.calculation(uow, saved["token"])
        assert calc["factor_version"] == 1 and calc["latest_version"] == 2
        # 8,000 pkm × 0.130 = 1,040 kg + 630 = 1.67 t → 2 credits
        assert Decimal(calc["rerun"]["total_t_co2"]) == Decimal("1.67")
        assert calc["rerun"]["credits"] == 2 and calc["result"]["credits"] == 3
        v1 = offset_queries.calculate(uow, "MEETING", MEETING, "1")
        assert v1["credits"] == 3
        tables = offset_queries.factor_tables(uow)
        assert [v["version"] for v in tables["versions"]] == [1, 2]
    with pytest.raises(ValidationError):  # a bad change publishes nothing
        run(registry, c.PublishOffsetFactors(changes=({"key": "travel.CAR", "value": "-1",
                                                        "source": "x"},), note="bad"))


def test_reporting_table_around_30_june(registry: Registry, clock: Clock) -> None:
    """Invalidations on both sides of 30 June: executed by 30 June 2026 one may count for
    FY2025; one executed on 1 July 2026 counts for FY2026 only."""
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 20)
    base = {"from_account": acc["a"], "use": "ONTAIHO_EMISSIONS",
            "purpose_details": "調整後温室効果ガス排出量", "credit_user_name": "株式会社エー"}
    clock.now = datetime(2026, 6, 20, 3, 0, tzinfo=UTC)
    june_back = run(registry, c.ApplyInvalidation(quantity=3, fiscal_year=2025, **base))
    june_current = run(registry, c.ApplyInvalidation(quantity=4, fiscal_year=2026, **base))
    late = run(registry, c.ApplyInvalidation(quantity=5, fiscal_year=2025, **base))
    clock.now = datetime(2026, 6, 30, 3, 0, tzinfo=UTC)  # 30 June JST
    run(registry, c.ExecuteInvalidations(application_ids=(june_back["id"],
                                                          june_current["id"]), confirm=True))
    clock.now = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)  # 1 July JST: FY2025 closed
    batch = run(registry, c.ExecuteInvalidations(confirm=True))
    assert [s["id"] for s in batch["skipped"]] == [late["id"]]  # too late for FY2025
    run(registry, c.WithdrawInvalidation(application_id=late["id"]))
    on_time = run(registry, c.ApplyInvalidation(quantity=5, fiscal_year=2026, **base))
    run(registry, c.ExecuteInvalidations(application_ids=(on_time["id"],), confirm=True))
    with pytest.raises(ValidationError):  # applying for FY2025 after 30 June is refused
        run(registry, c.ApplyInvalidation(quantity=1, fiscal_year=2025, **base))

    with registry.uow(write=False) as uow:
        fy2025 = offset_queries.reporting_table(uow, HOLDER_A, fiscal_year=2025)
        fy2026 = offset_queries.reporting_table(uow, HOLDER_A, fiscal_year=2026)
        other = offset_queries.reporting_table(uow, HOLDER_B, fiscal_year=2026)
    assert [(r["quantity"], r["executed_date"], r["carried_back"]) for r in fy2025["rows"]] \
        == [(3, "2026-06-30", True)]
    assert fy2025["rows"][0]["assignable_years"] == [2025, 2026]
    assert fy2025["rows"][0]["notice_number"].startswith("JCN-2026-")
    assert [(r["quantity"], r["executed_date"]) for r in fy2026["rows"]] == [
        (4, "2026-06-30"), (5, "2026-07-01")]
    assert fy2026["rows"][1]["assignable_years"] == [2026]
    assert fy2026["totals"] == [{"reporting_fiscal_year": 2026,
                                 "credit_user_name": "株式会社エー",
                                 "use": "ONTAIHO_EMISSIONS", "quantity": 9}]
    assert other["rows"] == []  # another organisation sees none of them


def test_an_empty_calculation_is_not_saved(registry: Registry) -> None:
    setup_two_orgs(registry)
    before = journal_size(registry)
    with pytest.raises(ValidationError) as error:
        run(registry, c.SaveOffsetCalculation(kind="MEETING", inputs={"participants": 10}),
            HOLDER_A)
    assert error.value.field == "inputs" and journal_size(registry) == before


def test_reporting_table_years_follow_each_uses_rule(registry: Registry, clock: Clock) -> None:
    """An offset in December may name the previous, current or next fiscal year; a 温対法
    invalidation only the current one: the table says so for each row."""
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    clock.now = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    offset = run(registry, c.ApplyOffset(**offset_args(acc, fiscal_year=2027, quantity=2,
                                                       offset_purpose="EVENT")), HOLDER_A)
    law = run(registry, c.ApplyInvalidation(
        from_account=acc["a"], quantity=1, use="ONTAIHO_EMISSIONS", purpose_details="温対法",
        credit_user_name="株式会社エー", fiscal_year=2026))
    with pytest.raises(ValidationError):  # 温対法 cannot name the next year
        run(registry, c.ApplyInvalidation(
            from_account=acc["a"], quantity=1, use="ONTAIHO_EMISSIONS",
            purpose_details="温対法", credit_user_name="株式会社エー", fiscal_year=2027))
    run(registry, c.ExecuteInvalidations(confirm=True))
    with registry.uow(write=False) as uow:
        rows = {r["application_id"]: r for r in
                offset_queries.reporting_table(uow, HOLDER_A)["rows"]}
    assert rows[offset["application_id"]]["reporting_fiscal_year"] == 2027
    assert rows[offset["application_id"]]["assignable_years"] == [2025, 2026, 2027]
    assert rows[law["id"]]["assignable_years"] == [2026] and rows[law["id"]]["reporting_law"]
    for row in rows.values():
        assert row["reporting_fiscal_year"] in row["assignable_years"]
