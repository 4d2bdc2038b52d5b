"""Typed input from people and files: exact decimals and ISO dates, with errors that name
the field. Used by the methodologies' declared inputs and by the project commands alike."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

from jcredit.domain.errors import MalformedInputError
from jcredit.domain.errors import PayloadTooLargeError
from jcredit.domain.errors import ValidationError
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D


def parse_decimal(value: object, *, field: str, minimum: Decimal | None = ZERO,
                  unit: str = "") -> Decimal:
    """An exact decimal: from text, an int or a Decimal, never a float.

    >>> parse_decimal("12.5", field="x")
    Decimal('12.5')
    """
    units = f" [{unit}]" if unit else ""
    if isinstance(value, bool | float) or value is None:
        raise ValidationError(f"{field} must be a decimal number written exactly "
                              f"(e.g. \"12.5\"){units}, not {value!r}", field=field)
    try:
        number = D(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(f"{field} must be a number{units}, got {value!r}",
                              field=field) from None
    if minimum is not None and number < minimum:
        raise ValidationError(f"{field} must be at least {minimum}{units}, got {number}",
                              field=field)
    return number


def parse_date(value: object, *, field: str) -> date:
    """A calendar date, YYYY-MM-DD.

    >>> parse_date(" 2026-04-01", field="x")
    datetime.date(2026, 4, 1)
    """
    if isinstance(value, date):
        return value
    # full-width digits and dashes, as a Japanese IME types them, are the same date
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        if len(text) == 10 and text[4] == text[7] == "-" and text.isascii() \
                and text.replace("-", "").isdigit():
            raise ValidationError(f"{field}: the day {text} does not exist in the calendar",
                                  field=field) from None
        raise ValidationError(f"{field} must be a date YYYY-MM-DD, got {value!r}",
                              field=field) from None


MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str, *, field: str) -> Any:
    raise MalformedInputError(f"{field}: {name} is not a number in JSON: write a decimal",
                              field=field)


def parse_json(raw: bytes | str, *, field: str = "body", max_bytes: int = MAX_JSON_BYTES,
               max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON document with exact decimals (``0.540`` is ``Decimal("0.540")``), read safely:
    at most ``max_bytes``, strict UTF-8, nested at most ``max_depth`` deep, no NaN or
    Infinity and no lone surrogate (``"\\ud800"``), which no database can store. Every
    failure is a :class:`MalformedInputError` naming ``field``; none is a crash.

    >>> parse_json(b'{"a": [0.540, 2]}')
    {'a': [Decimal('0.540'), 2]}
    >>> parse_json(b"[" * 40 + b"]" * 40)
    Traceback (most recent call last):
    ...
    jcredit.domain.errors.MalformedInputError: body is nested deeper than 32 levels
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"{field} is larger than {max_bytes} bytes", field=field)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedInputError(f"{field} is not UTF-8 (byte {error.start})",
                                  field=field) from None
    try:
        document = json.loads(text or "{}", parse_float=Decimal,
                              parse_constant=functools.partial(_refuse_constant, field=field))
    except RecursionError:
        raise MalformedInputError(f"{field} is nested deeper than {max_depth} levels",
                                  field=field) from None
    except ValueError as error:  # JSONDecodeError, or an integer of over 4300 digits
        raise MalformedInputError(f"{field} is not valid JSON: {error}", field=field) from None
    # The walk is needed only when brackets could nest too deep or a surrogate was escaped.
    if data.count(b"[") + data.count(b"{") > max_depth or _SURROGATE_ESCAPE.search(data):
        _check_tree(document, field=field, max_depth=max_depth)
    return document


def _check_tree(document: Any, *, field: str, max_depth: int) -> None:
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _check_encodable(node, field=field)
        elif isinstance(node, dict | list):
            if depth >= max_depth:
                raise MalformedInputError(f"{field} is nested deeper than {max_depth} levels",
                                          field=field)
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if isinstance(key, str):
                    _check_encodable(key, field=field)
                stack.append((value, depth + 1))


def _check_encodable(text: str, *, field: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedInputError(f"{field} contains a lone surrogate (\\ud800-\\udfff), "
                                  "which is not a character", field=field) from None
