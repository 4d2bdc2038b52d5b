"""The fleet simulator: realistic household PV for N sites over D days, with labelled faults
(docs/dmrv.md §6; ``jcredit simulate fleet``).

Why: the rules must be shown to catch every injected fault with the right severity and to stay
quiet on a clean fleet (issue 13, "done when"). That needs data whose physics is right, whose
faults are known exactly, and which is the same for the same seed.

What a site is: a household in one of the Japanese cities of ``data/jp_cities.csv`` (a few
kilometres around the prefectural office), 3–10 kW of modules, a PCS rated 0.88–1.0 × the DC
nameplate, tilt 10–40°, azimuth 90–270° (mostly south), commissioned 1–13 months before the
data. Its generation is clear sky × weather through the pvlib chain of
:mod:`jcredit.adapters.dmrv.pv_physics`; its household load has morning and evening peaks and
a season; self-consumption = min(generation, load), export the rest of the generation, import
the rest of the load. The meters count cumulative registers (Wh) from a realistic reading.

The weather: one daily clearness per city (the share of clear-sky output the day gives),
logistic of a Gaussian AR(1) process (persistence 0.6 day to day, correlated between cities
by exp(−distance / 400 km)), its mean the month's value for the city's climate zone
(``data/climate.csv``). Within the day, each interval is clear or cloudy, from a second AR(1)
process (memory 45 min); clear intervals next to clouds get cloud enhancement of up to +10 %,
an interval never exceeds 1.15 × clear sky and a day never 1.03 × (the rules' caps are 1.25
and 1.10: dmrv.md §5.3 R12).

Determinism: every random draw comes from ``numpy.random.default_rng([seed, stream, site])``.
A site's data does not depend on how many sites are simulated, and a clean site is the same
whichever faults the others carry.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import ROUND_DOWN
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from jcredit.adapters.dmrv import pv_physics as phys
from jcredit.adapters.dmrv.signing import DeviceSigner
from jcredit.adapters.dmrv.simulator_options import DEFAULT_PROJECT
from jcredit.adapters.dmrv.simulator_options import DEFAULT_START
from jcredit.adapters.dmrv.simulator_options import INTERVAL_NAMES
from jcredit.adapters.dmrv.simulator_options import REGIONS
from jcredit.domain.dmrv.envelope import batch_hash
from jcredit.domain.dmrv.envelope import canonical_bytes
from jcredit.domain.dmrv.faults import FAULT_NAMES
from jcredit.domain.dmrv.faults import FAULTS
from jcredit.domain.dmrv.model import CADENCES
from jcredit.domain.dmrv.model import GENESIS
from jcredit.domain.dmrv.model import ChannelSeries
from jcredit.domain.dmrv.model import Quality
from jcredit.domain.dmrv.model import SiteFacts
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import grid_factor

SIM_CHANNELS = ("generation", "export", "import")
QUALITY_CODES = (Quality.MEASURED.value, Quality.ESTIMATED.value, Quality.INTERPOLATED.value)
JST_S = 9 * 3600
DAY_S = 86_400
MAX_SITES = 100_000
MAX_DAYS = 731
CHUNK = 32  # sites simulated together: bounds memory, drives the progress bar
PROJECT = re.compile(r"JCP-[0-9]{6,19}")
DEVICE_FILES = ("devices.csv", "activities.csv", "labels.csv", "fleet.json")

# Simulation parameters (not credited; they shape realistic data). Sources in the docstrings.
NOISE = 0.004  # 1 σ of a PCS/meter interval energy: a class-1 meter reads within ±1 %
CLIP_MARGIN = 1.004  # an inverter at its limit holds its rating within a few per mille
CLOUD_T = 0.3  # mean clear-sky share of an overcast interval (thick stratus 0.1–0.5)
ENHANCE_MAX = 0.10  # cloud-edge enhancement of a 30-min mean (Yordanov et al. 2013: ≤ ~10 %)
K_MAX = 1.15  # no interval above 1.15 × clear sky (the rule's cap is 1.25)
DAY_RATIO_MAX = 1.03  # no day above 1.03 × clear sky (the rule's cap is 1.10)
INTERVAL_RATIO_MAX = 1.18  # generation ÷ the clear-sky expectation of the same interval
CLOUD_MEMORY_S = 2700.0  # e-folding time of the intraday cloud field
PERSISTENCE = 0.6  # day-to-day correlation of the weather
SPREAD = 1.5  # spread of the daily weather on the logistic scale
CORRELATION_KM = 400.0  # synoptic scale: weather correlation exp(−d / 400 km)
SITE_WEATHER_SD = 0.03  # a site's daily clearness around its city's
ROLLOVER_LIMIT_WH = 10**9  # 999,999.999 kWh + 1 Wh: ECHONET 0xD7 effective digits, faults.md
TYPICAL_YIELD_KWH_PER_KWP = 1150  # annual, Japan (NEDO: ~1,000–1,300): the plan's estimate
# Household load (kW) by JST hour, before the site's scale: ~12.7 kWh/day, ~4,600 kWh/yr with
# the season; morning and evening peaks (cf. the household load curves of 資源エネルギー庁).
LOAD_SHAPE_KW = (0.30, 0.26, 0.24, 0.23, 0.24, 0.30, 0.55, 0.80, 0.70, 0.50, 0.42, 0.42,
                 0.45, 0.40, 0.38, 0.40, 0.50, 0.70, 0.95, 1.05, 1.00, 0.85, 0.65, 0.45)
LOAD_SEASON = (1.35, 1.35, 1.15, 0.95, 0.85, 0.90, 1.10, 1.20, 1.00, 0.90, 1.00, 1.25)

_DATA = Path(__file__).with_name("data")


# --- places and climate ---------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    name_en: str
    prefecture: str
    prefecture_en: str
    region: str
    climate: str
    latitude: float
    longitude: float


@functools.cache
def cities() -> tuple[City, ...]:
    """The cities sites are placed around (``data/jp_cities.csv``, one per prefecture)."""
    with (_DATA / "jp_cities.csv").open(encoding="utf-8") as fh:
        return tuple(City(r["city"], r["city_en"], r["prefecture"], r["prefecture_en"],
                          r["region"], r["climate"], float(r["latitude"]),
                          float(r["longitude"])) for r in csv.DictReader(fh))


@functools.cache
def _climate() -> dict[str, np.ndarray]:
    """Monthly mean clear-sky ratio by climate zone (``data/climate.csv``, unverified)."""
    out: dict[str, np.ndarray] = {}
    with (_DATA / "climate.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["climate"], np.zeros(12))[int(r["month"]) - 1] = \
                float(r["mean_clear_sky_ratio"])
    return out


# --- the time grid --------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """The intervals of the simulation: ``days`` JST days from ``start``, ``interval_s``."""

    start: date
    days: int
    interval_s: int

    @property
    def per_day(self) -> int:
        return DAY_S // self.interval_s

    @property
    def n(self) -> int:
        return self.days * self.per_day

    @property
    def t0(self) -> int:
        """Epoch seconds of ``start`` 00:00 JST."""
        return int(datetime(self.start.year, self.start.month, self.start.day,
                            tzinfo=UTC).timestamp()) - JST_S

    @functools.cached_property
    def starts(self) -> np.ndarray:
        return self.t0 + np.arange(self.n, dtype=np.int64) * self.interval_s

    @functools.cached_property
    def mids(self) -> np.ndarray:
        return self.starts.astype(float) + self.interval_s / 2

    @functools.cached_property
    def day(self) -> np.ndarray:
        return np.arange(self.n) // self.per_day

    @functools.cached_property
    def local_hour(self) -> np.ndarray:
        return ((self.mids + JST_S) % DAY_S) / 3600.0

    @functools.cached_property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=d) for d in range(self.days)]

    @functools.cached_property
    def month(self) -> np.ndarray:  # per day, 1..12
        return np.array([d.month for d in self.dates])

    @functools.cached_property
    def day_of_year(self) -> np.ndarray:  # per day
        return np.array([d.timetuple().tm_yday for d in self.dates], dtype=float)

    @property
    def end(self) -> int:
        return self.t0 + self.days * DAY_S

    def hours(self, half_hours: float) -> int:
        """A duration given in half-hours, as a number of intervals (at least 1)."""
        return max(1, round(half_hours * 1800 / self.interval_s))


# --- the simulated site ---------------------------------------------------------------------


@dataclass
class Label:
    """One injected fault: where it is (UTC epoch ``[start, end)`` ranges, as the data is
    labelled) and the rule that must catch it (domain/dmrv/faults.py)."""

    site: str
    device_id: str
    fault: str
    intervals: list[tuple[int, int]]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rule_id(self) -> str:
        return FAULTS[self.fault].rule_id

    @property
    def severity(self) -> str:
        return FAULTS[self.fault].severity.value

    @property
    def first_start(self) -> int:
        return min(a for a, _ in self.intervals)

    @property
    def last_end(self) -> int:
        return max(b for _, b in self.intervals)

    def as_dict(self) -> dict[str, Any]:
        return {"site": self.site, "device_id": self.device_id, "fault": self.fault,
                "rule_id": self.rule_id, "severity": self.severity,
                "first_start": utc_text(self.first_start), "last_end": utc_text(self.last_end),
                "intervals": [[utc_text(a), utc_text(b)] for a, b in self.intervals],
                "details": self.details}


@dataclass
class SimSite:
    """One household: its registered facts, its readings as the device reports them, and the
    truth they came from.

    Readings are parallel arrays over the device's intervals in report order: ``start`` (UTC
    epoch as labelled, which a clock fault makes wrong), ``day`` (the device's day, one batch
    each), ``zulu`` (written with ``Z``: the 9-hour mislabel), ``present`` (False: a gap), and
    per channel ``energy``/``register`` (int Wh) and ``quality`` (index in QUALITY_CODES).
    """

    index: int
    project: str
    activity: str
    device_id: str
    city: City
    address: str
    latitude: Decimal
    longitude: Decimal
    capacity_dc_kw: Decimal
    capacity_ac_kw: Decimal
    tilt: int
    azimuth: int
    commissioned_on: date
    certification_expires: date
    serial: str
    losses: float
    load_scale: float
    signer: DeviceSigner
    register_start: dict[str, int]
    faults: list[str] = field(default_factory=list)
    start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    day: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    zulu: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    present: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    energy: dict[str, np.ndarray] = field(default_factory=dict)
    register: dict[str, np.ndarray] = field(default_factory=dict)
    quality: dict[str, np.ndarray] = field(default_factory=dict)
    clock_offset: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per day, seconds
    batch_faults: dict[str, int] = field(default_factory=dict)  # fault → day index
    # the truth, on the simulation grid
    clean_generation: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    elevation: np.ndarray = field(default_factory=lambda: np.zeros(0))
    clear_sky_wh: np.ndarray = field(default_factory=lambda: np.zeros(0))
    clearness: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per day
    self_share: float = 0.3  # self-consumed share of the clean generation

    @property
    def site(self) -> str:
        return f"{self.project}/{self.activity}"

    @property
    def dc_w(self) -> float:
        return float(self.capacity_dc_kw) * 1000

    @property
    def ac_w(self) -> float:
        return float(self.capacity_ac_kw) * 1000

    def facts(self) -> SiteFacts:
        """What the registry knows (the registered capacity, not a fault's real one)."""
        return SiteFacts(site=self.site, device_id=self.device_id,
                         capacity_ac_kw=self.capacity_ac_kw,
                         capacity_dc_kw=self.capacity_dc_kw, latitude=self.latitude,
                         longitude=self.longitude, commissioned_on=self.commissioned_on,
                         certification_expires=self.certification_expires,
                         tilt=Decimal(self.tilt), azimuth=Decimal(self.azimuth),
                         channels=SIM_CHANNELS, programme=self.project)

    def device_row(self) -> dict[str, str]:
        return {"project": self.project, "activity": self.activity,
                "device_id": self.device_id, "capacity_ac_kw": str(self.capacity_ac_kw),
                "capacity_dc_kw": str(self.capacity_dc_kw),
                "commissioned_on": self.commissioned_on.isoformat(),
                "latitude": str(self.latitude), "longitude": str(self.longitude),
                "tilt": str(self.tilt), "azimuth": str(self.azimuth), "serial": self.serial,
                "certification_expires": self.certification_expires.isoformat(),
                "channels": ";".join(SIM_CHANNELS), "public_key": self.signer.public_b64}


DEVICE_COLUMNS = ("project", "activity", "device_id", "capacity_ac_kw", "capacity_dc_kw",
                  "commissioned_on", "latitude", "longitude", "tilt", "azimuth", "serial",
                  "certification_expires", "channels", "public_key")
ACTIVITY_COLUMNS = ("code", "address", "operation_start", "expected_tco2_per_year",
                    "household")
LABEL_COLUMNS = ("site", "device_id", "fault", "rule_id", "severity", "first_start",
                 "last_end")


@dataclass(frozen=True)
class SimBatch:
    """One batch file as the device sends it: ``kind`` is ``batch`` for the chain,
    ``duplicate`` (the same bytes again), ``tampered`` (changed after signing) or
    ``conflicting`` (a chained batch re-sending a day with other values)."""

    device_id: str
    seq: int
    day: int
    kind: str
    data: bytes

    @property
    def name(self) -> str:
        suffix = "" if self.kind in ("batch", "conflicting") else f".{self.kind}"
        return f"{self.seq:06d}{suffix}.json"


# --- the fleet ------------------------------------------------------------------------------


@dataclass
class Fleet:
    seed: int
    grid: Grid
    project: str
    faults: tuple[str, ...]
    fault_rate: float
    fault_sites: int | None
    region: str | None
    sites: list[SimSite]
    labels: list[Label]
    form: str = "readings"  # or "series": one start per channel where a day's grid is regular

    @property
    def interval_s(self) -> int:
        return self.grid.interval_s

    def site_by_id(self, site: str) -> SimSite:
        for s in self.sites:
            if s.site == site or s.device_id == site or s.activity == site:
                return s
        raise KeyError(site)

    def labels_of(self, site: SimSite) -> list[Label]:
        return [lb for lb in self.labels if lb.site == site.site]

    # -- the rules' input --

    def site_series(self, site: SimSite | int | str,
                    context: ContextFn | None = None) -> SiteSeries:
        """The site's readings as the rules see them (``jcredit.domain.dmrv.model``): present
        intervals only, sorted by labelled start, with the physics context of the generation
        intervals computed by ``context`` (default :func:`physics_context`, this module's
        clear-sky model at the registered capacity; the rules' own ``adapters/dmrv/solar.py``
        fits the same signature)."""
        s = site if isinstance(site, SimSite) else (
            self.sites[site] if isinstance(site, int) else self.site_by_id(site))
        order = np.argsort(s.start[s.present], kind="stable")
        starts = s.start[s.present][order]
        channels: dict[str, ChannelSeries] = {}
        for ch in SIM_CHANNELS:
            quality = s.quality[ch][s.present][order]
            channels[ch] = ChannelSeries(
                start=starts.tolist(), seconds=[self.interval_s] * len(starts),
                register_wh=s.register[ch][s.present][order].tolist(),
                energy_wh=s.energy[ch][s.present][order].tolist(),
                quality=[QUALITY_CODES[q] for q in quality.tolist()])
        facts = s.facts()
        elevation, clear = (context or physics_context)(facts, starts, self.interval_s)
        return SiteSeries(facts=facts, channels=channels, sun_elevation=list(elevation),
                          clear_sky_wh=list(clear))

    # -- batches --

    def envelope_count(self) -> int:
        total = 0
        for s in self.sites:
            days = len(np.unique(s.day[s.present]))
            total += days + len(s.batch_faults)
        return total

    def envelopes(self) -> Iterator[SimBatch]:
        """Every batch file in the order the devices send them: day by day, device by device;
        each device's chain starts at GENESIS and is linked by ``prev`` (docs/dmrv.md §2)."""
        state: dict[str, tuple[int, str]] = {s.device_id: (0, GENESIS) for s in self.sites}
        by_day = [_day_slices(s) for s in self.sites]
        for day in range(self.grid.days):
            for s, slices in zip(self.sites, by_day, strict=True):
                idx = slices.get(day)
                if idx is None:
                    continue
                seq, prev = state[s.device_id]
                batch = self._batch(s, idx, day, seq + 1, prev)
                data, digest = _seal(s.signer, batch)
                seq, prev = seq + 1, digest
                yield SimBatch(s.device_id, seq, day, "batch", data)
                if s.batch_faults.get("duplicate_batch") == day:
                    yield SimBatch(s.device_id, seq, day, "duplicate", data)
                if s.batch_faults.get("tampered_batch") == day:
                    yield SimBatch(s.device_id, seq, day, "tampered", _tamper(data))
                if s.batch_faults.get("conflicting_batch") == day:
                    other = self._batch(s, idx, day, seq + 1, prev, conflicting=True)
                    data, digest = _seal(s.signer, other)
                    seq, prev = seq + 1, digest
                    yield SimBatch(s.device_id, seq, day, "conflicting", data)
                state[s.device_id] = (seq, prev)

    def _batch(self, s: SimSite, idx: np.ndarray, day: int, seq: int, prev: str,
               conflicting: bool = False) -> dict[str, Any]:
        starts = s.start[idx]
        zulu = s.zulu[idx]
        texts = _iso_texts(starts, zulu)
        gen_e = s.energy["generation"][idx].copy()
        gen_r = s.register["generation"][idx].copy()
        if conflicting:  # the same day again, generation 5–20 % higher in daylight
            rng = np.random.default_rng([self.seed, 8, s.index])
            bump = np.round(gen_e * rng.uniform(0.05, 0.20, len(gen_e))).astype(np.int64)
            if not bump.any():
                bump[len(bump) // 2] = 100
            gen_e = gen_e + bump
            gen_r = gen_r + np.cumsum(bump)
        columns = {"generation": (gen_e.tolist(), gen_r.tolist())}
        for ch in SIM_CHANNELS[1:]:
            columns[ch] = (s.energy[ch][idx].tolist(), s.register[ch][idx].tolist())
        quality = {ch: s.quality[ch][idx].tolist() for ch in SIM_CHANNELS}
        sealed = self.grid.t0 + (day + 1) * DAY_S + 300 + int(s.clock_offset[day]) \
            + (3600 if conflicting else 0)
        created = _iso_texts(np.array([sealed], dtype=np.int64), np.array([bool(zulu[-1])]))[0]
        head = {"v": 1, "device_id": s.device_id, "seq": seq, "prev": prev,
                "key_id": s.signer.key_id, "created_at": created, "unit": "Wh",
                "interval_s": self.interval_s}
        regular = len(starts) > 0 and bool((np.diff(starts) == self.interval_s).all()) \
            and len(set(zulu.tolist())) == 1
        if self.form == "series" and regular:
            series = []
            for ch in SIM_CHANNELS:
                energy, register = columns[ch]
                item: dict[str, Any] = {"channel": ch, "start": texts[0], "register": register,
                                        "energy": energy}
                if any(quality[ch]):
                    item["quality"] = [QUALITY_CODES[q] if q else None for q in quality[ch]]
                series.append(item)
            return head | {"series": series}
        readings: list[dict[str, Any]] = []
        for j, text in enumerate(texts):
            for ch in SIM_CHANNELS:
                energy, register = columns[ch]
                reading: dict[str, Any] = {"start": text, "channel": ch,
                                           "register": register[j], "energy": energy[j]}
                if quality[ch][j]:
                    reading["quality"] = QUALITY_CODES[quality[ch][j]]
                readings.append(reading)
        return head | {"readings": readings}

    # -- files --

    def devices_csv(self) -> str:
        return _csv(DEVICE_COLUMNS, [s.device_row() for s in self.sites])

    def activities_csv(self) -> str:
        factor = grid_factor(_fiscal_year(self.grid.start), GridFactorType.SUBSTITUTE).value
        rows = []
        for s in self.sites:
            share = Decimal(f"{min(max(s.self_share, 0.1), 1.0):.3f}")
            annual_kwh = s.capacity_dc_kw * TYPICAL_YIELD_KWH_PER_KWP
            expected = (annual_kwh * share * factor).quantize(Decimal("0.01"), ROUND_DOWN)
            rows.append({"code": s.activity, "address": s.address,
                         "operation_start": s.commissioned_on.isoformat(),
                         "expected_tco2_per_year": str(max(expected, Decimal("0.01"))),
                         "household": "yes"})
        return _csv(ACTIVITY_COLUMNS, rows)

    def labels_csv(self) -> str:
        return _csv(LABEL_COLUMNS, [{k: v for k, v in lb.as_dict().items()
                                     if k in LABEL_COLUMNS} for lb in self.labels])

    def manifest(self, counts: dict[str, Any] | None = None) -> dict[str, Any]:
        per_fault = {f: sum(1 for lb in self.labels if lb.fault == f) for f in self.faults}
        return {"generator": "jcredit simulate fleet", "seed": self.seed,
                "project": self.project, "sites": len(self.sites), "days": self.grid.days,
                "start": self.grid.start.isoformat(), "interval_s": self.interval_s,
                "region": self.region, "faults": list(self.faults),
                "fault_rate": self.fault_rate, "fault_sites": self.fault_sites,
                "counts": {"sites": len(self.sites),
                           "faulty_sites": len({lb.site for lb in self.labels}),
                           "labels": len(self.labels), "faults": per_fault,
                           "readings": sum(int(s.present.sum()) * len(SIM_CHANNELS)
                                           for s in self.sites)} | (counts or {}),
                "site_list": [{"site": s.site, "device_id": s.device_id, "city": s.city.name,
                               "prefecture": s.city.prefecture, "region": s.city.region,
                               "climate": s.city.climate, "faults": s.faults}
                              for s in self.sites],
                "labels": [lb.as_dict() for lb in self.labels]}

    def write(self, out: Path, progress: Callable[[int, int], None] | None = None
              ) -> dict[str, Any]:
        """Write the fleet's files into ``out`` (new or empty): devices.csv, activities.csv,
        batches/DEVICE/NNNNNN.json, labels.csv and the fleet.json manifest."""
        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise ValidationError(f"{out} exists and is not an empty directory: give a new "
                                  "one (the simulator never mixes fleets)", field="out")
        out.mkdir(parents=True, exist_ok=True)
        (out / "devices.csv").write_text(self.devices_csv(), encoding="utf-8")
        (out / "activities.csv").write_text(self.activities_csv(), encoding="utf-8")
        (out / "labels.csv").write_text(self.labels_csv(), encoding="utf-8")
        total = self.envelope_count()
        kinds: dict[str, int] = {}
        made: set[str] = set()
        for done, batch in enumerate(self.envelopes(), start=1):
            folder = out / "batches" / batch.device_id
            if batch.device_id not in made:
                folder.mkdir(parents=True, exist_ok=True)
                made.add(batch.device_id)
            (folder / batch.name).write_bytes(batch.data)
            kinds[batch.kind] = kinds.get(batch.kind, 0) + 1
            if progress is not None:
                progress(done, total)
        manifest = self.manifest({"batches": sum(kinds.values()), "batch_kinds": kinds})
        (out / "fleet.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
        return manifest


ContextFn = Callable[[SiteFacts, np.ndarray, int], tuple[list[float], list[float]]]


# --- building a fleet -----------------------------------------------------------------------


def parse_interval(value: str | int) -> int:
    """``30min``, ``15min``, ``5min`` … or seconds; one of the contract's cadences."""
    text = str(value).strip().lower()
    seconds = INTERVAL_NAMES.get(text) or (int(text) if text.isdigit() else 0)
    if seconds not in CADENCES:
        raise ValidationError(f"interval {value!r} is not a cadence of the contract",
                              field="interval",
                              valid=(*INTERVAL_NAMES, *map(str, CADENCES)))
    return seconds


def parse_faults(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """``name,name`` or ``all`` (or ``none``/empty) → fault names, in the table's order."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    names = {i.strip() for i in items if i and i.strip()}
    if names in (set(), {"none"}):
        return ()
    if "all" in names:
        return FAULT_NAMES
    unknown = sorted(names - set(FAULT_NAMES))
    if unknown:
        raise ValidationError(f"unknown fault {unknown[0]!r}", field="faults",
                              valid=("all", *FAULT_NAMES))
    return tuple(f for f in FAULT_NAMES if f in names)


def simulate_fleet(sites: int = 100, days: int = 60, *, seed: int = 1,
                   start: date = DEFAULT_START, faults: str | tuple[str, ...] | None = None,
                   fault_rate: float = 0.02, fault_sites: int | None = None,
                   project: str = DEFAULT_PROJECT, interval_s: int = 1800,
                   region: str | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   first_site: int = 1) -> Fleet:
    """Simulate ``sites`` households over ``days`` JST days from ``start``.

    ``faults`` (names of domain/dmrv/faults.py, or ``all``) are each injected on
    ``fault_sites`` sites, or on ``fault_rate`` of them (at least one), on random days, and
    labelled. ``progress(done, total)`` is called as sites are simulated. ``first_site``
    numbers the households from there (HH-0025 … beside the demo's HH-0001–HH-0024).
    """
    names = parse_faults(faults)
    _check(sites, days, seed, fault_rate, fault_sites, project, interval_s, region, names)
    grid = Grid(start, days, interval_s)
    pool = [c for c in cities() if region is None or c.region == region]
    fleet_sites = [_site(seed, i, project, pool, grid, sites, first_site)
                   for i in range(sites)]
    assignment = _assign(seed, sites, names, fault_rate, fault_sites)
    for i, fs in assignment.items():
        fleet_sites[i].faults = fs
    weather = _city_weather(seed, grid)
    labels: list[Label] = []
    from jcredit.adapters.dmrv.simulator_faults import inject

    for lo in range(0, sites, CHUNK):
        chunk = fleet_sites[lo:lo + CHUNK]
        works = _physics(seed, grid, chunk, weather)
        for site, work in zip(chunk, works, strict=True):
            labels.extend(inject(site, work, grid, np.random.default_rng([seed, 6, site.index])))
        if progress is not None:
            progress(min(lo + CHUNK, sites), sites)
    order = {name: n for n, name in enumerate(FAULT_NAMES)}
    labels.sort(key=lambda lb: (lb.site, order[lb.fault]))
    return Fleet(seed=seed, grid=grid, project=project, faults=names, fault_rate=fault_rate,
                 fault_sites=fault_sites, region=region, sites=fleet_sites, labels=labels)


# Least data a fault needs to be visible to its rule (R06 wants a shift lasting days, R16 peers).
_MIN_DAYS = {"slow_drift": 7, "clock_shift_9h": 4, "night_generation": 3}
_MIN_SITES = {"fleet_outlier": 8}


def _check(sites: int, days: int, seed: int, rate: float, count: int | None, project: str,
           interval_s: int, region: str | None, names: tuple[str, ...]) -> None:
    if not 1 <= sites <= MAX_SITES:
        raise ValidationError(f"sites must be 1 to {MAX_SITES}", field="sites")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"days must be 1 to {MAX_DAYS}", field="days")
    if seed < 0:
        raise ValidationError("seed must be 0 or more", field="seed")
    if not 0 < rate <= 1:
        raise ValidationError("fault-rate is a share of the sites, above 0 and at most 1",
                              field="fault_rate")
    if count is not None and not 1 <= count <= sites:
        raise ValidationError(f"fault-sites must be 1 to the number of sites ({sites})",
                              field="fault_sites")
    if not PROJECT.fullmatch(project):
        raise ValidationError(f"project {project!r} is not a project number like JCP-000001",
                              field="project")
    if interval_s not in CADENCES:
        raise ValidationError("interval_s must be a cadence of the contract", field="interval",
                              valid=tuple(map(str, CADENCES)))
    if region is not None and region not in REGIONS:
        raise ValidationError(f"unknown region {region!r}", field="region", valid=REGIONS)
    for name in names:
        if days < _MIN_DAYS.get(name, 1):
            raise ValidationError(f"{name} needs at least {_MIN_DAYS[name]} days to be "
                                  "visible to its rule", field="days")
        if sites < _MIN_SITES.get(name, 1):
            raise ValidationError(f"{name} needs at least {_MIN_SITES[name]} sites (its rule "
                                  "compares a site with its peers)", field="sites")


def _site(seed: int, i: int, project: str, pool: list[City], grid: Grid, n: int,
          first: int = 1) -> SimSite:
    rng = np.random.default_rng([seed, 1, i])
    city = pool[int(rng.integers(len(pool)))]
    lat = Decimal(f"{city.latitude + rng.uniform(-0.04, 0.04):.4f}")
    lon = Decimal(f"{city.longitude + rng.uniform(-0.04, 0.04):.4f}")
    module_w = int(rng.choice([300, 330, 365, 400, 410, 435]))
    modules = int(np.clip(rng.integers(10, 26), math.ceil(3000 / module_w),
                          10000 // module_w))
    dc = Decimal(modules * module_w) / 1000
    ac = (dc * Decimal(f"{rng.uniform(0.88, 1.0):.4f}")).quantize(Decimal("0.1"), ROUND_DOWN)
    tilt = int(rng.integers(10, 41))
    azimuth = int(np.clip(round(180 + rng.normal(0, 40)), 90, 270))
    commissioned = grid.start - timedelta(days=int(rng.integers(30, 400)))
    expires = commissioned + timedelta(days=365 * int(rng.integers(7, 11)))
    age_years = (grid.start - commissioned).days / 365.25
    gen0 = float(dc) * TYPICAL_YIELD_KWH_PER_KWP * age_years * rng.uniform(0.85, 1.1) * 1000
    load_scale = float(rng.lognormal(-0.03, 0.2))
    registers = {"generation": int(gen0), "export": int(gen0 * rng.uniform(0.55, 0.75)),
                 "import": int(4600 * load_scale * rng.uniform(1, 8) * 1000)}
    width = max(4, len(str(n + first - 1)))
    digits = project.split("-", 1)[1]
    activity = f"HH-{i + first:0{width}d}"
    device_id = f"PV-{digits}-{i + first:0{width}d}"
    address = f"{city.prefecture}{city.name}架空町{i % 9 + 1}丁目{i + 1}-{int(rng.integers(1, 30))}"
    return SimSite(
        index=i, project=project, activity=activity, device_id=device_id, city=city,
        address=address, latitude=lat, longitude=lon, capacity_dc_kw=dc,
        capacity_ac_kw=ac, tilt=tilt, azimuth=azimuth, commissioned_on=commissioned,
        certification_expires=expires, serial=f"SN{int(rng.integers(10**7, 10**8))}",
        losses=float(rng.uniform(0.09, 0.14)), load_scale=load_scale,
        signer=DeviceSigner.from_seed(f"{seed}/{device_id}".encode()),
        register_start=registers)


def _assign(seed: int, n: int, names: tuple[str, ...], rate: float, count: int | None
            ) -> dict[int, list[str]]:
    """Which sites carry which fault: ``count`` (or ``rate`` × n, at least 1) sites each,
    distinct sites while there are clean ones left."""
    rng = np.random.default_rng([seed, 7])
    out: dict[int, list[str]] = {}
    pool: list[int] = []
    for name in names:
        k = count if count is not None else max(1, round(rate * n))
        chosen: list[int] = []
        while len(chosen) < k:
            if not pool:
                pool = [int(i) for i in rng.permutation(n)]
            i = pool.pop()
            if i not in chosen:
                chosen.append(i)
        for i in chosen:
            out.setdefault(i, []).append(name)
    return out


def _haversine_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    dlat = la[:, None] - la[None, :]
    dlon = lo[:, None] - lo[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1))))


def _logistic_offset(mean: np.ndarray) -> np.ndarray:
    """``a`` with E[sigmoid(a + SPREAD·Z)] = mean for Z ~ N(0, 1) (Gauss–Hermite, bisection)
    so that the daily clearness averages the climate table's monthly value."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()
    lo = np.full(mean.shape, -12.0)
    hi = np.full(mean.shape, 12.0)
    for _ in range(50):
        mid = (lo + hi) / 2
        value = (special.expit(mid[..., None] + SPREAD * nodes) * weights).sum(axis=-1)
        lo = np.where(value < mean, mid, lo)
        hi = np.where(value < mean, hi, mid)
    return np.asarray((lo + hi) / 2)


def _city_weather(seed: int, grid: Grid) -> np.ndarray:
    """Daily clearness per city (rows, in ``cities()`` order) and day (columns)."""
    all_cities = cities()
    lat = np.array([c.latitude for c in all_cities])
    lon = np.array([c.longitude for c in all_cities])
    cov = np.exp(-_haversine_km(lat, lon) / CORRELATION_KM)
    chol = np.linalg.cholesky(cov + 1e-9 * np.eye(len(lat)))
    rng = np.random.default_rng([seed, 2])
    eps = rng.standard_normal((grid.days, len(lat))) @ chol.T
    z = np.empty_like(eps)
    z[0] = eps[0]
    for d in range(1, grid.days):
        z[d] = PERSISTENCE * z[d - 1] + math.sqrt(1 - PERSISTENCE**2) * eps[d]
    climate = _climate()
    mean = np.array([[climate[c.climate][m - 1] for m in grid.month] for c in all_cities])
    return np.asarray(special.expit(_logistic_offset(mean) + SPREAD * z.T))


@dataclass
class Work:
    """One site's physics on the simulation grid, before it becomes meter readings: what
    the fault injection may change (simulator_faults.py)."""

    elevation: np.ndarray  # true (geometric) sun elevation at midpoints, degrees
    clear_wh: np.ndarray  # clear-sky expectation at the registered size, Wh
    pdc: np.ndarray  # DC power after losses, W
    eps: np.ndarray  # the meter's relative noise per interval
    gen_wh: np.ndarray  # generation, Wh (float)
    load_wh: np.ndarray  # household load, Wh (float)
    clearness: np.ndarray  # per day
    ac_w: float
    dc_w: float


def _physics(seed: int, grid: Grid, chunk: list[SimSite], weather: np.ndarray) -> list[Work]:
    """Generation and load for a chunk of sites, vectorised over sites × intervals."""
    n_sites = len(chunk)
    lat = np.array([float(s.latitude) for s in chunk])
    lon = np.array([float(s.longitude) for s in chunk])
    index = {c: k for k, c in enumerate(cities())}
    rngs = [np.random.default_rng([seed, 3, s.index]) for s in chunk]
    w_day = np.array([np.clip(weather[index[s.city]] + r.normal(0, SITE_WEATHER_SD, grid.days),
                              0.1, 0.99) for s, r in zip(chunk, rngs, strict=True)])
    k = _clearness(rngs, w_day, grid)
    sun = phys.sun_position(grid.mids, lat, lon)
    cs = phys.clear_sky(sun, grid.mids, phys.linke_turbidity(grid.mids, lat, lon))
    array = phys.Array(tilt=np.array([float(s.tilt) for s in chunk]),
                       azimuth=np.array([float(s.azimuth) for s in chunk]),
                       dc_w=np.array([s.dc_w for s in chunk]),
                       ac_w=np.array([s.ac_w for s in chunk]),
                       losses=np.array([s.losses for s in chunk]))
    anomaly = np.array([r.normal(0, 1.5, grid.days) for r in rngs])
    temp_air = _air_temperature(lat, grid, w_day, anomaly)
    pac, pdc = phys.ac_power(array, sun, cs, temp_air, k)
    pac_clear, _ = phys.ac_power(array, sun, cs, _air_temperature(lat, grid, None, None))
    hours = grid.interval_s / 3600
    night = sun.elevation <= 0
    clear_wh = np.where(night, 0.0, pac_clear * hours)
    noise_rngs = [np.random.default_rng([seed, 5, s.index]) for s in chunk]
    eps = np.array([r.normal(0, NOISE, grid.n) for r in noise_rngs])
    gen = np.minimum(pac * (1 + eps), array.ac_w[:, None] * CLIP_MARGIN) * hours
    gen = np.where(night, 0.0, np.minimum(gen, INTERVAL_RATIO_MAX * clear_wh))
    # No day above DAY_RATIO_MAX × its clear-sky energy.
    day_gen = gen.reshape(n_sites, grid.days, grid.per_day).sum(axis=2)
    day_clear = clear_wh.reshape(n_sites, grid.days, grid.per_day).sum(axis=2)
    with np.errstate(all="ignore"):
        scale = np.where(day_gen > DAY_RATIO_MAX * day_clear,
                         DAY_RATIO_MAX * day_clear / day_gen, 1.0)
    gen = gen * np.repeat(np.nan_to_num(scale, nan=1.0), grid.per_day, axis=1)
    load = _load([np.random.default_rng([seed, 4, s.index]) for s in chunk],
                 np.array([s.load_scale for s in chunk]), grid)
    return [Work(elevation=sun.elevation[j], clear_wh=clear_wh[j], pdc=pdc[j], eps=eps[j],
                 gen_wh=gen[j], load_wh=load[j], clearness=w_day[j], ac_w=chunk[j].ac_w,
                 dc_w=chunk[j].dc_w) for j in range(n_sites)]


def _ar1(e: np.ndarray, step_s: float, memory_s: float) -> np.ndarray:
    """Unit-variance Gaussian AR(1) series (rows) from white noise ``e`` (rows), e-folding
    time ``memory_s``: x_t = ρ x_{t−1} + √(1 − ρ²) e_t, one vector step per instant."""
    rho = math.exp(-step_s / memory_s)
    gain = math.sqrt(1 - rho**2)
    out = np.empty_like(e)
    out[:, 0] = e[:, 0]
    for t in range(1, e.shape[1]):
        out[:, t] = rho * out[:, t - 1] + gain * e[:, t]
    return out


def _clearness(rngs: list[np.random.Generator], w_day: np.ndarray, grid: Grid) -> np.ndarray:
    """Clear-sky share per site (rows) and interval, for the sites' daily clearness: each
    interval clear (k ≈ the day's clear-air factor, plus enhancement beside clouds) or cloudy
    (k around CLOUD_T, or around the day's clearness when it is lower), so that the day's
    mean is about ``w_day``."""
    n = grid.n
    draws = [(r.standard_normal(n), r.standard_normal(n), r.uniform(0.95, 1.02, grid.days),
              r.uniform(0, ENHANCE_MAX, n)) for r in rngs]
    u = special.ndtr(_ar1(np.array([d[0] for d in draws]), grid.interval_s, CLOUD_MEMORY_S))
    v = special.ndtr(_ar1(np.array([d[1] for d in draws]), grid.interval_s, CLOUD_MEMORY_S))
    tau = np.array([d[2] for d in draws])[:, grid.day]
    enhance = np.array([d[3] for d in draws])
    w = w_day[:, grid.day]
    clear_share = np.clip((w - CLOUD_T) / (tau - CLOUD_T), 0.0, 1.0)
    clear = u < clear_share
    cloudy_k = np.minimum(w, CLOUD_T) * (0.5 + v)
    k = np.where(clear, tau, cloudy_k)
    edge = clear & (~np.roll(clear, 1, axis=1) | ~np.roll(clear, -1, axis=1))
    k = np.where(edge, k * (1 + enhance), k)
    return np.asarray(np.clip(k, 0.02, K_MAX))


def _air_temperature(lat: np.ndarray, grid: Grid, w_day: np.ndarray | None,
                     anomaly: np.ndarray | None) -> np.ndarray:
    """Ambient °C: annual mean and seasonal swing by latitude (a fit to JMA normals: Naha 23,
    Tokyo 16, Sapporo 9 °C; coldest late January), a diurnal swing peaking at 14:30 that is
    wider on clear days, and a daily anomaly."""
    la = lat[:, None]
    mean = 15.8 - 0.8 * (la - 35.7)
    swing = 10.7 + 0.35 * (la - 35.7)
    doy = grid.day_of_year[grid.day][None, :]
    seasonal = mean - swing * np.cos(2 * np.pi * (doy - 25) / 365.25)
    clear = 1.0 if w_day is None else w_day[:, grid.day]
    diurnal = (2.5 + 4.0 * clear) * np.cos(2 * np.pi * (grid.local_hour[None, :] - 14.5) / 24)
    extra = 0.0 if anomaly is None else anomaly[:, grid.day]
    return np.asarray(seasonal + diurnal + extra)


def _load(rngs: list[np.random.Generator], scale: np.ndarray, grid: Grid) -> np.ndarray:
    """Household load in Wh per site (rows) and interval: the hourly shape (interpolated),
    the month, weekend daytime at home, a daily factor and correlated interval noise."""
    shape = np.array(LOAD_SHAPE_KW)
    hour = grid.local_hour
    base = np.interp(hour, np.arange(24) + 0.5, shape, period=24)
    season = np.array(LOAD_SEASON)[grid.month - 1][grid.day]
    weekend = np.array([d.weekday() >= 5 for d in grid.dates])[grid.day]
    at_home = np.where(weekend & (hour > 9) & (hour < 17), 1.3, 1.0)
    draws = [(r.normal(1.0, 0.08, grid.days), r.standard_normal(grid.n)) for r in rngs]
    daily = np.clip(np.array([d[0] for d in draws]), 0.7, 1.3)[:, grid.day]
    noise = np.exp(0.25 * _ar1(np.array([d[1] for d in draws]), grid.interval_s, 3600.0)
                   - 0.25**2 / 2)
    kw = np.maximum((base * season * at_home)[None, :] * daily * noise * scale[:, None], 0.08)
    return np.asarray(kw * 1000 * grid.interval_s / 3600)


# --- physics context for the rules ----------------------------------------------------------


def physics_context(facts: SiteFacts, starts: np.ndarray | list[int], interval_s: int
                    ) -> tuple[list[float], list[float]]:
    """Sun elevation (degrees, geometric) at each interval's midpoint and the clear-sky
    generation (Wh) of the registered system, as the simulator models it (mean temperatures,
    registered DC/AC, tilt and azimuth; losses 11 %, the middle of the simulated range)."""
    st = np.asarray(starts, dtype=float)
    if st.size == 0:
        return [], []
    mids = st + interval_s / 2
    lat = np.array([float(facts.latitude)])
    lon = np.array([float(facts.longitude)])
    sun = phys.sun_position(mids, lat, lon)
    cs = phys.clear_sky(sun, mids, phys.linke_turbidity(mids, lat, lon))
    array = phys.Array(tilt=np.array([float(facts.tilt if facts.tilt is not None else 20)]),
                       azimuth=np.array([float(facts.azimuth if facts.azimuth is not None
                                               else 180)]),
                       dc_w=np.array([float(facts.capacity_dc_kw) * 1000]),
                       ac_w=np.array([float(facts.capacity_ac_kw) * 1000]),
                       losses=np.array([0.11]))
    local_hour = ((mids + JST_S) % DAY_S) / 3600.0
    doy = np.array([datetime.fromtimestamp(m + JST_S, UTC).timetuple().tm_yday
                    for m in mids], dtype=float)
    la = lat[0]
    temp = (15.8 - 0.8 * (la - 35.7) - (10.7 + 0.35 * (la - 35.7))
            * np.cos(2 * np.pi * (doy - 25) / 365.25)
            + 6.5 * np.cos(2 * np.pi * (local_hour - 14.5) / 24))[None, :]
    pac, _ = phys.ac_power(array, sun, cs, temp)
    clear = np.where(sun.elevation[0] <= 0, 0.0, pac[0] * interval_s / 3600)
    return sun.elevation[0].tolist(), clear.tolist()


# --- helpers --------------------------------------------------------------------------------


def to_int_wh(values: np.ndarray) -> np.ndarray:
    """Float Wh per interval → integer Wh whose running sum never drifts from the float's
    (rounding the cumulative sum): what a meter's register does."""
    cum = np.round(np.cumsum(np.asarray(values, dtype=float))).astype(np.int64)
    return np.diff(np.concatenate([[0], cum]))


def utc_text(epoch: int) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_texts(starts: np.ndarray, zulu: np.ndarray) -> list[str]:
    """ISO 8601 with a zone: JST ``+09:00``, or for a mislabelled device its JST wall clock
    written as UTC ``Z`` (the epoch is then 9 h late already)."""
    stamps = np.asarray(starts, dtype=np.int64)
    local = np.datetime_as_string((stamps + JST_S).astype("datetime64[s]"), unit="s")
    utc = np.datetime_as_string(stamps.astype("datetime64[s]"), unit="s")
    return [f"{u}Z" if z else f"{t}+09:00" for t, u, z in zip(local, utc, zulu, strict=True)]


def _day_slices(s: SimSite) -> dict[int, np.ndarray]:
    """Indexes of the present readings of each device day, in report order."""
    idx = np.flatnonzero(s.present)
    if idx.size == 0:
        return {}
    days = s.day[idx]
    cuts = np.flatnonzero(np.diff(days)) + 1
    return {int(days[part[0]]): idx[part] for part in np.split(np.arange(idx.size), cuts)}


def _seal(signer: DeviceSigner, batch: dict[str, Any]) -> tuple[bytes, str]:
    """The signed envelope (the batch in its canonical form) and the batch's hash."""
    signed = canonical_bytes(batch)
    body = b'{"batch":' + signed + b',"signature":"' + signer.sign(signed).encode() + b'"}'
    return body, batch_hash(signed)


def _tamper(data: bytes) -> bytes:
    """The envelope with one generation energy raised by 1 kWh after signing."""
    doc = json.loads(data)
    if "series" in doc["batch"]:
        energy = next(s for s in doc["batch"]["series"] if s["channel"] == "generation")["energy"]
        at = next((i for i, e in enumerate(energy) if e), 0)
        energy[at] += 1000
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    for reading in doc["batch"]["readings"]:
        if reading["channel"] == "generation" and reading["energy"] > 0:
            reading["energy"] += 1000
            break
    else:
        doc["batch"]["readings"][0]["energy"] += 1000
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
