"""The dossier's stratified random sample (domain/dmrv/sampling.py) and the verification
items (domain/dmrv/verification_items.py)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from jcredit.domain.dmrv.sampling import SiteFacts
from jcredit.domain.dmrv.sampling import allocate
from jcredit.domain.dmrv.sampling import default_size
from jcredit.domain.dmrv.sampling import stratified_sample
from jcredit.domain.dmrv.verification_items import MAX_PERSON_ITEMS
from jcredit.domain.dmrv.verification_items import for_person
from jcredit.domain.dmrv.verification_items import items


def fleet(n: int) -> list[SiteFacts]:
    return [SiteFacts(f"JCP-000001/HH-{i:04d}", Decimal(3 + i % 9), ("http", "mqtt")[i % 2])
            for i in range(n)]


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 50), min_size=1),
       st.integers(0, 60))
def test_an_allocation_takes_the_total_and_never_more_than_a_stratum_holds(
        sizes: dict[str, int], total: int) -> None:
    out = allocate(sizes, min(total, sum(sizes.values())))
    assert sum(out.values()) == min(total, sum(sizes.values()))
    assert all(0 <= out[k] <= sizes[k] for k in sizes)
    if min(total, sum(sizes.values())) >= len(sizes):
        assert all(out[k] >= 1 for k in sizes)  # every stratum is seen


def test_the_draw_is_reproducible_from_the_seed_alone_and_spread_over_strata() -> None:
    sites = fleet(100)
    draw = stratified_sample(sites, "ab" * 32)
    assert draw["size"] == default_size(100) == 10
    assert len(draw["sample"]) == 10 and draw["population"] == 100
    assert {s["stratum"] for s in draw["sample"]} == {s["stratum"] for s in draw["strata"]
                                                       if s["taken"]}
    assert sum(s["taken"] for s in draw["strata"]) == 10
    for entry in draw["sample"]:  # anyone can check the rank with hashlib
        assert entry["rank"] == hashlib.sha256(f"{'ab' * 32}|{entry['site']}".encode()
                                               ).hexdigest()
    assert stratified_sample(list(reversed(sites)), "ab" * 32) == draw
    other = stratified_sample(sites, "cd" * 32)
    assert {s["site"] for s in other["sample"]} != {s["site"] for s in draw["sample"]}
    assert stratified_sample(sites[:2], "x")["size"] == 2
    assert stratified_sample(sites, "x", 500)["size"] == 100


def test_at_most_ten_items_remain_for_a_person_and_each_system_item_names_its_proof() -> None:
    table = items()
    assert len(for_person()) <= MAX_PERSON_ITEMS == 10
    assert len({i.id for i in table}) == len(table)
    for item in table:
        assert item.who in ("system", "person") and item.item_ja and item.item_en
        assert item.proved_by and item.source and item.reason
    assert len([i for i in table if i.who == "system"]) >= 15


def test_the_docs_list_every_verification_item() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "dmrv.md").read_text("utf-8")
    for item in items():
        assert f"| {item.id} | {item.item_ja}<br>{item.item_en} |" in text, item.id
