"""Refusals explained in the reader's language, naming what is valid in its words."""

from __future__ import annotations

from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.web.forms import explain
from jcredit.entrypoints.web.forms import explain_markup


def test_a_closed_reporting_year_names_the_years_open() -> None:
    error = ValidationError("reporting fiscal year 2025 is not open for ONTAIHO_EMISSIONS on "
                            "2026-12-01: ...", field="fiscal_year", valid=["2026"])
    assert explain(error, "ja").startswith("この報告対象年度は選べません。選べる年度: 2026。")
    assert explain(error, "en").startswith("This reporting fiscal year cannot be chosen. "
                                           "Open years: 2026.")


def test_valid_codes_are_named_not_shown_raw() -> None:
    error = ValidationError("prefecture '北海道' ...: the address is in 岐阜県 but the prefecture "
                            "chosen is 北海道", field="prefecture", valid=["岐阜県"])
    assert "住所の都道府県: 岐阜県" in explain(error, "ja")
    purpose = ValidationError("reason_code '' is not valid", field="reason_code",
                              valid=["COURT_ORDER", "ERROR_CORRECTION"])
    assert explain(purpose, "ja").startswith("訂正の理由を選んでください。")


def test_the_page_sets_the_system_detail_apart_and_escapes_it() -> None:
    error = ValidationError("name <script> is not allowed", field="name")
    shown = str(explain_markup(error, "ja"))
    assert '<span class="detail" lang="en">(name &lt;script&gt; is not allowed)</span>' in shown
    assert "<script>" not in shown


def test_an_unusable_key_and_a_day_that_does_not_exist_say_so() -> None:
    from jcredit.domain.dmrv.devices import parse_public_key
    from jcredit.domain.parsing import parse_date
    from jcredit.service_layer.dmrv.sites import parse_day

    try:
        parse_public_key("A" * 43 + "=")  # 32 zero bytes: a point of small order
    except ValidationError as error:
        assert explain(error, "ja").startswith("この鍵は使えません。")
        assert explain(error, "en").startswith("This key cannot be used")
    else:
        raise AssertionError("the all-zero key was accepted")
    for parse in (lambda: parse_date("2025-02-30", field="day"),
                  lambda: parse_day("2025-02-30", "from")):
        try:
            parse()
        except ValidationError as error:
            assert explain(error, "ja").startswith("その日付は暦にありません")
        else:
            raise AssertionError("30 February was accepted")
    try:
        parse_date("30/02/2025", field="day")
    except ValidationError as error:
        assert explain(error, "ja").startswith("日付は 2026-04-01 の形式")


def test_a_full_width_date_is_the_same_date_and_a_file_line_is_explained() -> None:
    from datetime import date

    from jcredit.domain.parsing import parse_date
    from jcredit.entrypoints.web.forms import problem_text
    from jcredit.entrypoints.web.i18n import translator

    assert parse_date("２０３２－０３－３１", field="day") == date(2032, 3, 31)
    item = {"line": 2, "column": "certification_expires", "value": "2032-02-30",
            "field": "certification_expires",
            "message": "certification_expires: the day 2032-02-30 does not exist in the "
                       "calendar"}
    text = problem_text(item, translator("ja"), "ja")
    assert "その日付は暦にありません" in text and "2行目" in text
    assert "does not exist" in text  # the system's detail stays beside it
    plain = problem_text(item, translator("ja"))
    assert "その日付は暦にありません" not in plain
