"""Text and integers as the databases can store them, checked once for every entrypoint.

SQLite stores almost anything (a NUL byte, 10,000 characters in a ``varchar(300)``) where
PostgreSQL refuses it, and neither can encode a lone surrogate (``"\\ud800"``) as UTF-8. So
the registry decides what text is, the same on both: at most the column's length, no control
characters (tab and newline only where a field has lines), no bidirectional overrides or
isolates (they make a name read differently from what is stored: "Trojan Source"), no lone
surrogates, and NFC-normalised, so that ｶﾞ and ガ composed two ways compare equal. Integers
fit PostgreSQL's BIGINT.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from jcredit.domain.errors import ValidationError

MAX_DB_INT = 2**63 - 1
# U+202A-U+202E (embeddings, overrides) and U+2066-U+2069 (isolates)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_CHARACTERS = frozenset("\t\n\r")


def clean_text(value: str, *, field: str, max_length: int, multiline: bool = False) -> str:
    """``value`` NFC-normalised, or a :class:`ValidationError` naming ``field`` and the rule.

    >>> clean_text("株式会社サンプル", field="name", max_length=200)
    '株式会社サンプル'
    >>> clean_text("カ\\u3099", field="name", max_length=200)  # カ + combining ゛ -> ガ
    'ガ'
    >>> clean_text("a\\u202eb", field="name", max_length=200)
    Traceback (most recent call last):
    ...
    jcredit.domain.errors.ValidationError: name must not contain the bidirectional control \
character U+202E
    """
    # Fast path: printable (no Cc, Cf, Cs, Zl, Zp; only the ASCII space) and already NFC.
    if not value.isprintable():
        _check_characters(value, field=field, multiline=multiline)
    text = value if value.isascii() else unicodedata.normalize("NFC", value)
    if len(text) > max_length:
        raise ValidationError(f"{field} must be at most {max_length} characters, "
                              f"got {len(text)}", field=field)
    return text


def _check_characters(value: str, *, field: str, multiline: bool) -> None:
    for char in value:
        if char.isprintable() or (multiline and char in LINE_CHARACTERS):
            continue
        category = unicodedata.category(char)
        code = f"U+{ord(char):04X}"
        if category == "Cs":
            raise ValidationError(f"{field} contains a lone surrogate {code}, which is not a "
                                  "character", field=field)
        if char in BIDI_CONTROLS:
            raise ValidationError(f"{field} must not contain the bidirectional control "
                                  f"character {code}", field=field)
        if category == "Cc" or category in ("Zl", "Zp"):
            allowed = "only tab and line breaks" if multiline else "no line breaks or tabs"
            raise ValidationError(f"{field} must not contain the control character {code} "
                                  f"({allowed})", field=field)
        # other separators (U+3000 全角スペース) and format characters (U+200D ZWJ) are text


def check_nested_text(value: object, *, field: str, max_length: int = 10_000,
                      max_items: int = 100_000) -> None:
    """Every string (key or value) inside a JSON-like document is text a database stores:
    no lone surrogate, control character (tab and line breaks aside) or bidi control."""
    stack: list[tuple[object, str]] = [(value, field)]
    seen = 0
    while stack:
        node, where = stack.pop()
        seen += 1
        if seen > max_items:
            raise ValidationError(f"{field} has more than {max_items} items", field=field)
        if isinstance(node, str):
            clean_text(node, field=where, max_length=max_length, multiline=True)
        elif isinstance(node, dict):
            for key, item in node.items():
                name = f"{where}.{key}" if isinstance(key, str) and key.isprintable() \
                    else where
                if isinstance(key, str):
                    clean_text(key, field=f"{where} (a key)", max_length=200)
                stack.append((item, name))
        elif isinstance(node, list | tuple):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node))


def shown(value: object) -> str:
    """``value`` as text to show in a refusal, its unprintable characters (control, bidi)
    escaped as ``\\uXXXX`` so that what is shown is what was sent, not what it does."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def check_db_int(value: int, *, field: str, minimum: int = 1) -> int:
    """An integer a BIGINT column holds (and, for ids, at least 1).

    >>> check_db_int(2**63, field="application_id")
    Traceback (most recent call last):
    ...
    jcredit.domain.errors.ValidationError: application_id must be between 1 and \
9223372036854775807, got 9223372036854775808
    """
    if not minimum <= value <= MAX_DB_INT:
        raise ValidationError(f"{field} must be between {minimum} and {MAX_DB_INT}, "
                              f"got {value}", field=field)
    return value


def check_db_ints(values: Iterable[int], *, field: str) -> None:
    for value in values:
        check_db_int(value, field=field)


def fits_db_int(value: int) -> bool:
    """Whether ``value`` can be an id at all (a lookup beyond is simply not found)."""
    return 1 <= value <= MAX_DB_INT
