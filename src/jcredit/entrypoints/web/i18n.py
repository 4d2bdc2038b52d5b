"""The web UI's language: gettext catalogs (Babel), labels for codes, JST times, figures
for people.

Two catalogs per language live under ``locale/<lang>/LC_MESSAGES/``:

- ``messages.po``: every string a template or view marks with ``t("key")`` (or
  ``_``/``gettext``). ``scripts/i18n extract`` finds them (``babel.cfg``) and ``scripts/i18n
  update`` merges new keys into both catalogs; ``tests/unit/test_i18n.py`` fails when a key is
  missing or untranslated in Japanese or English.
- ``labels.po``: the Japanese and English name of every code the system shows
  (``role.HOLDER``, ``category.RENEWABLE_POWER``, ``fuel.FUEL_OIL_A`` …). Codes come from
  enums and data tables, not from source text, so extraction cannot find them: the test
  enumerates every kind in :data:`LABEL_KINDS` instead.

The ``.po`` files are the source; they are compiled in memory when first used (no ``.mo``
files to forget to rebuild). Japanese is the default language; the API and the journal keep
codes and UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from decimal import InvalidOperation
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from markupsafe import escape

from jcredit.domain.numbers import for_people

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAINS = ("messages", "labels")
JST = ZoneInfo("Asia/Tokyo")


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(lang: str, domain: str = "messages") -> Translations:
    """The compiled catalog of one language and domain (read once per process)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=lang, domain=domain)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)``: the key's text in ``lang`` (the key itself when missing: the i18n test
    fails on that, and a page never shows an empty string)."""
    catalog = translations(language_of(lang))

    def t(key: str) -> str:
        return str(catalog.gettext(key))

    return t


def labeller(lang: str) -> Callable[[str, object], str]:
    """``label(kind, code)``: a code's name for people, e.g. ``label("category",
    "FOREST")`` → 森林 / Forest. An unknown code is shown as it is (the crawl test fails)."""
    catalog = translations(language_of(lang), "labels")

    def label(kind: str, code: object) -> str:
        if code is None or code == "":
            return ""
        value = getattr(code, "value", code)
        key = f"{kind}.{value}"
        text = str(catalog.gettext(key))
        return str(value) if text == key else text

    return label


def error_summary(code: str, lang: str) -> str:
    """A one-line summary of an error class in the reader's language (details follow)."""
    t = translator(lang)
    text = t(f"error_{code}")
    return t("error_domain_error") if text == f"error_{code}" else text


def _as_datetime(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def format_time(value: object, lang: str, *, seconds: bool = False) -> str:
    """A moment in Japan time: 2026年12月1日 19:30 / 1 Dec 2026, 19:30 JST. The journal and
    the API keep UTC; only the page converts."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    local = moment.astimezone(JST)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    if language_of(lang) == "ja":
        return f"{local.year}年{local.month}月{local.day}日 {clock}"
    return f"{local.day} {local:%b} {local.year}, {clock} JST"


def format_date(value: object, lang: str) -> str:
    """A calendar date: 2026年12月1日 / 1 Dec 2026."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        value = value.astimezone(JST).date()
    if not isinstance(value, dt.date):
        return "" if value is None else str(value)
    if language_of(lang) == "ja":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {value:%b} {value.year}"


def format_quantity(value: object, places: int = 2) -> str:
    """A figure for people: thousands separators, rounded half up to ``places`` decimals,
    trailing zeros dropped (the API and exports keep every digit)."""
    if value is None or value == "":
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    text = for_people(number, places)
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{grouped}.{fraction}" if fraction else f"{sign}{grouped}"


def fiscal_year_label(year: object, lang: str) -> str:
    """FY2026 → 2026年度 / FY2026."""
    if year in (None, ""):
        return ""
    return f"{year}年度" if language_of(lang) == "ja" else f"FY{year}"


def N_(key: str) -> str:
    """Mark a key chosen in Python and translated when shown (``pybabel extract -k N_``)."""
    return key


# The summary line of each error class (DomainError.code), shown before the details.
ERROR_SUMMARIES = (
    N_("error_domain_error"), N_("error_invalid_input"), N_("error_ineligible_use"),
    N_("error_confirmation_required"), N_("error_not_found"), N_("error_not_authenticated"),
    N_("error_forbidden"), N_("error_conflict"), N_("error_insufficient_credits"),
    N_("error_serials_unavailable"), N_("error_serial_overlap"), N_("error_invalid_state"),
    N_("error_idempotency_key_reused"), N_("error_not_applicable"), N_("error_malformed_body"),
    N_("error_payload_too_large"), N_("error_too_many_attempts"),
)


SYMBOL = re.compile(r"(?<![\w-])[A-Za-zΔη][A-Za-z]*_[A-Za-z0-9_,]*[A-Za-z0-9](?![\w-])")


def mark_symbols(text: object) -> Markup:
    """A text with formula symbols (``EM_BL``, ``F_C,p``) marked ``<var>``: escaped, then
    each symbol wrapped, so that a reader (and the crawl test) tells them from words."""
    return Markup(SYMBOL.sub(lambda m: f"<var>{m.group(0)}</var>", str(escape(text))))


def install_filters(env: Environment) -> None:
    """Jinja2 filters that read the page's ``lang``: ``{{ x.at|jst }}``, ``{{ d|jdate }}``,
    ``{{ q|qty }}`` (``qty(0)`` for whole numbers), ``{{ y|fy }}``."""

    @pass_context
    def jst(context: Context, value: object, seconds: bool = False) -> str:
        return format_time(value, str(context.get("lang", DEFAULT_LANGUAGE)), seconds=seconds)

    @pass_context
    def jdate(context: Context, value: object) -> str:
        return format_date(value, str(context.get("lang", DEFAULT_LANGUAGE)))

    @pass_context
    def fy(context: Context, value: object) -> str:
        return fiscal_year_label(value, str(context.get("lang", DEFAULT_LANGUAGE)))

    env.filters["jst"] = jst
    env.filters["symbols"] = mark_symbols
    env.filters["jdate"] = jdate
    env.filters["fy"] = fy
    env.filters["qty"] = format_quantity
