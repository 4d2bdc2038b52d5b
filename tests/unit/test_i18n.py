"""The web UI's catalogs: every marked key and every code shown has a Japanese and an
English text, the catalogs are what extraction finds, and times and figures are shown as
people read them."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from jcredit.entrypoints.web.i18n import LANGUAGES
from jcredit.entrypoints.web.i18n import LOCALE_DIR
from jcredit.entrypoints.web.i18n import error_summary
from jcredit.entrypoints.web.i18n import fiscal_year_label
from jcredit.entrypoints.web.i18n import format_date
from jcredit.entrypoints.web.i18n import format_quantity
from jcredit.entrypoints.web.i18n import format_time
from jcredit.entrypoints.web.i18n import labeller
from jcredit.entrypoints.web.i18n import translator
from jcredit.entrypoints.web.labels import LABEL_KINDS
from jcredit.entrypoints.web.labels import codes

ROOT = Path(__file__).resolve().parents[2]
# Proper names written the same in both languages.
SAME_IN_BOTH = {"use.CDP", "use.SBT", "use.RE100"}


def _catalog(lang: str, domain: str) -> dict[str, str]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as source:
        catalog = read_po(source, locale=lang)
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"{lang}/{domain}.po has fuzzy entries: {fuzzy}"
    return {str(m.id): str(m.string) for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    "babel.cfg", "-k", "t", "-k", "N_", "--no-location", "--omit-header",
                    "-o", str(out), "."], cwd=ROOT, check=True, capture_output=True)
    with out.open("rb") as source:
        return {str(m.id) for m in read_po(source) if m.id}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_marked_key_is_translated(extracted: set[str], lang: str) -> None:
    catalog = _catalog(lang, "messages")
    missing = sorted(k for k in extracted if not catalog.get(k, "").strip())
    assert not missing, (f"untranslated in {lang}: {missing} — run scripts/i18n update and "
                         f"fill in locale/{lang}/LC_MESSAGES/messages.po")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalog_holds_no_key_the_sources_dropped(extracted: set[str], lang: str) -> None:
    stale = sorted(set(_catalog(lang, "messages")) - extracted)
    assert not stale, f"keys no source marks any more (scripts/i18n update drops them): {stale}"


def test_the_two_languages_differ_where_they_should(extracted: set[str]) -> None:
    ja, en = _catalog("ja", "messages"), _catalog("en", "messages")
    ascii_ja = sorted(k for k in extracted if ja[k].isascii() and any(c.isalpha() for c in ja[k])
                      and ja[k] == en[k] and len(ja[k]) > 4)
    assert not ascii_ja, f"Japanese catalog shows English text: {ascii_ja}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(LABEL_KINDS))
def test_every_code_shown_has_a_name(kind: str, lang: str) -> None:
    catalog = _catalog(lang, "labels")
    missing = [c for c in codes(kind) if not catalog.get(f"{kind}.{c}", "").strip()]
    assert not missing, f"{kind} codes without a {lang} name in labels.po: {missing}"
    if lang == "ja":
        english = [c for c in codes(kind) if f"{kind}.{c}" not in SAME_IN_BOTH
                   and catalog[f"{kind}.{c}"] == _catalog("en", "labels")[f"{kind}.{c}"]]
        assert not english, f"{kind}: Japanese names equal to the English ones: {english}"


def test_labels_and_keys_are_looked_up_per_language() -> None:
    assert labeller("ja")("category", "FOREST") == "森林"
    assert labeller("en")("category", "FOREST") == "Forest"
    assert labeller("ja")("fuel", "FUEL_OIL_A") == "A重油"
    assert labeller("ja")("category", "NO_SUCH") == "NO_SUCH"
    assert labeller("xx")("role", "HOLDER") == "口座保有者"  # unknown language: Japanese
    assert translator("en")("login") == "Log in"
    assert translator("ja")("login") == "ログイン"
    assert error_summary("insufficient_credits", "ja") == "利用可能なクレジットが不足しています"
    assert error_summary("no_such_code", "en") == "Could not be done"


def test_times_are_shown_in_japan_time() -> None:
    moment = "2026-12-01T10:30:09.944695+00:00"
    assert format_time(moment, "ja") == "2026年12月1日 19:30"
    assert format_time(moment, "en") == "1 Dec 2026, 19:30 JST"
    assert format_time(moment, "ja", seconds=True) == "2026年12月1日 19:30:09"
    # 15:00 UTC on 31 March is 1 April in Japan: the date changes with the zone
    assert format_time(dt.datetime(2027, 3, 31, 15, 0, tzinfo=dt.UTC), "ja") == \
        "2027年4月1日 00:00"
    assert format_time(None, "ja") == ""
    assert format_date("2026-04-01", "ja") == "2026年4月1日"
    assert format_date(dt.date(2026, 4, 1), "en") == "1 Apr 2026"
    assert fiscal_year_label(2026, "ja") == "2026年度"
    assert fiscal_year_label(2026, "en") == "FY2026"


def test_figures_are_rounded_for_people() -> None:
    assert format_quantity(Decimal("42.78363157894736842105263157")) == "42.78"
    assert format_quantity(Decimal("12345.5"), 0) == "12,346"
    assert format_quantity(2400) == "2,400"
    assert format_quantity(Decimal("-1234.50")) == "-1,234.5"
    assert format_quantity("0.005") == "0.01"
    assert format_quantity(None) == ""
