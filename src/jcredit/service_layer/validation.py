"""Every command's text and integers checked before its handler runs, in one place.

The message bus calls :func:`validated` on each command, so the API, the web UI and the CLI
refuse the same text the same way, on SQLite as on PostgreSQL (``domain.text`` says what
text is). A free-text field's length is its column's (adapters/db/tables.py); any other
string (identifiers, codes, enum names, which their parsers check further) gets the general
cap. Text is NFC-normalised: a command whose text changed is replaced by its normalised copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any
from typing import TypeVar

from jcredit.domain.errors import ValidationError
from jcredit.domain.text import check_db_int
from jcredit.domain.text import check_nested_text
from jcredit.domain.text import clean_text
from jcredit.service_layer.commands import Command

C = TypeVar("C", bound=Command)

# field name: (max length, multi-line). Column sizes from adapters/db/tables.py; fields
# stored only in the journal's payload (Text) get a generous cap.
TEXT_FIELDS: dict[str, tuple[int, bool]] = {
    "name": (200, False),  # organisations.name, projects.name
    "account_name": (200, False),  # accounts.name
    "display_name": (200, False),  # users.display_name
    "username": (64, False),  # users.username
    "credit_user_name": (200, False),  # invalidation_applications.credit_user_name
    "purpose_details": (500, True),  # invalidation_applications.purpose_details
    "address": (300, False),  # projects.address, activities.address
    "code": (32, False),  # activities.code
    "project_id": (64, False),  # issuances.project_id
    "methodology_id": (64, False),
    "methodology_version": (64, False),
    "certification_number": (64, False),
    "filename": (200, False),  # evidence_files.filename
    "media_type": (100, False),  # evidence_files.media_type
    "reason": (1000, True),  # journal payload
    "comment": (4000, True),  # project_events.comment (Text)
    "scheme": (64, False),
    "public_key": (400, True),  # a PEM block has lines; parsed to 32 bytes (dmrv_device_keys)
    "subject": (200, False),  # offsets.subject
    "scope": (500, False),  # offsets.scope
    "method": (500, False),  # offsets.method
    "period": (100, False),  # offsets.period
    "holder_name": (200, False),  # offset_certificates.holder_name
    "title": (200, False),  # offset_calculations.title
    "note": (1000, True),  # offset_factor_tables.note
}
DEFAULT_TEXT = (200, False)
# Passwords are checked by the password policy and hashed as typed: never normalised here.
VERBATIM_FIELDS = frozenset({"password"})
# (command, field) whose rows the handler checks itself, their text included, so that every
# bad line of a file is reported at once with its line and column, alongside the rows' other
# problems (handlers/projects.py ``_clean_row``, handlers/monitoring.py ``_clean_data``),
# instead of the first one here.
ROW_FIELDS = frozenset({("AddActivities", "activities"),
                        ("SubmitMonitoringData", "activities"),
                        ("RegisterDevices", "devices")})


MIN_INT = -(2**63)
MAX_INT = 2**63 - 1

# per command type: its field getter and, per field, (name, max length, multi-line, verbatim,
# checked row by row by its handler)
Rule = tuple[str, int, bool, bool, bool]
Plan = tuple[Callable[[Command], tuple[Any, ...]], tuple[Rule, ...]]
_PLANS: dict[type[Command], Plan] = {}


def _plan(command_type: type[Command]) -> Plan:
    plan = _PLANS.get(command_type)
    if plan is None:
        names = tuple(f.name for f in dataclasses.fields(command_type))
        rules = tuple((n, *TEXT_FIELDS.get(n, DEFAULT_TEXT), n in VERBATIM_FIELDS,
                       (command_type.__name__, n) in ROW_FIELDS) for n in names)
        getter = attrgetter(*names) if len(names) > 1 else (
            lambda command: tuple(getattr(command, n) for n in names))
        plan = _PLANS[command_type] = (getter, rules)
    return plan


def validated(command: C) -> C:
    """``command`` if its text and integers are storable, its NFC copy if that differs, or a
    ``ValidationError`` naming the first field at fault. The common case (short printable
    ASCII, small integers) costs a type test and a comparison or two per field: every
    command on the registry's hot path comes through here."""
    getter, rules = _plan(type(command))
    if not rules:
        return command
    changes: dict[str, Any] = {}
    for (name, max_length, multiline, verbatim, rows), value in zip(rules, getter(command),
                                                                    strict=True):
        kind = type(value)
        if kind is str:
            if len(value) <= max_length and value.isascii() and value.isprintable():
                continue
            if verbatim:
                _check_encodable(name, value)
                continue
            cleaned = clean_text(value, field=name, max_length=max_length,
                                 multiline=multiline)
            if cleaned != value:
                changes[name] = cleaned
        elif kind is int:
            if not MIN_INT <= value <= MAX_INT:
                check_db_int(value, field=name, minimum=MIN_INT)
        elif rows:
            continue
        elif kind in (tuple, list, dict):
            check_nested_text(value, field=name)
            for item in value if kind is not dict else ():
                if type(item) is int and not MIN_INT <= item <= MAX_INT:
                    check_db_int(item, field=name, minimum=MIN_INT)
    return dataclasses.replace(command, **changes) if changes else command


def _check_encodable(name: str, value: str) -> None:
    """A lone surrogate cannot be encoded to be hashed; anything else is left as typed."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{name} contains a lone surrogate, which is not a "
                              "character", field=name) from None
