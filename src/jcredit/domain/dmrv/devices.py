"""The device registry (docs/dmrv.md §1): a device and its keys, the check of every field
an operator types, and whether a key accepts a batch received at a given time.

A **device** (a meter, a PCS or a gateway) reports for one site, a reduction activity of a
project (``PROJECT/ACTIVITY``). Its fields are checked here, the same way for the web form,
the API, the CLI and each line of a bulk CSV: every parser raises a
:class:`~jcredit.domain.errors.ValidationError` naming its field and what is valid, and
:func:`parse_device` runs them all through a ``check`` callable so that the caller collects
every problem at once (a form's :class:`~jcredit.domain.errors.FieldChecks`, or a file's
line-by-line problem list).

**Keys** are Ed25519 public keys, 32 raw bytes. They are read here with the standard library
only (base64, hex or a PEM ``PUBLIC KEY`` block, whose DER is a fixed 12-byte prefix and the
32 bytes), and checked to be a point of the curve that is not of small order: a small-order
key (the identity, for one) would let anyone forge "valid" signatures, so it is refused at
registration rather than discovered in the data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any
from typing import TypeVar

from jcredit.domain.dmrv.model import CHANNELS
from jcredit.domain.dmrv.model import Channel
from jcredit.domain.dmrv.model import SiteFacts
from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import ValidationError
from jcredit.domain.parsing import parse_date
from jcredit.domain.parsing import parse_decimal

T = TypeVar("T")

# docs/dmrv.md §1: the operator chooses the id (a serial is a good one).
DEVICE_ID_CHARACTERS = "A–Z a–z 0–9 . _ -"
_DEVICE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_SERIAL_LENGTH = 64

# docs/dmrv.md §1: Japan lies within 20–46 °N and 122–154 °E (Okinotorishima to Etorofu,
# Yonaguni to Minamitorishima); tilt 0–90°, azimuth 0–360° with 180 = south.
LATITUDE_RANGE = (Decimal(20), Decimal(46))
LONGITUDE_RANGE = (Decimal(122), Decimal(154))
TILT_RANGE = (Decimal(0), Decimal(90))
AZIMUTH_RANGE = (Decimal(0), Decimal(360))
# Storage bounds, not scheme rules: a capacity is written to the watt (3 decimals of kW)
# and below 1 GW; an angle or a coordinate to 8 decimals (about a millimetre).
CAPACITY_DECIMALS = 3
MAX_CAPACITY_KW = Decimal(1_000_000)
ANGLE_DECIMALS = 8

# docs/dmrv.md §1: a retired key's batches are still accepted for 7 days after the
# rotation (data buffered in a gateway arriving late). A design choice of this registry,
# not a scheme threshold.
RETIRED_KEY_GRACE = timedelta(days=7)

KEY_BYTES = 32
KEY_ID_HEX_DIGITS = 16
# DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): SEQUENCE { SEQUENCE { OID
# 1.3.101.112 } BIT STRING (33 bytes: 0 unused bits, then the 32-byte key) }.
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
PEM_HEAD = "-----BEGIN PUBLIC KEY-----"
PEM_TAIL = "-----END PUBLIC KEY-----"
_HEX_KEY = re.compile(r"[0-9A-Fa-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")


class KeyStatus(StrEnum):
    ACTIVE = "ACTIVE"  # 有効: the device signs with it now
    RETIRED = "RETIRED"  # 切替済: replaced by a newer key; accepted for the grace period
    REVOKED = "REVOKED"  # 失効: nothing received after the revocation is accepted


# --- keys ------------------------------------------------------------------------------


_P = 2**255 - 19  # RFC 8032 §5.1: the field of edwards25519
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _decode_point(raw: bytes) -> tuple[int, int] | None:
    """The point a 32-byte encoding names (RFC 8032 §5.1.3), or None if it names none."""
    y = int.from_bytes(raw, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= _P:
        return None
    y2 = y * y % _P
    u, v = (y2 - 1) % _P, (_D * y2 + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    vx2 = v * x * x % _P
    if vx2 == (-u) % _P:
        x = x * _SQRT_M1 % _P
    elif vx2 != u:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = _P - x
    return x, y


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """Edwards addition on -x² + y² = 1 + d·x²·y² (complete: d is not a square)."""
    (x1, y1), (x2, y2) = a, b
    t = _D * x1 * x2 * y1 * y2 % _P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + t, _P - 2, _P) % _P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, _P - 2, _P) % _P
    return x3, y3


def is_usable_ed25519_key(raw: bytes) -> bool:
    """Whether ``raw`` encodes a curve point whose order is not 1, 2, 4 or 8 (8·P ≠ O)."""
    if len(raw) != KEY_BYTES:
        return False
    point = _decode_point(raw)
    if point is None:
        return False
    for _ in range(3):
        point = _add(point, point)
    return point != (0, 1)


def parse_public_key(value: object, *, field: str = "public_key") -> bytes:
    """The 32 raw bytes of an Ed25519 public key written as standard base64 (44
    characters), hex (64 digits) or a PEM ``PUBLIC KEY`` block (docs/dmrv.md §1).

    >>> parse_public_key("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").hex()[:8]
    'd75a9801'
    """
    text = str(value if value is not None else "").strip()
    formats = ("an Ed25519 public key is 32 bytes written as base64 (44 characters), hex "
               "(64 digits) or a PEM PUBLIC KEY block")
    if not text:
        raise ValidationError(f"{field} is required: {formats}", field=field)
    raw: bytes | None = None
    if text.startswith(PEM_HEAD):
        body = text.removeprefix(PEM_HEAD).split(PEM_TAIL)[0]
        try:
            der = base64.b64decode("".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            der = b""
        if len(der) != len(ED25519_SPKI_PREFIX) + KEY_BYTES or \
                not der.startswith(ED25519_SPKI_PREFIX):
            raise ValidationError(f"{field}: the PEM block is not an Ed25519 public key",
                                  field=field)
        raw = der[len(ED25519_SPKI_PREFIX):]
    elif _HEX_KEY.fullmatch(text):
        raw = bytes.fromhex(text)
    else:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != KEY_BYTES:
        raise ValidationError(f"{field}: {formats}", field=field)
    if not is_usable_ed25519_key(raw):
        raise ValidationError(f"{field} is not a usable Ed25519 public key (not a point of the "
                              "curve, or one of small order that would accept forged "
                              "signatures)", field=field)
    return raw


def key_id(raw: bytes) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key (docs/dmrv.md §1)."""
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_HEX_DIGITS]


