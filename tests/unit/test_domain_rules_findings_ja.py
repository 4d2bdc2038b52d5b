"""Each eligibility finding says what it found in Japanese as well, for the pages and the
validation report people read (the English stays for the API)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jcredit.domain.projects import eligibility as el
from jcredit.domain.projects.eligibility import AdditionalityExemption as Ex

APPLIED = date(2026, 12, 1)


def test_the_site_in_or_outside_japan() -> None:
    inside, outside = el.check_in_japan("岐阜県"), el.check_in_japan("ハワイ州")
    assert inside.message_ja == "実施場所の都道府県「岐阜県」は国内です"
    assert outside.message_ja == "実施場所の都道府県「ハワイ州」は日本の都道府県ではありません"


def test_the_two_year_rule_names_the_dates() -> None:
    late = el.check_two_year_rule(date(2024, 11, 30), APPLIED)
    assert not late.passed
    assert late.message_ja == ("開始日 2024年11月30日。申請日 2026年12月1日 の2年前 "
                               "(2024年12月1日) 以降である必要があります")
    assert el.check_two_year_rule(date(2000, 1, 1), APPLIED, forest=True).message_ja == \
        "森林管理プロジェクトは2年ルールの対象外です"


def test_the_equipment_age_names_the_dates() -> None:
    found = el.check_equipment_age(date(2025, 6, 1), APPLIED, subject="HH-001")
    assert found.message_ja == "設備の稼働開始日 2025年6月1日。2024年12月1日 以降である必要があります"
    assert found.as_dict()["message_ja"] == found.message_ja


@pytest.mark.parametrize("exemption, investments, payback, expected", [
    (Ex.HOUSEHOLD, [], None, "家庭部門の削減活動: 経済的障壁を有する蓋然性が高いため追加性の評価は不要"),
    (Ex.METHODOLOGY, [], None, "方法論により追加性の評価は不要です"),
    (Ex.POST_FIT_PV, [], None, "卒FIT太陽光には追加投資 (出力制御機能付きPCS、蓄電池、EV・PHEV、"
                               "エコキュートのいずれか) が必要です"),
    (Ex.POST_FIT_PV, ["ECOCUTE"], None, "卒FIT太陽光とエコキュート: 投資回収年数の評価が必要な場合が"
                                        "あります (審査機関が判断します)"),
    (Ex.POST_FIT_PV, ["BATTERY"], None, "卒FIT太陽光と追加投資: 投資回収年数の評価は不要です"),
    (Ex.NONE, [], None, "収入が運転費以下のため投資を回収できません: 追加性あり"),
    (Ex.NONE, [], Decimal("4.25"), "投資回収年数 4.25 年 ≥ 3年: 追加性あり"),
    (Ex.NONE, [], Decimal("2.5"), "投資回収年数 2.5 年 < 3年: 追加性なし"),
])
def test_additionality_in_japanese(exemption: Ex, investments: list[str],
                                   payback: Decimal | None, expected: str) -> None:
    found = el.check_additionality(payback=payback, exemption=exemption,
                                   post_fit_investments=investments)
    assert found.message_ja == expected


def test_programme_size_and_double_registration_in_japanese() -> None:
    size = el.check_programme_activity_size(Decimal("12.345"), subject="HH-001")
    assert size.message_ja == "想定削減量 12.35 t-CO2/年 (上限 500 t-CO2/年)"
    clear = el.check_double_registration("岐阜県岐阜市1-2", {}, subject="HH-001")
    assert clear.message_ja == "他のプロジェクトに登録されていません"
    taken = el.check_double_registration("岐阜県岐阜市1-2",
                                         {el.site_key("岐阜県岐阜市1-2"): "JCP-000009"})
    assert taken.message_ja == "JCP-000009 に登録済みです"
    assert el.ja_date(date(2027, 4, 1)) == "2027年4月1日"
