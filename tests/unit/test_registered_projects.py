"""Reading the official project list (issue 16): methodology names normalised, 法人番号
checked per line, dates, prefectures."""

from __future__ import annotations

from datetime import date

import pytest

from jcredit.domain.errors import ValidationError
from jcredit.domain.projects.registered import normalise_methodology
from jcredit.domain.projects.registered import parse_list
from jcredit.domain.projects.registered import prefecture_of
from jcredit.domain.projects.registered import split_party


@pytest.mark.parametrize(("text", "expected"), [
    ("FO-001 Ver. 2.0", ("FO-001", "2.0")), ("FO-001ver 4.1", ("FO-001", "4.1")),
    ("FO-001Ver 2.4", ("FO-001", "2.4")), ("FO-001 ver.2.1", ("FO-001", "2.1")),
    ("FO-001 Ver 2.3", ("FO-001", "2.3")), ("FO-001 Ver.2.0", ("FO-001", "2.0")),
    ("ＦＯ－００１ Ｖｅｒ．２．０".translate(str.maketrans("ＦＯＶｅｒ０１２．－", "FOVer012.-")),
     ("FO-001", "2.0")),
    ("EN-R-002 (ver.3)", ("EN-R-002", "3.0")), ("en-s-006 v1.2", ("EN-S-006", "1.2")),
    ("AG-004", ("AG-004", "")),
])
def test_methodology_names_normalised(text: str, expected: tuple[str, str]) -> None:
    assert normalise_methodology(text) == expected


@pytest.mark.parametrize("text", ["", "森林経営", "FO-1 Ver 2", "FO-001 Ver 2.0 改"])
def test_not_a_methodology(text: str) -> None:
    with pytest.raises(ValidationError) as error:
        normalise_methodology(text)
    assert error.value.field == "methodology"


def test_parties_dates_prefectures() -> None:
    assert split_party("中標津町 9000020016926", field="implementer") == (
        "中標津町", "9000020016926")
    assert split_party("森林吸収プロジェクト協議会", field="holder") == (
        "森林吸収プロジェクト協議会", None)
    assert split_party("-", field="holder") == ("", None)
    with pytest.raises(ValidationError) as error:
        split_party("株式会社X 1234567890123", field="holder")
    assert error.value.field == "holder_corporate_number"
    assert prefecture_of("北海道標津郡中標津町") == "北海道"
    assert prefecture_of("長崎県、熊本県") == "長崎県"
    assert prefecture_of("どこか") == ""


LIST = [
    {"No.": "10", "申請日": "2013/12/27", "実施者": "中標津町 9000020016926",
     "実施場所": "北海道標津郡中標津町", "保有者": "中標津町 9000020016926",
     "概要": "町有林における森林経営活動", "開始日": "2013/4/1", "方法論": "FO-001 Ver. 2.0"},
    {"No.": "219", "申請日": "2019/08/21", "実施者": "美深町 8000020014699",
     "実施場所": "北海道中川郡美深町", "保有者": "美深町 8430005010861",  # bad check digit
     "概要": "町有林", "開始日": "2019/4/1", "方法論": "FO-001ver 4.1"},
    {"no": "243", "applied_at": "2021/01/28", "operator": "国立大学法人 東京大学 5010005007398",
     "location": "千葉県君津市", "credit_buyer": "-", "summary": "大学演習林",
     "started_at": "2020/6/15", "methodology": "FO-001Ver 2.4"},
    {"No.": "10", "実施者": "重複", "方法論": "FO-001 Ver. 2.0"},
    {"No.": "300", "実施者": "A", "方法論": "FO-001 Ver. 2.0", "開始日": "2020/2/30"},
]


def test_a_list_with_good_and_bad_lines() -> None:
    projects, problems = parse_list(LIST, first_line=2)
    assert [p.no for p in projects] == ["10", "243"]
    first, third = projects
    assert (first.methodology_id, first.methodology_version, first.prefecture) == (
        "FO-001", "2.0", "北海道")
    assert first.applied_on == date(2013, 12, 27) and first.start_date == date(2013, 4, 1)
    assert third.implementer == "国立大学法人 東京大学" and third.holder == ""
    assert (third.methodology_version, third.methodology_text) == ("2.4", "FO-001Ver 2.4")
    assert [(p["line"], p["field"]) for p in problems] == [
        (3, "holder_corporate_number"), (5, "no"), (6, "start_date")]
    assert "wrong check digit" in problems[0]["message"]
    assert "also on line 2" in problems[1]["message"]
