"""The case search on both databases: SQLite's FTS5 trigram index and PostgreSQL's pg_trgm
answer the same words the same way (kanji; katakana, hiragana and half-width alike; short
words; every word required); the journal records submissions and reviews."""

from __future__ import annotations

from typing import Any

import pytest

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import ValidationError
from jcredit.service_layer import case_queries
from jcredit.service_layer import commands as c

CASES = [
    ("森林クレジットでイベントをオフセット", "森林の吸収量で会議のCO2を埋め合わせた。", "EVENT"),
    ("ＬＥＤ照明の更新でクレジットを創出", "工場の照明を替えて電力を減らした。", "OWN_PROJECT"),
    ("100%_discount キャンペーン", "割引 50% の商品にクレジットを付けた。", "PRODUCT_ATTACHED"),
]


def publish(registry: Registry, title: str, summary: str, method: str) -> int:
    kind = "CREATION" if method == "OWN_PROJECT" else "UTILISATION"
    case: dict[str, Any] = {"kind": kind, "title": title, "organisation": "株式会社テスト",
                            "method": method, "summary": summary,
                            "uses": [] if kind == "CREATION" else ["OFFSET"]}
    made = registry.bus.handle(c.SubmitCase(case=case), actor=SYSTEM_ACTOR).data
    registry.bus.handle(c.ReviewCase(case_id=made["id"], decision="PUBLISH"),
                        actor=SYSTEM_ACTOR)
    return int(made["id"])


def found(registry: Registry, q: str, **filters: str) -> list[str]:
    with registry.uow(write=False) as uow:
        data = case_queries.search(uow, q=q, filters=case_queries.parse_filters(**filters))
    return sorted(case["title"] for case in data["cases"])


@pytest.mark.parametrize(("q", "expected"), [
    ("森林", [0]), ("イベント", [0]), ("いべんと", [0]), ("ｲﾍﾞﾝﾄ", [0]),
    ("オフセット 森林", [0]), ("オフセット 照明", []), ("LED", [1]), ("led照明", [1]),
    ("クレジット", [0, 1, 2]), ("100%", [2]), ("50%", [2]), ("_disc", [2]), ("%", [2]),
    ("存在しない", []),
])
def test_words_match_on_both_databases(registry: Registry, q: str,
                                       expected: list[int]) -> None:
    for title, summary, method in CASES:
        publish(registry, title, summary, method)
    assert found(registry, q) == sorted(CASES[i][0] for i in expected)


def test_only_published_cases_are_found_and_filters_combine(registry: Registry) -> None:
    first = publish(registry, *CASES[0])
    waiting = registry.bus.handle(c.SubmitCase(case={
        "kind": "UTILISATION", "title": "審査待ちの森林の事例", "organisation": "株式会社テスト",
        "method": "EVENT", "uses": ["OFFSET"], "summary": "まだ公開されない。"}),
        actor=SYSTEM_ACTOR).data
    assert found(registry, "森林") == [CASES[0][0]]
    assert found(registry, "森林", method="EVENT", use="OFFSET") == [CASES[0][0]]
    assert found(registry, "森林", method="PURCHASE") == []
    with registry.uow(write=False) as uow:
        commands = [e.command for e in uow.journal.iterate()][-3:]
        assert uow.cases.get(first)["status"] == "PUBLISHED"  # type: ignore[index]
        assert uow.cases.get(waiting["id"])["status"] == "SUBMITTED"  # type: ignore[index]
    assert commands == ["cases.submit", "cases.review", "cases.submit"]
    with pytest.raises(ValidationError):
        case_queries.parse_filters(kind="NOPE")
