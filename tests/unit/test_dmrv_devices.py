"""The device registry's domain (docs/dmrv.md §1): every field's check, the keys (formats,
key id, unusable points) and which receipt times a key accepts."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jcredit.domain.dmrv import devices as d
from jcredit.domain.dmrv.devices import DeviceKey
from jcredit.domain.dmrv.devices import KeyStatus
from jcredit.domain.dmrv.devices import key_accepts
from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import ValidationError

T0 = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


def raw_key(seed: int = 1) -> bytes:
    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(bytes([seed])).digest())
    return private.public_key().public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw)


def good(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "device_id": "PV-000123", "capacity_ac_kw": "4.5", "capacity_dc_kw": "5.2",
        "commissioned_on": "2024-04-01", "latitude": "35.4233", "longitude": "136.7606",
        "tilt": "30", "azimuth": "180", "serial": "SN 12345",
        "certification_expires": "2032-03-31", "channels": "generation;export",
        "public_key": base64.b64encode(raw_key()).decode()}
    return values | changes


# --- keys ----------------------------------------------------------------------------------


def test_a_key_is_read_from_base64_hex_and_pem_to_the_same_32_bytes() -> None:
    private = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    for text in (base64.b64encode(raw).decode(), raw.hex(), raw.hex().upper(), pem.decode(),
                 f"  {raw.hex()}\n"):
        assert d.parse_public_key(text) == raw
    assert d.key_id(raw) == hashlib.sha256(raw).hexdigest()[:16]
    assert d.key_text(raw) == base64.b64encode(raw).decode()


def test_the_key_id_is_the_one_the_signer_gives() -> None:
    from jcredit.adapters.dmrv.signing import DeviceSigner

    signer = DeviceSigner.from_seed(b"fleet/PV-1")
    assert d.key_id(d.parse_public_key(signer.public_b64)) == signer.key_id


@pytest.mark.parametrize("text", [
    "", "abc", "A" * 43, base64.b64encode(bytes(31)).decode(), base64.b64encode(bytes(33)).decode(),
    "g" * 64, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    # an RSA-style SPKI prefix: not Ed25519
    "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(bytes(44)).decode()
    + "\n-----END PUBLIC KEY-----"])
def test_what_is_not_a_32_byte_key_is_refused_naming_the_formats(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        d.parse_public_key(text)
    assert caught.value.field == "public_key"


def _has_square_root(y: int) -> bool:
    """Euler's criterion for x² = (y² − 1)/(d·y² + 1): an independent test of whether y is
    the coordinate of some point of edwards25519."""
    p = 2**255 - 19
    dd = (-121665 * pow(121666, p - 2, p)) % p
    u, v = (y * y - 1) % p, (dd * y * y + 1) % p
    x2 = u * pow(v, p - 2, p) % p
    return x2 == 0 or pow(x2, (p - 1) // 2, p) == 1


def test_32_bytes_that_name_no_point_of_the_curve_are_refused() -> None:
    refused = accepted = 0
    for y in range(2, 80):
        raw = y.to_bytes(32, "little")
        on_curve = _has_square_root(y)
        if not on_curve:
            refused += 1
            assert not d.is_usable_ed25519_key(raw)
            with pytest.raises(ValidationError, match="not a usable Ed25519"):
                d.parse_public_key(raw.hex())
        elif d.is_usable_ed25519_key(raw):
            accepted += 1
    assert refused > 10 and accepted > 10  # both kinds were seen


@pytest.mark.parametrize("raw", [
    (1).to_bytes(32, "little"),  # the identity: every signature (R = s·B) would verify
    bytes(32),  # y = 0: a point of order 4
    ((2**255 - 19) - 1).to_bytes(32, "little"),  # y = -1: order 2
    ((2**255 - 19) + 1).to_bytes(32, "little"),  # y ≥ p: not canonical
], ids=["identity", "order-4", "order-2", "non-canonical"])
def test_small_order_and_non_canonical_keys_are_refused(raw: bytes) -> None:
    assert not d.is_usable_ed25519_key(raw)


def test_real_keys_are_usable() -> None:
    for seed in range(50):
        assert d.is_usable_ed25519_key(raw_key(seed))


# --- key_accepts -------------------------------------------------------------------------------


def key(status: KeyStatus, retired: datetime | None = None,
        revoked: datetime | None = None) -> DeviceKey:
    raw = raw_key()
    return DeviceKey(key_id=d.key_id(raw), public_key=raw, status=status, added_at=T0,
                     retired_at=retired, revoked_at=revoked)


def test_an_active_key_accepts_whatever_is_received() -> None:
    active = key(KeyStatus.ACTIVE)
    assert key_accepts(active, T0 + timedelta(days=3650))
    assert active.accepts_until is None


def test_a_retired_key_accepts_for_seven_days_after_the_rotation() -> None:
    rotated = T0 + timedelta(days=30)
    retired = key(KeyStatus.RETIRED, retired=rotated)
    assert key_accepts(retired, rotated + timedelta(days=7) - timedelta(microseconds=1))
    assert not key_accepts(retired, rotated + timedelta(days=7))
    assert not key_accepts(retired, rotated + timedelta(days=8))
    assert timedelta(days=7) == d.RETIRED_KEY_GRACE


def test_a_revoked_key_accepts_only_what_was_received_before_the_revocation() -> None:
    revoked_at = T0 + timedelta(days=10)
    revoked = key(KeyStatus.REVOKED, revoked=revoked_at)
    assert key_accepts(revoked, revoked_at - timedelta(seconds=1))
    assert not key_accepts(revoked, revoked_at)
    assert not key_accepts(revoked, revoked_at + timedelta(minutes=5))


def test_a_retired_key_revoked_in_its_grace_period_ends_at_the_revocation() -> None:
    rotated = T0 + timedelta(days=30)
    both = key(KeyStatus.REVOKED, retired=rotated, revoked=rotated + timedelta(days=2))
    assert key_accepts(both, rotated + timedelta(days=1))
    assert not key_accepts(both, rotated + timedelta(days=3))  # inside the 7 days, but revoked
    assert both.accepts_until == rotated + timedelta(days=2)
    late = key(KeyStatus.REVOKED, retired=rotated, revoked=rotated + timedelta(days=30))
    assert late.accepts_until == rotated + timedelta(days=7)


# --- fields -----------------------------------------------------------------------------------


def test_a_good_device_is_read_exactly() -> None:
    fields = d.check_device(good(capacity_ac_kw=Decimal("4.50"), latitude="3.54233E+1"))
    assert fields.device_id == "PV-000123"
    assert fields.capacity_ac_kw == Decimal("4.50") and fields.capacity_dc_kw == Decimal("5.2")
    assert str(fields.latitude) == "35.4233"  # stored without an exponent
    assert fields.commissioned_on == date(2024, 4, 1)
    assert fields.channels == ("generation", "export")
    assert fields.tilt == Decimal(30) and fields.azimuth == Decimal(180)
    assert fields.public_key == raw_key()


def test_optional_fields_may_be_empty() -> None:
    fields = d.check_device(good(tilt="", azimuth=None, certification_expires=" ", channels=""))
    assert fields.tilt is None and fields.azimuth is None
    assert fields.certification_expires is None
    assert fields.channels == ("generation",)


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        d.check_device(good(device_id="PV 1", capacity_ac_kw="0", capacity_dc_kw="abc",
                            commissioned_on="2024-13-01", latitude="50", longitude="100",
                            tilt="91", azimuth="-1", serial="", certification_expires="soon",
                            channels="export", public_key="nope"))
    fields = [e["field"] for e in caught.value.errors or ()]
    assert fields == list(d.DEVICE_FIELDS)


@pytest.mark.parametrize(("name", "value", "words"), [
    ("device_id", "", "1–64 characters"),
    ("device_id", "x" * 65, "1–64 characters"),
    ("device_id", "PV/1", "1–64 characters"),
    ("device_id", "機器1", "1–64 characters"),
    ("capacity_ac_kw", "-1", "more than 0"),
    ("capacity_ac_kw", "1000000", "below"),
    ("capacity_ac_kw", "4.0001", "decimals"),
    ("capacity_ac_kw", "1,5", "number"),
    ("capacity_dc_kw", None, "required"),
    ("capacity_dc_kw", 5.5, "written exactly"),  # a float is never read
    ("latitude", "19.99", "20–46"),
    ("latitude", "46.01", "20–46"),
    ("latitude", "35.123456789", "decimals"),
    ("longitude", "121.9", "122–154"),
    ("longitude", "", "required"),
    ("tilt", "-0.5", "0–90"),
    ("azimuth", "360.1", "0–360"),
    ("serial", "   ", "required"),
    ("serial", "S" * 65, "at most 64"),
    ("commissioned_on", "", "required"),
    ("commissioned_on", "2024/04/01", "YYYY-MM-DD"),
    ("certification_expires", "2032-02-30", "does not exist in the calendar"),
    ("channels", "generation;solar", "unknown channel"),
    ("channels", "import", "must include generation"),
    ("channels", 5, "a list"),
])
def test_each_field_names_itself_and_what_is_valid(name: str, value: object,
                                                    words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        d.check_device(good(**{name: value}))
    assert caught.value.field == name
    assert words in caught.value.message


def test_the_range_ends_are_accepted() -> None:
    for lat, lon, tilt, azimuth in (("20", "122", "0", "0"), ("46", "154", "90", "360")):
        fields = d.check_device(good(latitude=lat, longitude=lon, tilt=tilt, azimuth=azimuth))
        assert (fields.latitude, fields.longitude) == (Decimal(lat), Decimal(lon))
    assert d.parse_capacity("0.001", field="c") == Decimal("0.001")
    assert d.parse_device_id("a.B_c-9" + "x" * 57) == "a.B_c-9" + "x" * 57


def test_channels_come_in_their_canonical_order_without_repeats() -> None:
    assert d.parse_channels(["IMPORT", "generation", "export", "generation"]) == (
        "generation", "export", "import")
    assert d.parse_channels("battery_discharge, generation ; battery_charge") == (
        "generation", "battery_charge", "battery_discharge")
    with pytest.raises(ValidationError) as caught:
        d.parse_channels("generation;wind")
    assert caught.value.valid == ("generation", "export", "import", "battery_charge",
                                  "battery_discharge")


def test_parse_device_reports_each_problem_through_the_callers_check() -> None:
    seen: list[str] = []
    checks = FieldChecks()

    def check(name: str, parse: object) -> object:
        seen.append(name)
        return checks(parse)  # type: ignore[arg-type]

    assert d.parse_device(good(latitude="99", tilt=""), check) is None
    assert seen == list(d.DEVICE_FIELDS)
    assert [p.field for p in checks.problems] == ["latitude"]


def test_the_key_id_is_16_hex_digits() -> None:
    assert d.parse_key_id(" 3F9A0C1D2E4B5A69 ") == "3f9a0c1d2e4b5a69"
    for bad in ("3f9a", "3f9a0c1d2e4b5a6g", "", None):
        with pytest.raises(ValidationError):
            d.parse_key_id(bad)


# --- the device --------------------------------------------------------------------------------


def test_a_new_device_has_its_first_key_active_and_gives_the_rules_its_site() -> None:
    fields = d.check_device(good())
    device = d.new_device(fields, project_number="JCP-000007", activity_code="HH-0001",
                          project_id=7, activity_id=70, at=T0, by="user:taiyo")
    assert device.site == "JCP-000007/HH-0001"
    assert device.active_key is not None and device.active_key.status is KeyStatus.ACTIVE
    assert device.active_key.key_id == d.key_id(raw_key())
    assert device.key(d.key_id(raw_key())) is device.active_key
    assert device.key("0" * 16) is None
    assert device.keys_accepting(T0 + timedelta(days=1)) == device.keys
    assert device.accepts(device.keys[0], T0 + timedelta(days=1))
    facts = device.site_facts()
    assert facts.site == "JCP-000007/HH-0001" and facts.device_id == "PV-000123"
    assert facts.capacity_ac_kw == Decimal("4.5") and facts.capacity_dc_kw == Decimal("5.2")
    assert (facts.latitude, facts.longitude) == (Decimal("35.4233"), Decimal("136.7606"))
    assert facts.commissioned_on == date(2024, 4, 1)
    assert facts.certification_expires == date(2032, 3, 31)
    assert facts.channels == ("generation", "export") and facts.programme == "JCP-000007"
