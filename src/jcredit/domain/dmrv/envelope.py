"""A device's batch of readings: its envelope, canonical bytes, hash and readings
(docs/dmrv.md §2). Signature verification needs Ed25519, which is not in the standard
library: the adapters check it (jcredit.adapters.dmrv.signing) over :attr:`Batch.signed`.

Parsing refuses, with :class:`BatchRefused`, anything that is not exactly the contract: the
rule that refused it (R01 schema and units, R03 a conflicting duplicate inside the batch, R04
timestamps), the field and the reason, in English and in Japanese.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from decimal import localcontext
from functools import cached_property
from typing import Any

from jcredit.domain.dmrv.model import CADENCES
from jcredit.domain.dmrv.model import CHANNELS
from jcredit.domain.dmrv.model import QUALITIES
from jcredit.domain.dmrv.model import Quality
from jcredit.domain.errors import ValidationError
from jcredit.domain.text import shown

VERSION = 1
UNITS = {"Wh": 1, "kWh": 1000}
MAX_SEQ = 2**63 - 1  # a signed 64-bit integer, as the databases store it
MAX_WH = 10**15  # 1 PWh: far above any meter, far below the 64-bit columns
WH_DIGITS = 6  # no unit is finer than 1 Wh by more than this many decimal places
MAX_VALUE_TEXT = 64  # characters of a value written as text
# a value written as text: ASCII digits, an optional sign, point and exponent (not 1_000,
# not full-width digits, not spaces: what is read is what was written)
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # no reading of this scheme is older
MAX_READINGS = 20_000  # a month of half-hours on five channels is 7,440
DEVICE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEX64 = re.compile(r"[0-9a-f]{64}")
KEY_ID = re.compile(r"[0-9a-f]{16}")
_FIELDS = {"v", "device_id", "seq", "prev", "key_id", "created_at", "unit", "interval_s",
           "readings"}
_SERIES_FIELDS = {"channel", "start", "register", "energy", "quality"}
_READING_FIELDS = {"start", "channel", "register", "energy", "quality"}
CSV_MAGIC = "# jcredit-batch v1"
CSV_HEADER = ["start", "channel", "register", "energy", "quality"]


class BatchRefused(ValidationError):
    """A batch that breaks the contract: nothing of it is stored."""

    code = "batch_refused"

    def __init__(self, rule_id: str, field: str, message: str, message_ja: str) -> None:
        super().__init__(message, field=field)
        self.rule_id = rule_id
        self.message_ja = message_ja

    def __reduce__(self) -> tuple[Any, ...]:  # sent back from the parsing processes
        return (type(self), (self.rule_id, self.field, self.message, self.message_ja))

    def as_dict(self) -> dict[str, object]:
        return super().as_dict() | {"rule_id": self.rule_id, "message_ja": self.message_ja}


@dataclass
class Readings:
    """A batch's readings as parallel columns, in the order sent."""

    start: list[int] = field(default_factory=list)  # UTC epoch seconds
    channel: list[str] = field(default_factory=list)
    register_wh: list[int | None] = field(default_factory=list)
    energy_wh: list[int | None] = field(default_factory=list)
    quality: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.start)

    def keys(self) -> list[tuple[str, int]]:
        return list(zip(self.channel, self.start, strict=True))


@dataclass
class Batch:
    device_id: str
    seq: int
    prev: str
    key_id: str
    created_at: datetime  # UTC
    unit: str
    interval_s: int
    readings: Readings
    signed: bytes  # the bytes the signature covers
    hash: str  # SHA-256 hex of ``signed``
    form: str  # "json" or "csv"
    duplicates_in_batch: int = 0

    @cached_property
    def first_start(self) -> int:
        return min(self.readings.start)

    @cached_property
    def last_end(self) -> int:
        return max(self.readings.start) + self.interval_s


