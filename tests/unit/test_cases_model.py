"""A case of the case search (domain/cases/model.py): every field checked, every problem
refused together, and the text folded so that kanji and either kana find the same case."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from jcredit.domain.cases.model import CaseKind
from jcredit.domain.cases.model import CaseMethod
from jcredit.domain.cases.model import fold
from jcredit.domain.cases.model import parse_case
from jcredit.domain.cases.model import search_text
from jcredit.domain.cases.seed import seed_cases
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose

GOOD: dict[str, Any] = {
    "kind": "utilisation", "title": "  道の駅の  オフセット ", "organisation": "日南町",
    "corporate_number": "", "prefecture": "鳥取県", "category": "forest",
    "uses": "OFFSET、CDP offset", "offset_purpose": "organization", "method": "purchase",
    "mark": "yes", "start_year": "２０２１", "end_year": "2022", "quantity": "1,234.5",
    "summary": "一段落目  です。\r\n\r\n二段落目。\n\n\n", "projects": "JCP-0210 JCP-0210 10",
    "invalidations": "3, 3 4", "source": " seed 001 ",
}


def problems(**changes: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse_case(GOOD | changes)
    errors = caught.value.errors or [{"field": caught.value.field,
                                      "message": str(caught.value)}]
    return {e["field"]: e["message"] for e in errors}


def test_a_good_case_is_read_and_normalised() -> None:
    case = parse_case(GOOD)
    assert case.kind is CaseKind.UTILISATION and case.method is CaseMethod.PURCHASE
    assert case.title == "道の駅の オフセット"
    assert case.uses == (InvalidationUse.OFFSET, InvalidationUse.CDP)  # once each, in order
    assert case.offset_purpose is OffsetPurpose.ORGANIZATION and case.mark is True
    assert (case.start_year, case.end_year) == (2021, 2022)  # full-width digits read
    assert case.quantity == Decimal("1234.5")
    assert case.summary == "一段落目 です。\n\n二段落目。"  # paragraphs kept, spaces folded
    assert case.projects == ("JCP-0210", "10") and case.invalidations == (3, 4)
    assert case.source == "seed 001" and case.corporate_number is None
    again = parse_case(case.as_dict())
    assert again == case  # what is stored reads back the same


def test_every_problem_is_refused_together() -> None:
    found = problems(kind="", title="", organisation=" ", method="NOPE", uses="NOPE",
                     quantity="-1", start_year="1989", summary="", prefecture="東京",
                     corporate_number="1234567890123", invalidations="x",
                     projects="P" * 33)
    assert set(found) == {"kind", "title", "organisation", "method", "uses", "quantity",
                          "start_year", "summary", "prefecture", "corporate_number",
                          "invalidations", "projects"}


@pytest.mark.parametrize(("changes", "field"), [
    ({"quantity": "0"}, "quantity"), ({"quantity": "abc"}, "quantity"),
    ({"quantity": "NaN"}, "quantity"), ({"quantity": "1000000001"}, "quantity"),
    ({"end_year": "2020", "start_year": "2021"}, "end_year"),
    ({"start_year": "2101"}, "start_year"), ({"start_year": "20x1"}, "start_year"),
    ({"uses": ""}, "uses"),  # a utilisation case names a use
    ({"uses": "CDP", "offset_purpose": "EVENT"}, "offset_purpose"),  # not an offset
    ({"title": "題" * 201}, "title"), ({"summary": "あ" * 4001}, "summary"),
    ({"source": "s" * 501}, "source"), ({"invalidations": "0"}, "invalidations"),
    ({"invalidations": " ".join(str(i) for i in range(1, 52))}, "invalidations"),
    ({"projects": " ".join(f"P{i}" for i in range(51))}, "projects"),
    ({"category": "SUN"}, "category"), ({"kind": "OTHER"}, "kind"),
])
def test_one_bad_field(changes: dict[str, object], field: str) -> None:
    assert field in problems(**changes)


def test_edges_that_are_allowed() -> None:
    assert parse_case(GOOD | {"quantity": "1000000000"}).quantity == Decimal("1000000000")
    assert parse_case(GOOD | {"start_year": "1990", "end_year": "2100"}).end_year == 2100
    assert parse_case(GOOD | {"title": "題" * 200}).title == "題" * 200
    creation = parse_case(GOOD | {"kind": "CREATION", "uses": [], "offset_purpose": ""})
    assert creation.uses == () and creation.offset_purpose is None  # creation: no use
    assert parse_case(GOOD | {"mark": "no"}).mark is False
    assert parse_case(GOOD | {"mark": True}).mark is True
    assert parse_case(GOOD | {"prefecture": ""}).prefecture == ""  # nationwide
    assert parse_case(GOOD | {"uses": ["RE100"], "offset_purpose": None}).uses == (
        InvalidationUse.RE100,)


def test_fold_makes_kana_and_widths_one() -> None:
    assert fold("オフセット") == fold("おふせっと") == fold("ｵﾌｾｯﾄ") == "おふせっと"
    assert fold("ＬＥＤ　照明") == "led 照明"
    assert fold("ヴ") == "ゔ" and fold("ヶ") == "ゖ"  # the end of the range
    assert fold("ァ") == "ぁ" and fold("ー") == "ー"  # the long vowel mark stays
    case = parse_case(GOOD)
    text = search_text(case, extra=["追加"])
    for word in ("道の駅の", "おふせっと", "日南町", "鳥取県", "jcp-0210", "追加", "二段落目"):
        assert word in text


def test_the_seed_cases_are_valid_and_name_the_seed_documents_organisations() -> None:
    cases = [parse_case(case) for case in seed_cases()]
    names = " ".join(case.organisation for case in cases)
    for name in ("登米市", "加美町", "八葉水産", "神戸市", "日南町", "管野組", "出雲", "山口市",
                 "東広島市", "沖電気工業", "カルビー", "豊田通商", "三井物産", "東急", "大昭和紙工産業"):
        assert name in names, name
    assert all(case.source for case in cases)


def test_limits_are_inclusive() -> None:
    assert len(parse_case(GOOD | {"summary": "あ" * 4000}).summary) == 4000
    assert parse_case(GOOD | {"quantity": "0.5"}).quantity == Decimal("0.5")
    fifty = [f"P{i}" for i in range(50)]
    assert len(parse_case(GOOD | {"projects": fifty}).projects) == 50
    assert parse_case(GOOD | {"projects": ["P" * 32]}).projects == ("P" * 32,)
    assert len(parse_case(GOOD | {"invalidations": list(range(1, 51))}).invalidations) == 50
    assert parse_case(GOOD | {"invalidations": "1 999999999999"}).invalidations == (
        1, 999_999_999_999)
    assert "invalidations" in problems(invalidations="1000000000000")  # 13 digits


def test_required_choices_name_what_is_valid() -> None:
    for field, value, valid in (("kind", "", "CREATION"), ("kind", "X", "UTILISATION"),
                                ("method", "", "PURCHASE"), ("method", "X", "EVENT"),
                                ("uses", "", "RE100"), ("prefecture", "東京", "東京都")):
        with pytest.raises(ValidationError) as caught:
            parse_case(GOOD | {field: value})
        assert caught.value.field == field and valid in (caught.value.valid or []), field


def test_what_is_stored_keeps_every_field() -> None:
    numbered = parse_case(GOOD | {"corporate_number": "7000012050002"})
    assert numbered.corporate_number == "7000012050002" and numbered.category is not None
    stored = numbered.as_dict()
    assert stored["corporate_number"] == "7000012050002" and stored["category"] == "FOREST"
    assert parse_case(stored) == numbered
    assert "7000012050002" in search_text(numbered)
    bare = parse_case(GOOD | {"category": "", "offset_purpose": "", "quantity": "",
                              "source": ""}).as_dict()
    assert (bare["category"], bare["offset_purpose"], bare["quantity"], bare["source"]) == (
        None, None, None, "")


def test_codes_and_their_japanese_names_are_searchable() -> None:
    assert fold("カーボン・オフセット") == fold("カーボンオフセット") == "かーぼんおふせっと"
    case = parse_case(GOOD | {"uses": ["RE100", "ONTAIHO_EMISSIONS", "OFFSET"],
                              "offset_purpose": "EVENT"})
    text = search_text(case)
    for word in ("re100", fold("温対法"), fold("カーボンオフセット"), "forest", "森林",
                 fold("会議イベント")):
        assert word in text, word
    bare = search_text(parse_case(GOOD | {"category": "", "offset_purpose": ""}))
    assert "森林" not in bare and fold("会議") not in bare
