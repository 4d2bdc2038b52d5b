"""The settlement's pure part (domain/dmrv/settlement.py): exact kWh, what is taken out and
why, which HOLD findings a person must decide, and the settlement's digest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.settlement import SiteEnergy
from jcredit.domain.dmrv.settlement import digest
from jcredit.domain.dmrv.settlement import exclusions
from jcredit.domain.dmrv.settlement import finding_key
from jcredit.domain.dmrv.settlement import open_holds
from jcredit.domain.dmrv.settlement import period_bounds
from jcredit.domain.dmrv.settlement import settle

SITE = "JCP-000001/HH-0001"


def finding(rule: str, severity: Severity, *intervals: tuple[int, int],
            site: str | None = SITE) -> Finding:
    return Finding(rule, rule.lower(), severity, tuple(intervals), 100, {}, site)


def test_kwh_are_exact_and_every_site_is_named() -> None:
    energies = [SiteEnergy(SITE, "P1", "generation", 1_234_567, 10, 9),
                SiteEnergy(SITE, "P1", "export", 1_000_001, 10, 10),
                SiteEnergy(SITE, "P1", "import", 5, 10, 10),
                SiteEnergy(SITE, "P2", "generation", 1, 1, 1)]
    [quiet, site] = settle(energies, [SITE, "JCP-000001/HH-0000"])
    assert quiet.site == "JCP-000001/HH-0000" and quiet.generation_wh == 0
    assert (site.generation_wh, site.export_wh) == (1_234_568, 1_000_001)
    assert (site.readings, site.creditable) == (11, 10)
    assert site.inputs() == {"e_gen_kwh": "1234.568", "e_export_kwh": "1000.001"}
    assert site.generation_kwh == Decimal("1234.568") and site.activity == "HH-0001"


def test_blocks_always_and_holds_only_when_rejected_are_taken_out() -> None:
    block = finding("R07", Severity.BLOCK, (0, 1800), (3600, 5400))
    hold = finding("R12", Severity.HOLD, (7200, 9000))
    flag = finding("R09", Severity.FLAG, (9000, 10800))
    undecided = exclusions([block, hold, flag])
    assert [(x.start, x.end, x.reason) for x in undecided] == [(0, 1800, "BLOCK"),
                                                                (3600, 5400, "BLOCK")]
    rejected = exclusions([block, hold, flag], {finding_key(hold): True})
    assert [(x.start, x.rule_id, x.reason) for x in rejected][-1] == (7200, "R12",
                                                                       "HOLD rejected")
    accepted = exclusions([hold], {finding_key(hold): False})
    assert accepted == []
    anonymous = exclusions([finding("R07", Severity.BLOCK, (0, 60), site=None)], site="X/1")
    assert anonymous[0].site == "X/1"
    [one] = settle([], [SITE], rejected)[:1]
    assert len(one.excluded) == 3


def test_a_hold_inside_blocks_is_not_for_a_person() -> None:
    block = finding("R07", Severity.BLOCK, (0, 1800), (1800, 3600))
    inside = finding("R12", Severity.HOLD, (600, 3000))
    astride = finding("R06", Severity.HOLD, (3000, 4000))
    elsewhere = finding("R12", Severity.HOLD, (0, 1800), site="JCP-000001/HH-0002")
    excluded = exclusions([block])
    assert open_holds([block, inside, astride, elsewhere], excluded) == [astride, elsewhere]


def test_bounds_keys_and_digest() -> None:
    assert period_bounds(date(2026, 4, 1), date(2026, 4, 1)) == (1774969200, 1775055600)
    assert finding_key(finding("R12", Severity.HOLD, (5, 6), (7, 8))) == f"{SITE}|R12|5"
    assert finding_key(finding("R12", Severity.HOLD, site=None), "A/B") == "A/B|R12|0"
    body = {"sites": [1], "totals": {"x": "1"}}
    assert digest(body) == digest(body | {"sha256": "anything"})
    assert digest(body) != digest(body | {"totals": {"x": "2"}})
    assert len(digest(body)) == 64