def canonical_bytes(batch: dict[str, Any]) -> bytes:
    """The bytes a JSON batch is signed and hashed over (docs/dmrv.md §2).

    >>> canonical_bytes({"b": 1, "a": ["日", None]})
    b'{"a":["\\xe6\\x97\\xa5",null],"b":1}'
    """
    return json.dumps(batch, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def batch_hash(signed: bytes) -> str:
    return hashlib.sha256(signed).hexdigest()


def _refuse(rule: str, fld: str, en: str, ja: str) -> BatchRefused:
    # what was sent is quoted in the reasons: its control and bidi characters escaped
    return BatchRefused(rule, shown(fld), shown(en), shown(ja))


def _no_float(text: str) -> Any:
    raise _refuse("R01", "batch", f"JSON number {text} is a float: write energies as integers "
                  "or decimal strings",
                  f"小数の数値 {text} は使えません。整数か文字列で書いてください")


def _no_constant(text: str) -> Any:
    raise _refuse("R01", "batch", f"{text} is not a number", f"{text} は数値ではありません")


def parse_envelope(raw: bytes) -> tuple[Batch, str]:
    """A JSON envelope ``{"batch": {...}, "signature": "..."}`` → the batch and its signature
    (base64 text, checked by the adapter)."""
    try:
        doc = json.loads(raw.decode("utf-8"), parse_float=_no_float, parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise _refuse("R01", "batch", "the body is not UTF-8",
                      "本文が UTF-8 ではありません") from exc
    except json.JSONDecodeError as exc:
        raise _refuse("R01", "batch", f"not JSON: {exc.msg} at line {exc.lineno}",
                      f"JSON として読めません（{exc.lineno} 行目）") from exc
    except RecursionError as exc:
        raise _refuse("R01", "batch", "the JSON is nested too deeply to be a batch",
                      "JSON の入れ子が深すぎます") from exc
    except ValueError as exc:  # an integer of more digits than Python converts
        raise _refuse("R01", "batch", "a number in the JSON is too long to be a value",
                      "JSON の数値が長すぎます") from exc
    if not isinstance(doc, dict) or set(doc) != {"batch", "signature"}:
        raise _refuse("R01", "batch", 'the envelope must be {"batch": {...}, "signature": "..."}',
                      "封筒は batch と signature の二つの項目からなります")
    body, signature = doc["batch"], doc["signature"]
    if not isinstance(body, dict):
        raise _refuse("R01", "batch", "batch must be an object", "batch はオブジェクトです")
    if not isinstance(signature, str):
        raise _refuse("R02", "signature", "signature must be base64 text",
                      "signature は base64 の文字列です")
    # the readings come as rows ("readings") or as a regular series per channel ("series")
    form = "series" if "series" in body and "readings" not in body else "readings"
    fields = _FIELDS - {"readings"} | {form}
    missing = fields - set(body)
    extra = set(body) - fields
    if missing or extra:
        name = sorted(missing or extra)[0]
        what = "is missing" if missing else "is not a batch field"
        raise _refuse("R01", f"batch.{name}", f"{name} {what}; the fields are "
                      f"{', '.join(sorted(fields))}",
                      f"{name} が{'ありません' if missing else '余分です'}")
    if body["v"] != VERSION:
        raise _refuse("R01", "batch.v", f"v must be {VERSION}", f"v は {VERSION} です")
    head = _head(body["device_id"], body["seq"], body["prev"], body["key_id"],
                 body["created_at"], body["unit"], body["interval_s"])
    builder = _Builder(head["unit"], head["interval_s"])
    if form == "series":
        _series(builder, body["series"])
        signed = canonical_bytes(body)
        return Batch(**head, readings=builder.readings, signed=signed, hash=batch_hash(signed),
                     form="json", duplicates_in_batch=builder.duplicates), signature
    rows = body["readings"]
    if not isinstance(rows, list) or not rows:
        raise _refuse("R01", "batch.readings", "readings must be a non-empty list",
                      "readings は空でない配列です")
    if len(rows) > MAX_READINGS:
        raise _refuse("R01", "batch.readings", f"at most {MAX_READINGS} readings per batch",
                      f"1 バッチの計測値は {MAX_READINGS} 件までです")
    for index, row in enumerate(rows):
        where = f"batch.readings[{index}]"
        if not isinstance(row, dict) or not {"start", "channel"} <= set(row) \
                or set(row) - _READING_FIELDS:
            raise _refuse("R01", where, "a reading is {start, channel, register and/or energy, "
                          "quality?}",
                          "計測値の項目は start, channel, register, energy, quality です")
        builder.add(where, row["start"], row["channel"], row.get("register"), row.get("energy"),
                    row.get("quality"))
    signed = canonical_bytes(body)
    return Batch(**head, readings=builder.readings, signed=signed, hash=batch_hash(signed),
                 form="json", duplicates_in_batch=builder.duplicates), signature


def _series(builder: _Builder, items: object) -> None:
    """``series``: per channel, a start and lists of values on the batch's grid (a ``null``
    pair is a gap). The compact form for gateways and back-fills: one time per channel."""
    if not isinstance(items, list) or not items:
        raise _refuse("R01", "batch.series", "series must be a non-empty list",
                      "series は空でない配列です")
    for index, item in enumerate(items):
        where = f"batch.series[{index}]"
        if not isinstance(item, dict) or not {"channel", "start"} <= set(item) \
                or set(item) - _SERIES_FIELDS or not ({"register", "energy"} & set(item)):
            raise _refuse("R01", where, "a series is {channel, start, register and/or energy "
                          "(lists), quality?}",
                          "series の項目は channel, start, register, energy, quality です")
        builder.add_series(where, item["start"], item["channel"], item.get("register"),
                           item.get("energy"), item.get("quality"))
        if len(builder.readings) > MAX_READINGS:
            raise _refuse("R01", "batch.series", f"at most {MAX_READINGS} readings per batch",
                          f"1 バッチの計測値は {MAX_READINGS} 件までです")


def parse_csv_batch(raw: bytes) -> Batch:
    """A CSV batch: ``# key=value`` header lines, then ``start,channel,register,energy,
    quality`` rows (docs/dmrv.md §2). The signed bytes are the file as sent."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse("R01", "file", "the file is not UTF-8",
                      "ファイルが UTF-8 ではありません") from exc
    lines = text.splitlines()
    if not lines or lines[0].strip() != CSV_MAGIC:
        raise _refuse("R01", "line 1", f"a CSV batch starts with the line '{CSV_MAGIC}'",
                      f"CSV バッチの 1 行目は「{CSV_MAGIC}」です")
    meta: dict[str, str] = {}
    number = 1
    for number, line in enumerate(lines[1:], start=2):
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].strip().partition("=")
        if not sep:
            raise _refuse("R01", f"line {number}", "a header line is '# key=value'",
                          "ヘッダ行は「# 項目=値」です")
        if key.strip() in meta:
            raise _refuse("R01", f"line {number}", f"the header '{key.strip()}' is given twice",
                          f"ヘッダ「{key.strip()}」が 2 回あります")
        meta[key.strip()] = value.strip()
    names = _FIELDS - {"v", "readings"}
    missing = sorted(names - set(meta))
    if missing:
        raise _refuse("R01", missing[0], f"the header line '# {missing[0]}=…' is missing",
                      f"ヘッダ行「# {missing[0]}=…」がありません")
    extra = sorted(set(meta) - names)
    if extra:
        raise _refuse("R01", extra[0], f"'{extra[0]}' is not a batch field",
                      f"{extra[0]} はバッチの項目ではありません")
    seq: object = meta["seq"]
    interval: object = meta["interval_s"]
    if isinstance(seq, str) and seq.isascii() and seq.isdigit() and len(seq) <= 19:
        seq = int(seq)
    if isinstance(interval, str) and interval.isascii() and interval.isdigit() \
            and len(interval) <= 6:
        interval = int(interval)
    head = _head(meta["device_id"], seq, meta["prev"], meta["key_id"], meta["created_at"],
                 meta["unit"], interval)
    reader = csv.reader(io.StringIO("\n".join(lines[number - 1:])))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] not in (CSV_HEADER, CSV_HEADER[:4]):
        raise _refuse("R01", f"line {number}", f"the column line is {','.join(CSV_HEADER)}",
                      f"列見出しは {','.join(CSV_HEADER)} です")
    builder = _Builder(head["unit"], head["interval_s"])
    for offset, row in enumerate(reader):
        where = f"line {number + 1 + offset}"
        if not row:
            continue
        if len(row) not in (4, 5):
            raise _refuse("R01", where, f"{len(row)} columns; a line has 4 or 5",
                          f"列が {len(row)} 個です（4 か 5 個）")
        if len(builder.readings) >= MAX_READINGS:
            raise _refuse("R01", where, f"at most {MAX_READINGS} readings per batch",
                          f"1 バッチの計測値は {MAX_READINGS} 件までです")
        builder.add(where, row[0].strip(), row[1].strip(), row[2].strip() or None,
                    row[3].strip() or None, row[4].strip() or None if len(row) == 5 else None)
    if not builder.readings.start:
        raise _refuse("R01", "file", "the batch has no readings", "計測値がありません")
    return Batch(**head, readings=builder.readings, signed=raw, hash=batch_hash(raw),
                 form="csv", duplicates_in_batch=builder.duplicates)


def parse_time(value: object, where: str) -> datetime:
    """An ISO 8601 time with a zone, as an aware UTC datetime."""
    if not isinstance(value, str):
        raise _refuse("R04", where, "a time is ISO 8601 text with a zone, e.g. "
                      "2026-05-01T00:00:00+09:00", "時刻は 2026-05-01T00:00:00+09:00 の形です")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _refuse("R04", where, f"{value!r} is not an ISO 8601 time",
                      f"{value} は ISO 8601 の時刻ではありません") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _refuse("R04", where, f"{value!r} has no time zone: write +09:00 or Z",
                      f"{value} にタイムゾーンがありません（+09:00 か Z を付けてください）")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # year 1 at +14:00, year 9999 at −23:59
        utc = None
    if utc is None or utc < EARLIEST:
        raise _refuse("R04", where, f"{value!r} is before {EARLIEST:%Y-%m-%d}: not a time of "
                      "a reading", f"{value} は {EARLIEST:%Y-%m-%d} より前です")
    return utc


def _head(device_id: object, seq: object, prev: object, key_id: object, created_at: object,
          unit: object, interval: object) -> dict[str, Any]:
    if not isinstance(device_id, str) or not DEVICE_ID.fullmatch(device_id):
        raise _refuse("R01", "device_id", "device_id is 1–64 of A–Z a–z 0–9 . _ -",
                      "device_id は英数字と . _ - の 1〜64 文字です")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise _refuse("R01", "seq", f"seq is an integer from 1 to {MAX_SEQ}",
                      f"seq は 1 以上 {MAX_SEQ} 以下の整数です")
    if not isinstance(prev, str) or not HEX64.fullmatch(prev):
        raise _refuse("R02", "prev", "prev is the previous batch's SHA-256 (64 lower-case hex "
                      "digits; 64 zeros for seq 1)",
                      "prev は前のバッチの SHA-256（16 進 64 桁）です")
    if not isinstance(key_id, str) or not KEY_ID.fullmatch(key_id):
        raise _refuse("R02", "key_id", "key_id is 16 lower-case hex digits",
                      "key_id は 16 進 16 桁です")
    if unit not in UNITS:
        raise _refuse("R01", "unit", f"unit must be one of {', '.join(UNITS)} (got {unit!r})",
                      f"unit は {'、'.join(UNITS)} のいずれかです")
    if interval not in CADENCES or isinstance(interval, bool):
        raise _refuse("R01", "interval_s", "interval_s is one of "
                      f"{', '.join(map(str, CADENCES))} (30 minutes or finer)",
                      "interval_s は 60, 300, 600, 900, 1800 のいずれかです")
    return {"device_id": device_id, "seq": seq, "prev": prev, "key_id": key_id,
            "created_at": parse_time(created_at, "created_at"), "unit": unit,
            "interval_s": interval}


class _Builder:
    """Adds readings to columns, converting values to integer Wh and refusing bad ones."""

    def __init__(self, unit: str, interval: int) -> None:
        self.factor = UNITS[unit]
        self.unit = unit
        self.interval = interval
        self.readings = Readings()
        self.times: dict[str, int] = {}
        self.seen: dict[tuple[str, int], int] = {}
        self.ranges: dict[str, list[tuple[int, int]]] = {}
        self.duplicates = 0

    def add(self, where: str, start: object, channel: object, register: object,
            energy: object, quality: object) -> None:
        epoch = self.times.get(start) if isinstance(start, str) else None
        if epoch is None:
            epoch = self._start(where, start)
            self.times[str(start)] = epoch
        if channel not in CHANNELS:
            raise _refuse("R01", f"{where}.channel", f"channel {channel!r} is not one of "
                          f"{', '.join(CHANNELS)}", f"チャネル {channel} は使えません")
        reg = self._wh(register, f"{where}.register")
        en = self._wh(energy, f"{where}.energy")
        if reg is None and en is None:
            raise _refuse("R01", where, "a reading has a register and/or an energy value",
                          "register か energy の少なくとも一方が必要です")
        q = Quality.MEASURED.value if quality is None else quality
        if q not in QUALITIES:
            raise _refuse("R01", f"{where}.quality", f"quality is one of {', '.join(QUALITIES)}",
                          f"quality は {'、'.join(QUALITIES)} のいずれかです")
        name, q = str(channel), str(q)
        key = (name, epoch)
        r = self.readings
        earlier = self.seen.get(key)
        if earlier is not None:
            if (r.register_wh[earlier], r.energy_wh[earlier], r.quality[earlier]) == (reg, en, q):
                self.duplicates += 1
                return
            raise _refuse("R03", where, f"{channel} at {start} appears twice with different "
                          "values", f"{channel} の {start} が異なる値で 2 回あります")
        self.seen[key] = len(r.start)
        r.start.append(epoch)
        r.channel.append(name)
        r.register_wh.append(reg)
        r.energy_wh.append(en)
        r.quality.append(q)

    def add_series(self, where: str, start: object, channel: object, register: object,
                   energy: object, quality: object) -> None:
        first = self._start(where, start)
        if channel not in CHANNELS:
            raise _refuse("R01", f"{where}.channel", f"channel {channel!r} is not one of "
                          f"{', '.join(CHANNELS)}", f"チャネル {channel} は使えません")
        name = str(channel)
        lists = [v for v in (register, energy) if isinstance(v, list)]
        given = [v for v in (register, energy) if v is not None]
        if len(lists) != len(given) or len({len(v) for v in lists}) != 1 or not lists[0]:
            raise _refuse("R01", where, "register and energy are non-empty lists of the same "
                          "length", "register と energy は同じ長さの配列です")
        n = len(lists[0])
        regs = self._column(register, n, f"{where}.register")
        ens = self._column(energy, n, f"{where}.energy")
        if quality is None or isinstance(quality, str):
            qualities = [quality or Quality.MEASURED.value] * n
        elif isinstance(quality, list) and len(quality) == n:
            qualities = [q or Quality.MEASURED.value for q in quality]
        else:
            raise _refuse("R01", f"{where}.quality", "quality is one text or a list as long as "
                          "the values", "quality は一つの文字列か値と同じ長さの配列です")
        for q in set(qualities):
            if q not in QUALITIES:
                raise _refuse("R01", f"{where}.quality", f"quality is one of "
                              f"{', '.join(QUALITIES)}",
                              f"quality は {'、'.join(QUALITIES)} のいずれかです")
        end = first + n * self.interval
        for other_start, other_end in self.ranges.get(name, ()):
            if first < other_end and other_start < end:
                raise _refuse("R03", where, f"two series of {name} overlap in one batch",
                              f"{name} の series が重なっています")
        self.ranges.setdefault(name, []).append((first, end))
        r = self.readings
        starts = range(first, end, self.interval)
        if None in regs and None in ens:  # some interval may have neither: a gap
            keep = [i for i in range(n) if regs[i] is not None or ens[i] is not None]
            r.start.extend(starts[i] for i in keep)
            r.register_wh.extend(regs[i] for i in keep)
            r.energy_wh.extend(ens[i] for i in keep)
            r.quality.extend(qualities[i] for i in keep)
            r.channel.extend([name] * len(keep))
            return
        r.start.extend(starts)
        r.register_wh.extend(regs)
        r.energy_wh.extend(ens)
        r.quality.extend(qualities)
        r.channel.extend([name] * n)

    def _start(self, where: str, start: object) -> int:
        moment = parse_time(start, f"{where}.start")
        epoch = int(moment.timestamp())
        if moment.microsecond or epoch % self.interval:
            raise _refuse("R04", f"{where}.start", f"{start} is not on the {self.interval}-"
                          "second grid", f"{start} が {self.interval} 秒の区切りにありません")
        return epoch

    def _column(self, values: object, n: int, where: str) -> list[int | None]:
        """A list of values as integer Wh (``None`` kept): a fast path for integer Wh."""
        if values is None:
            return [None] * n
        assert isinstance(values, list)
        if self.factor == 1 and set(map(type, values)) <= {int}:
            if values and min(values) < 0:
                bad = next(v for v in values if v < 0)
                raise _refuse("R01", where, f"{bad} is negative; meters count up from 0",
                              f"{bad} は負の値です")
            if values and max(values) > MAX_WH:
                raise _too_big(where)
            return values
        return [self._wh(v, f"{where}[{i}]") for i, v in enumerate(values)]

    def _wh(self, value: object, where: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            wh = value * self.factor
        elif isinstance(value, str):
            if len(value) > MAX_VALUE_TEXT:
                raise _too_big(where)
            if not NUMBER.fullmatch(value):
                raise _refuse("R01", where, f"{value!r} is not a number (digits 0-9, a point, "
                              "an exponent)", f"{value} は数値ではありません（半角数字で）")
            given = Decimal(value)
            if given.copy_abs() > MAX_WH:
                raise _too_big(where)  # before any arithmetic: 1E999999999 is finite
            if given and given.adjusted() < -WH_DIGITS:
                # far below 1 Wh (1E-999999999): the arithmetic would round it to 0
                raise _refuse("R01", where, f"{value} {self.unit} is not a whole number of Wh "
                              "(finer than 1 Wh is not recorded)",
                              f"{value} {self.unit} は 1 Wh 単位になりません")
            with localcontext() as exact_context:  # exact: no rounding to 28 digits
                exact_context.prec = 2 * MAX_VALUE_TEXT
                exact = given * self.factor
            if not exact.is_finite() or exact != exact.to_integral_value():
                raise _refuse("R01", where, f"{value} {self.unit} is not a whole number of Wh "
                              "(finer than 1 Wh is not recorded)",
                              f"{value} {self.unit} は 1 Wh 単位になりません")
            wh = int(exact)
        else:
            raise _refuse("R01", where, "a value is an integer or a decimal string",
                          "値は整数か数値の文字列です")
        if wh < 0:
            raise _refuse("R01", where, f"{value} is negative; meters count up from 0",
                          f"{value} は負の値です")
        if wh > MAX_WH:
            raise _too_big(where)
        return wh


def _too_big(where: str) -> BatchRefused:
    return _refuse("R01", where, f"a value above {MAX_WH} Wh is not a meter's",
                   f"{MAX_WH} Wh を超える値は計測値ではありません")


def utc_iso(epoch: int) -> str:
    """An epoch second as UTC ISO 8601 text.

    >>> utc_iso(0)
    '1970-01-01T00:00:00Z'
    """
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