def parse_key_id(value: object, *, field: str = "key_id") -> str:
    text = str(value if value is not None else "").strip().lower()
    if not _KEY_ID.fullmatch(text):
        raise ValidationError(f"{field} must be 16 hex digits (the first 16 of the SHA-256 of "
                              "the raw public key)", field=field)
    return text


def key_text(raw: bytes) -> str:
    """The key as people and files write it: standard base64 of the 32 raw bytes."""
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class DeviceKey:
    """One public key of a device, with its life: added, perhaps retired (by a rotation),
    perhaps revoked. Times are UTC."""

    key_id: str
    public_key: bytes
    status: KeyStatus
    added_at: datetime
    retired_at: datetime | None = None
    revoked_at: datetime | None = None
    added_by: str = ""

    @property
    def public_key_b64(self) -> str:
        return key_text(self.public_key)

    @property
    def accepts_until(self) -> datetime | None:
        """The receipt time from which nothing is accepted any more (None: no end yet)."""
        ends = [t for t in (self.revoked_at,
                            self.retired_at + RETIRED_KEY_GRACE if self.retired_at else None)
                if t is not None]
        return min(ends) if ends else None


def key_accepts(key: DeviceKey, received_at: datetime) -> bool:
    """Whether a batch signed with ``key`` and received at ``received_at`` is accepted.

    Active: yes. Retired: until ``retired_at`` + 7 days (buffered data arriving late).
    Revoked: only what was received before ``revoked_at``, whatever time the batch claims
    (docs/dmrv.md §1). A retired key that is then revoked ends at the earlier of the two.
    """
    end = key.accepts_until
    return end is None or received_at < end


# --- the device's fields ------------------------------------------------------------------


def parse_device_id(value: object, *, field: str = "device_id") -> str:
    text = str(value if value is not None else "").strip()
    if not _DEVICE_ID.fullmatch(text):
        got = f", got {text!r}" if text else ""
        raise ValidationError(f"{field} must be 1–64 characters of {DEVICE_ID_CHARACTERS}"
                              f"{got}", field=field)
    return text


