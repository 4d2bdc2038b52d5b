"""Demo data for a first look: organisations, accounts, credits, a transfer, an invalidation.

Seeded once into an empty registry by ``scripts/serve``; the logins are printed at start-up.
The 法人番号 are well-formed (valid check digits) but belong to no real company.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.identifiers import corporate_number_check_digit
from jcredit.service_layer import commands as c
from jcredit.service_layer.handlers.invalidations import JST


def demo_corporate_number(base12: str) -> str:
    return f"{corporate_number_check_digit(base12)}{base12}"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    organisation: str


DEMO_PASSWORD = "jcredit-demo-2026"

ORGS = (
    ("株式会社みどり電力", demo_corporate_number("010001099001"), ("環境推進部", "調達部")),
    ("山林組合ひのき森林株式会社", demo_corporate_number("020002099002"), ("森林経営部",)),
    ("株式会社カーボン商事", demo_corporate_number("030003099003"), ("サステナビリティ推進室",)),
)


def is_seeded(registry: Registry) -> bool:
    with registry.uow(write=False) as uow:
        return bool(uow.organisations.list())


def seed_demo(registry: Registry) -> list[DemoLogin]:
    """Seed the demo registry (idempotent: a registry with organisations is left as it is)."""
    logins = [
        DemoLogin("admin", DEMO_PASSWORD, "ADMIN", "J-クレジット制度事務局"),
        DemoLogin("auditor", DEMO_PASSWORD, "AUDITOR", "-"),
        DemoLogin("midori", DEMO_PASSWORD, "HOLDER", ORGS[0][0]),
        DemoLogin("hinoki", DEMO_PASSWORD, "HOLDER", ORGS[1][0]),
        DemoLogin("shoji", DEMO_PASSWORD, "HOLDER", ORGS[2][0]),
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
    for login, (_, number, _) in zip(logins[2:], ORGS, strict=True):
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
        fiscal_year=fiscal_year_of(today)))
    run(c.ExecuteInvalidations(application_ids=(application["id"],), confirm=True))
    run(c.ApplyInvalidation(
        from_account=midori, quantity=50, use="RE100",
        purpose_details="RE100 年次報告 (Scope 2 電力)", credit_user_name=ORGS[0][0],
        credit_user_corporate_number=ORGS[0][1], fiscal_year=fiscal_year_of(today)))
    return logins