def _decimals(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _fixed(number: Decimal) -> Decimal:
    """The same number without an exponent (``1E+1`` → ``10``), as it is stored."""
    return Decimal(format(number, "f"))


def parse_capacity(value: object, *, field: str) -> Decimal:
    """A PV capacity in kW: > 0, below 1 GW, to the watt at most."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(f"{field} is required (kW, e.g. 5.5)", field=field)
    number = parse_decimal(value, field=field, minimum=None, unit="kW")
    if number <= 0:
        raise ValidationError(f"{field} must be more than 0 kW, got {number}", field=field)
    if number >= MAX_CAPACITY_KW:
        raise ValidationError(f"{field} must be below {MAX_CAPACITY_KW} kW, got {number}",
                              field=field)
    if _decimals(number) > CAPACITY_DECIMALS:
        raise ValidationError(f"{field} has more than {CAPACITY_DECIMALS} decimals (finer "
                              f"than a watt), got {number}", field=field)
    return _fixed(number)


def _ranged(value: object, *, field: str, bounds: tuple[Decimal, Decimal], unit: str,
            what: str) -> Decimal:
    number = parse_decimal(value, field=field, minimum=None, unit=unit)
    low, high = bounds
    if not low <= number <= high:
        raise ValidationError(f"{field} must be {low}–{high}{unit} ({what}), got {number}",
                              field=field)
    if _decimals(number) > ANGLE_DECIMALS:
        raise ValidationError(f"{field} has more than {ANGLE_DECIMALS} decimals, got {number}",
                              field=field)
    return _fixed(number)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_latitude(value: object, *, field: str = "latitude") -> Decimal:
    if _blank(value):
        raise ValidationError(f"{field} is required (°N, e.g. 35.4233)", field=field)
    return _ranged(value, field=field, bounds=LATITUDE_RANGE, unit="°",
                   what="north latitude in Japan")


def parse_longitude(value: object, *, field: str = "longitude") -> Decimal:
    if _blank(value):
        raise ValidationError(f"{field} is required (°E, e.g. 136.7606)", field=field)
    return _ranged(value, field=field, bounds=LONGITUDE_RANGE, unit="°",
                   what="east longitude in Japan")


def parse_tilt(value: object, *, field: str = "tilt") -> Decimal | None:
    if _blank(value):
        return None
    return _ranged(value, field=field, bounds=TILT_RANGE, unit="°",
                   what="0 = horizontal, 90 = vertical")


def parse_azimuth(value: object, *, field: str = "azimuth") -> Decimal | None:
    if _blank(value):
        return None
    return _ranged(value, field=field, bounds=AZIMUTH_RANGE, unit="°",
                   what="clockwise from north, 180 = south")


def parse_serial(value: object, *, field: str = "serial") -> str:
    text = " ".join(str(value if value is not None else "").split())
    if not text:
        raise ValidationError(f"{field} is required: the meter's or PCS's serial number",
                              field=field)
    if len(text) > MAX_SERIAL_LENGTH:
        raise ValidationError(f"{field} must be at most {MAX_SERIAL_LENGTH} characters, got "
                              f"{len(text)}", field=field)
    return text


def parse_commissioned_on(value: object, *, field: str = "commissioned_on") -> date:
    if _blank(value):
        raise ValidationError(f"{field} is required: the date the device began to operate "
                              "(YYYY-MM-DD)", field=field)
    return parse_date(value, field=field)


def parse_certification_expires(value: object, *, field: str = "certification_expires"
                                ) -> date | None:
    """The meter's 検定 expiry; empty for a device that is not a certified meter (a PCS)."""
    if _blank(value):
        return None
    return parse_date(value, field=field)


def parse_channels(value: object, *, field: str = "channels") -> tuple[str, ...]:
    """A subset of the channels with ``generation`` in it, in their canonical order: a list,
    or text separated by ``;`` (the bulk CSV) or ``,``.

    >>> parse_channels("export; generation")
    ('generation', 'export')
    """
    if _blank(value):
        names: list[str] = [Channel.GENERATION.value]
    elif isinstance(value, str):
        names = [n.strip().lower() for n in re.split(r"[;,]", value) if n.strip()]
    elif isinstance(value, list | tuple):
        names = [str(n).strip().lower() for n in value]
    else:
        raise ValidationError(f"{field} must be a list of channels or text separated by ';'",
                              field=field, valid=CHANNELS)
    unknown = [n for n in names if n not in CHANNELS]
    if unknown:
        raise ValidationError(f"{field}: unknown channel {unknown[0]!r}", field=field,
                              valid=CHANNELS)
    if Channel.GENERATION.value not in names:
        raise ValidationError(f"{field} must include generation (the PV output the credits "
                              "come from)", field=field, valid=CHANNELS)
    return tuple(c for c in CHANNELS if c in names)


@dataclass(frozen=True)
class DeviceFields:
    """The fields an operator gives for a device, checked (docs/dmrv.md §1)."""

    device_id: str
    capacity_ac_kw: Decimal
    capacity_dc_kw: Decimal
    commissioned_on: date
    latitude: Decimal
    longitude: Decimal
    tilt: Decimal | None
    azimuth: Decimal | None
    serial: str
    certification_expires: date | None
    channels: tuple[str, ...]
    public_key: bytes


# Each field, in the order of the bulk CSV's columns, with its parser.
FIELD_PARSERS: tuple[tuple[str, Callable[[object], Any]], ...] = (
    ("device_id", parse_device_id),
    ("capacity_ac_kw", lambda v: parse_capacity(v, field="capacity_ac_kw")),
    ("capacity_dc_kw", lambda v: parse_capacity(v, field="capacity_dc_kw")),
    ("commissioned_on", parse_commissioned_on),
    ("latitude", parse_latitude),
    ("longitude", parse_longitude),
    ("tilt", parse_tilt),
    ("azimuth", parse_azimuth),
    ("serial", parse_serial),
    ("certification_expires", parse_certification_expires),
    ("channels", parse_channels),
    ("public_key", parse_public_key),
)
DEVICE_FIELDS = tuple(name for name, _ in FIELD_PARSERS)

Check = Callable[[str, Callable[[], T]], T | None]


def _one(parse: Callable[[object], Any], value: object) -> tuple[Any]:
    return (parse(value),)


def parse_device(values: Mapping[str, object], check: Check[Any]) -> DeviceFields | None:
    """Every field of ``values`` parsed through ``check(field, parse)``, which returns the
    parsed value or None after recording the problem; the fields, or None if any failed.

    An optional field's value may be None itself, so each parse is wrapped in a 1-tuple:
    ``check`` returning None means a problem, ``(None,)`` an empty optional field.
    """
    parsed: dict[str, Any] = {}
    failed = False
    for name, parse in FIELD_PARSERS:
        result = check(name, partial(_one, parse, values.get(name)))
        if result is None:
            failed = True
        else:
            parsed[name] = result[0]
    return None if failed else DeviceFields(**parsed)


def check_device(values: Mapping[str, object]) -> DeviceFields:
    """The fields of one device, or every problem at once (FieldChecks)."""
    checks = FieldChecks()
    fields = parse_device(values, lambda _name, parse: checks(parse))
    checks.done()
    assert fields is not None
    return fields


# --- the device -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    """A registered device: its fields, the site it reports for, and its keys (oldest
    first). Everything batch ingestion needs to place and check a batch."""

    device_id: str
    project_number: str
    activity_code: str
    capacity_ac_kw: Decimal
    capacity_dc_kw: Decimal
    commissioned_on: date
    latitude: Decimal
    longitude: Decimal
    serial: str
    channels: tuple[str, ...]
    tilt: Decimal | None = None
    azimuth: Decimal | None = None
    certification_expires: date | None = None
    keys: tuple[DeviceKey, ...] = dc_field(default=())
    registered_at: datetime | None = None
    registered_by: str = ""
    project_id: int = 0
    activity_id: int = 0

    @property
    def site(self) -> str:
        """The site's id, ``PROJECT/ACTIVITY`` (docs/dmrv.md §1)."""
        return f"{self.project_number}/{self.activity_code}"

    @property
    def active_key(self) -> DeviceKey | None:
        return next((k for k in reversed(self.keys) if k.status is KeyStatus.ACTIVE), None)

    def key(self, key_id_: str) -> DeviceKey | None:
        return next((k for k in self.keys if k.key_id == key_id_), None)

    def accepts(self, key: DeviceKey, received_at: datetime) -> bool:
        """:func:`key_accepts`, as batch ingestion asks it of the device it looked up."""
        return key_accepts(key, received_at)

    def keys_accepting(self, received_at: datetime) -> tuple[DeviceKey, ...]:
        return tuple(k for k in self.keys if key_accepts(k, received_at))

    def site_facts(self) -> SiteFacts:
        """What the rules know of the site (docs/dmrv.md §4)."""
        return SiteFacts(
            site=self.site, device_id=self.device_id, capacity_ac_kw=self.capacity_ac_kw,
            capacity_dc_kw=self.capacity_dc_kw, latitude=self.latitude,
            longitude=self.longitude, commissioned_on=self.commissioned_on,
            certification_expires=self.certification_expires, tilt=self.tilt,
            azimuth=self.azimuth, channels=self.channels, programme=self.project_number)


def new_device(fields: DeviceFields, *, project_number: str, activity_code: str,
               project_id: int, activity_id: int, at: datetime, by: str) -> Device:
    """A device as registered now, with its first key active."""
    first = DeviceKey(key_id=key_id(fields.public_key), public_key=fields.public_key,
                      status=KeyStatus.ACTIVE, added_at=at, added_by=by)
    return Device(
        device_id=fields.device_id, project_number=project_number,
        activity_code=activity_code, capacity_ac_kw=fields.capacity_ac_kw,
        capacity_dc_kw=fields.capacity_dc_kw, commissioned_on=fields.commissioned_on,
        latitude=fields.latitude, longitude=fields.longitude, serial=fields.serial,
        channels=fields.channels, tilt=fields.tilt, azimuth=fields.azimuth,
        certification_expires=fields.certification_expires, keys=(first,),
        registered_at=at, registered_by=by, project_id=project_id, activity_id=activity_id)
