"""The fleet simulator (adapters/dmrv/simulator.py): deterministic, physically plausible on a
clean fleet, every injected fault visible where its label says, batches signed and chained."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from jcredit.adapters.dmrv.signing import verify
from jcredit.adapters.dmrv.simulator import DAY_S
from jcredit.adapters.dmrv.simulator import ROLLOVER_LIMIT_WH
from jcredit.adapters.dmrv.simulator import Fleet
from jcredit.adapters.dmrv.simulator import SimSite
from jcredit.adapters.dmrv.simulator import cities
from jcredit.adapters.dmrv.simulator import physics_context
from jcredit.adapters.dmrv.simulator import simulate_fleet
from jcredit.domain.dmrv.envelope import parse_envelope
from jcredit.domain.dmrv.faults import BATCH
from jcredit.domain.dmrv.faults import FAULT_NAMES
from jcredit.domain.dmrv.faults import FAULTS
from jcredit.domain.dmrv.model import GENESIS
from jcredit.domain.errors import ValidationError

HALF_HOUR = 1800


@pytest.fixture(scope="module")
def clean() -> Fleet:
    return simulate_fleet(30, 21, seed=11)


@pytest.fixture(scope="module")
def faulty() -> Fleet:
    return simulate_fleet(24, 30, seed=5, faults="all", fault_sites=1)


def wh_cap(site: SimSite, factor: float = 1.0) -> float:
    """The AC rating × a half-hour, in Wh."""
    return site.ac_w * HALF_HOUR / 3600 * factor


def index_of(fleet: Fleet, site: SimSite, epoch: int) -> int:
    return int(np.flatnonzero(site.start == epoch)[0])


def labelled(fleet: Fleet, site: SimSite, fault: str) -> list[np.ndarray]:
    """The reading indexes inside each labelled range of ``fault`` on ``site``."""
    (label,) = [lb for lb in fleet.labels_of(site) if lb.fault == fault]
    return [np.flatnonzero((site.start >= a) & (site.start < b)) for a, b in label.intervals]


def carrier(fleet: Fleet, fault: str) -> SimSite:
    (site,) = [s for s in fleet.sites if fault in s.faults]
    return site


# --- determinism ----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_fleet_and_the_same_bytes() -> None:
    a = simulate_fleet(4, 3, seed=7, faults="gap,register_reset", fault_sites=1)
    b = simulate_fleet(4, 3, seed=7, faults="gap,register_reset", fault_sites=1)
    for x, y in zip(a.sites, b.sites, strict=True):
        for ch in ("generation", "export", "import"):
            assert np.array_equal(x.energy[ch], y.energy[ch])
            assert np.array_equal(x.register[ch], y.register[ch])
    assert [e.data for e in a.envelopes()] == [e.data for e in b.envelopes()]
    assert a.devices_csv() == b.devices_csv() and a.labels_csv() == b.labels_csv()
    other = simulate_fleet(4, 3, seed=8)
    assert not np.array_equal(other.sites[0].energy["generation"],
                              a.sites[0].energy["generation"])


def test_a_site_does_not_depend_on_the_size_of_the_fleet() -> None:
    small = simulate_fleet(3, 2, seed=3)
    large = simulate_fleet(9, 2, seed=3)
    for x, y in zip(small.sites, large.sites[:3], strict=False):
        assert x.device_row()["public_key"] == y.device_row()["public_key"]
        assert np.array_equal(x.energy["generation"], y.energy["generation"])


def test_a_hundred_sites_for_sixty_days_take_seconds() -> None:
    began = time.perf_counter()
    fleet = simulate_fleet(100, 60, seed=2)
    assert time.perf_counter() - began < 30  # about 1 s alone; the machine is shared
    assert len(fleet.sites) == 100 and fleet.sites[0].start.size == 60 * 48


# --- physics of a clean fleet ---------------------------------------------------------------


def test_sites_are_japanese_households(clean: Fleet) -> None:
    assert len(cities()) >= 40 and len({c.prefecture for c in cities()}) >= 40
    for s in clean.sites:
        assert 3 <= s.capacity_dc_kw <= 10
        assert Decimal("0.85") * s.capacity_dc_kw <= s.capacity_ac_kw <= s.capacity_dc_kw
        assert 10 <= s.tilt <= 40 and 90 <= s.azimuth <= 270
        assert 24 <= s.latitude <= 46 and 122 <= s.longitude <= 154
        assert s.commissioned_on < clean.grid.start < s.certification_expires
        assert s.site == f"JCP-000001/{s.activity}"


def test_no_generation_at_night_and_none_above_the_caps(clean: Fleet) -> None:
    for s in clean.sites:
        gen = s.energy["generation"]
        assert gen[s.elevation <= 0].sum() == 0
        assert gen.max() <= wh_cap(s, 1.05)  # R11 physical cap
        day = s.clear_sky_wh > 0.05 * wh_cap(s)
        assert (gen[day] <= 1.25 * s.clear_sky_wh[day] + 2).all()  # R12, 30 min
        per_day = gen.reshape(clean.grid.days, -1).sum(axis=1)
        clear = s.clear_sky_wh.reshape(clean.grid.days, -1).sum(axis=1)
        assert (per_day <= 1.10 * clear).all()  # R12, daily


def test_daily_specific_yield_is_realistic_for_japan(clean: Fleet) -> None:
    days = clean.grid.days
    yields = np.array([s.energy["generation"].reshape(days, -1).sum(axis=1)
                       / float(s.capacity_dc_kw) / 1000 for s in clean.sites])
    assert yields.min() >= 0.05 and yields.max() <= 6.8  # kWh/kWp/day
    assert 2.5 <= yields.mean() <= 5.0  # May: one of the sunniest months
    assert (yields < 1.5).any() and (yields > 4.5).any()  # weather: dull and bright days


def test_a_year_gives_1000_to_1400_kwh_per_kwp() -> None:
    fleet = simulate_fleet(12, 365, seed=4, start=date(2025, 1, 1))
    annual = np.array([s.energy["generation"].sum() / float(s.capacity_dc_kw) / 1000
                       for s in fleet.sites])
    assert 1000 <= np.median(annual) <= 1400
    assert (annual > 800).all() and (annual < 1500).all()
    months = np.array([d.month for d in fleet.grid.dates])
    monthly = np.array([s.energy["generation"].reshape(365, -1).sum(axis=1)
                        / float(s.capacity_dc_kw) / 1000 for s in fleet.sites]).mean(axis=0)
    assert monthly[months == 5].mean() > monthly[months == 12].mean()


def test_the_household_balance_and_the_registers(clean: Fleet) -> None:
    for s in clean.sites:
        gen, exp, imp = (s.energy[c] for c in ("generation", "export", "import"))
        assert (exp <= gen).all() and (exp >= 0).all() and (imp >= 0).all()
        load = gen - exp + imp  # dmrv.md §5.2
        assert (load > 0).all()
        assert not ((exp > 0) & (imp > 0)).any()  # one meter: export or import
        for ch in ("generation", "export", "import"):
            reg = s.register[ch]
            assert (np.diff(reg) >= 0).all()
            assert np.array_equal(reg, s.register_start[ch] + np.cumsum(s.energy[ch]))
            assert s.register_start[ch] > 0
        assert 0.05 < s.self_share < 0.9
    midday = (clean.grid.local_hour > 11) & (clean.grid.local_hour < 13)
    assert sum(int(s.energy["export"][midday].sum()) for s in clean.sites) > 0
    evening = (clean.grid.local_hour > 18) & (clean.grid.local_hour < 21)
    night = (clean.grid.local_hour > 2) & (clean.grid.local_hour < 4)
    loads = np.array([s.energy["import"] for s in clean.sites]).sum(axis=0)
    assert loads[evening].mean() > 1.5 * loads[night].mean()  # the evening peak


def test_finer_cadence() -> None:
    fleet = simulate_fleet(2, 2, seed=1, interval_s=300)
    s = fleet.sites[0]
    assert s.start.size == 2 * 288 and (np.diff(s.start) == 300).all()
    assert s.energy["generation"][s.elevation <= 0].sum() == 0
    assert s.energy["generation"].max() <= s.ac_w * 300 / 3600 * 1.05
    (batch,) = [b for b in fleet.envelopes() if b.device_id == s.device_id and b.seq == 1]
    parsed, _ = parse_envelope(batch.data)
    assert parsed.interval_s == 300 and len(parsed.readings) == 288 * 3


# --- faults ---------------------------------------------------------------------------------


def test_labels_carry_the_rule_and_severity_of_the_fault_table(faulty: Fleet) -> None:
    assert {lb.fault for lb in faulty.labels} == set(FAULT_NAMES)
    for lb in faulty.labels:
        assert (lb.rule_id, lb.severity) == (FAULTS[lb.fault].rule_id,
                                             FAULTS[lb.fault].severity.value)
        assert lb.first_start < lb.last_end
    lines = faulty.labels_csv().splitlines()
    assert lines[0] == "site,device_id,fault,rule_id,severity,first_start,last_end"
    assert len(lines) == 1 + len(FAULT_NAMES)
    assert any(",stuck_meter,R10,HOLD,20" in line for line in lines)
    clean = [s for s in faulty.sites if not s.faults]
    assert len(clean) == len(faulty.sites) - len(FAULT_NAMES)


def test_stuck_meter(faulty: Fleet) -> None:
    s = carrier(faulty, "stuck_meter")
    for idx in labelled(faulty, s, "stuck_meter"):
        assert idx.size >= 4
        assert (s.energy["generation"][idx] == 0).all()
        assert np.ptp(s.register["generation"][idx]) == 0
        assert (s.elevation[idx] >= 15).all() and (s.clean_generation[idx] > 0).all()


def test_night_generation(faulty: Fleet) -> None:
    s = carrier(faulty, "night_generation")
    runs = labelled(faulty, s, "night_generation")
    assert len(runs) >= 3 and len({int(s.day[r[0]]) for r in runs}) >= 3
    for idx in runs:
        assert idx.size >= 3 and (s.elevation[idx] < -5).all()
        assert (s.energy["generation"][idx] >= 0.019 * wh_cap(s)).all()
        assert (s.energy["generation"][idx] <= 0.101 * wh_cap(s)).all()
    everything = np.concatenate(runs)
    others = np.setdiff1d(np.arange(s.start.size), everything)
    assert s.energy["generation"][others][s.elevation[others] <= 0].sum() == 0


def _centroid_hours(starts: np.ndarray, energy: np.ndarray) -> float:
    """The energy-weighted mean JST hour of production (a circular mean: a window shifted
    by 9 h crosses midnight)."""
    angle = 2 * np.pi * ((starts + 900 + 9 * 3600) % DAY_S) / DAY_S
    mean = np.arctan2((np.sin(angle) * energy).sum(), (np.cos(angle) * energy).sum())
    return float(mean % (2 * np.pi) * 24 / (2 * np.pi))


def test_clock_shift_9h(faulty: Fleet) -> None:
    s = carrier(faulty, "clock_shift_9h")
    (label,) = [lb for lb in faulty.labels_of(s) if lb.fault == "clock_shift_9h"]
    shifted = s.zulu
    assert shifted.any() and not shifted.all()
    first = int(np.flatnonzero(shifted)[0])
    assert (s.start[shifted] - faulty.grid.starts[shifted] == 9 * 3600).all()
    assert label.first_start == faulty.grid.starts[first]
    assert not ((s.start >= label.first_start) & (s.start < label.first_start + 9 * 3600)).any()
    gen = s.energy["generation"]
    before = _centroid_hours(s.start[:first], gen[:first])
    after = _centroid_hours(s.start[first:], gen[first:])
    true = _centroid_hours(faulty.grid.starts[first:], s.clean_generation[first:])
    assert 10.5 <= before <= 13.5 and abs(after - true - 9) < 0.1  # noon became 21:00 JST
    texts = [b for b in faulty.envelopes() if b.device_id == s.device_id]
    last = json.loads(texts[-1].data)["batch"]
    assert last["readings"][0]["start"].endswith("Z") and last["created_at"].endswith("Z")


def test_slow_drift(faulty: Fleet) -> None:
    s = carrier(faulty, "slow_drift")
    (label,) = [lb for lb in faulty.labels_of(s) if lb.fault == "slow_drift"]
    per_day = faulty.grid.per_day
    offsets = []
    for day in range(faulty.grid.days):
        part = slice(day * per_day, (day + 1) * per_day)
        offsets.append(60 * (_centroid_hours(s.start[part], s.energy["generation"][part])
                             - _centroid_hours(faulty.grid.starts[part],
                                               s.clean_generation[part])))
    expected = label.details["offset_at_end_s"] / 60
    assert abs(offsets[-1]) >= 40 and abs(offsets[-1] - expected) < 10
    assert abs(offsets[0]) < 10 + abs(label.details["seconds_per_day"]) / 60
    assert (np.diff(np.abs(offsets)) > -2).all()  # growing, day after day


def test_register_reset_and_rollover(faulty: Fleet) -> None:
    s = carrier(faulty, "register_reset")
    (idx,) = labelled(faulty, s, "register_reset")
    reg = s.register["generation"]
    i = int(idx[0])
    assert reg[i] < reg[i - 1] and reg[i] <= 20 + s.energy["generation"][i]
    assert (np.diff(reg[i:]) >= 0).all()
    assert np.count_nonzero(np.diff(reg) < 0) == 1
    r = carrier(faulty, "rollover")
    (idx,) = labelled(faulty, r, "rollover")
    reg = r.register["generation"]
    i = int(idx[0])
    assert reg[i - 1] >= 0.99 * ROLLOVER_LIMIT_WH and reg[i] < reg[i - 1]
    assert (int(reg[i - 1]) + int(r.energy["generation"][i])) % ROLLOVER_LIMIT_WH == reg[i]
    assert np.count_nonzero(np.diff(reg) < 0) == 1


def test_export_above_generation(faulty: Fleet) -> None:
    s = carrier(faulty, "export_gt_generation")
    (idx,) = labelled(faulty, s, "export_gt_generation")
    assert idx.size >= 4
    assert (s.energy["export"][idx] > 1.1 * s.energy["generation"][idx]).all()
    rest = np.setdiff1d(np.arange(s.start.size), idx)
    assert (s.energy["export"][rest] <= s.energy["generation"][rest]).all()


def test_capacity_inflated_and_clipping_above_rating(faulty: Fleet) -> None:
    s = carrier(faulty, "capacity_inflated")
    assert s.energy["generation"].max() > wh_cap(s, 1.05)
    assert s.energy["generation"].sum() == pytest.approx(2 * s.clean_generation.sum(), rel=0.01)
    c = carrier(faulty, "clipping_above_rating")
    runs = labelled(faulty, c, "clipping_above_rating")
    plateau = np.concatenate(runs)
    assert plateau.size >= 3 and max(r.size for r in runs) >= 2
    energy = c.energy["generation"][plateau]
    assert (energy > wh_cap(c, 1.13)).all() and (energy < wh_cap(c, 1.17)).all()
    assert c.energy["generation"].max() < wh_cap(c, 1.17)


def test_interpolated_estimated_and_missing_intervals(faulty: Fleet) -> None:
    s = carrier(faulty, "gap_interpolated")
    (idx,) = labelled(faulty, s, "gap_interpolated")
    gen = s.energy["generation"][idx]
    assert idx.size >= 3 and np.ptp(gen) == 0 and gen[0] > 0
    assert np.ptp(np.diff(s.register["generation"][idx[0] - 1:idx[-1] + 1])) == 0  # a line
    assert (s.quality["generation"][idx] == 0).all() and (s.elevation[idx] > 20).all()
    e = carrier(faulty, "gap_estimated")
    (idx,) = labelled(faulty, e, "gap_estimated")
    assert idx.size >= 3 and (e.quality["generation"][idx] == 1).all()
    assert np.count_nonzero(e.quality["generation"]) == idx.size
    g = carrier(faulty, "gap")
    (label,) = [lb for lb in faulty.labels_of(g) if lb.fault == "gap"]
    ((a, b),) = label.intervals
    inside = (g.start >= a) & (g.start < b)
    assert inside.sum() >= 2 and not g.present[inside].any()
    assert g.present[~inside].all()
    series = faulty.site_series(g)
    assert not any(a <= t < b for t in series.channel("generation").start)


def test_fleet_outlier_and_expired_certification(faulty: Fleet) -> None:
    s = carrier(faulty, "fleet_outlier")
    (label,) = [lb for lb in faulty.labels_of(s) if lb.fault == "fleet_outlier"]
    ratio = s.energy["generation"].sum() / s.clean_generation.sum()
    assert 1.5 <= label.details["yield_factor"] <= 1.7
    assert ratio == pytest.approx(label.details["yield_factor"], rel=0.01)
    assert s.energy["generation"].max() <= wh_cap(s, 1.005)  # under R11's cap (1.05)
    e = carrier(faulty, "expired_certification")
    assert e.certification_expires < faulty.grid.start
    assert e.device_row()["certification_expires"] == e.certification_expires.isoformat()


# --- batches --------------------------------------------------------------------------------


def test_envelopes_verify_and_chain(faulty: Fleet) -> None:
    keys = {s.device_id: s.signer.public_raw for s in faulty.sites}
    heads: dict[str, tuple[int, str]] = {}
    kinds: dict[str, list[tuple[str, bytes, object]]] = {}
    total = 0
    for env in faulty.envelopes():
        total += 1
        batch, signature = parse_envelope(env.data)
        good = verify(keys[env.device_id], signature, batch.signed)
        kinds.setdefault(env.kind, []).append((env.device_id, env.data, batch))
        assert batch.device_id == env.device_id and batch.key_id == \
            faulty.site_by_id(env.device_id).signer.key_id
        if env.kind in ("duplicate", "tampered"):
            assert good is (env.kind == "duplicate")
            continue
        assert good
        seq, prev = heads.get(env.device_id, (0, GENESIS))
        assert (batch.seq, batch.prev) == (seq + 1, prev)
        heads[env.device_id] = (batch.seq, batch.hash)
    assert total == faulty.envelope_count()
    assert {k: len(v) for k, v in kinds.items() if k != "batch"} == {
        "duplicate": 1, "tampered": 1, "conflicting": 1}
    originals = {data for _, data, _ in kinds["batch"]}
    assert kinds["duplicate"][0][1] in originals
    device, _, conflict = kinds["conflicting"][0]
    (original,) = [b for d, _, b in kinds["batch"]
                   if d == device and b.first_start == conflict.first_start]
    assert original.readings.keys() == conflict.readings.keys()
    assert original.readings.energy_wh != conflict.readings.energy_wh
    clean = next(s for s in faulty.sites if not s.faults)
    assert heads[clean.device_id][0] == faulty.grid.days


def test_batch_faults_leave_the_data_clean(faulty: Fleet) -> None:
    for name, spec in FAULTS.items():
        if spec.level != BATCH:
            continue
        s = carrier(faulty, name)
        assert s.present.all() and np.array_equal(s.energy["generation"], s.clean_generation)
        assert s.batch_faults[name] in range(faulty.grid.days)


def test_site_series_for_the_rules(faulty: Fleet) -> None:
    s = carrier(faulty, "gap_estimated")
    series = faulty.site_series(s.device_id)
    gen = series.channel("generation")
    assert series.facts.site == s.site and series.facts.capacity_ac_kw == s.capacity_ac_kw
    assert len(gen) == s.start.size and gen.start == sorted(gen.start)
    assert set(series.channels) == {"generation", "export", "import"}
    assert gen.quality.count("estimated") >= 3
    assert all(isinstance(v, int) for v in gen.energy_wh[:5] + gen.register_wh[:5])
    assert len(series.sun_elevation) == len(series.clear_sky_wh) == len(gen)
    elevation, clear = physics_context(s.facts(), s.start[:48], 1800)
    assert np.allclose(elevation, s.elevation[:48], atol=1e-6)
    assert np.allclose(clear, s.clear_sky_wh[:48], rtol=0.15, atol=20)
    night = np.array(series.sun_elevation) <= 0
    assert not np.array(series.clear_sky_wh)[night].any()


def test_files_of_the_fleet(faulty: Fleet) -> None:
    devices = faulty.devices_csv().splitlines()
    assert devices[0] == ("project,activity,device_id,capacity_ac_kw,capacity_dc_kw,"
                          "commissioned_on,latitude,longitude,tilt,azimuth,serial,"
                          "certification_expires,channels,public_key")
    assert len(devices) == 1 + len(faulty.sites)
    activities = faulty.activities_csv().splitlines()
    assert activities[0] == "code,address,operation_start,expected_tco2_per_year,household"
    addresses = [line.split(",")[1] for line in activities[1:]]
    assert len(set(addresses)) == len(addresses)
    expected = [float(line.split(",")[3]) for line in activities[1:]]
    assert all(0.05 < x < 5 for x in expected)  # t-CO2/yr of a household
    manifest = faulty.manifest()
    assert manifest["seed"] == 5 and manifest["counts"]["faults"]["gap"] == 1


# --- bad arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"faults": "stuck_meter,wobble"}, "faults"),
    ({"interval_s": 1200}, "interval"),
    ({"project": "P-1"}, "project"),
    ({"faults": "slow_drift", "days": 3}, "days"),
    ({"faults": "fleet_outlier", "sites": 3}, "sites"),
    ({"sites": 0}, "sites"),
    ({"fault_rate": 0.0}, "fault_rate"),
    ({"region": "atlantis"}, "region"),
])
def test_bad_arguments_are_refused_with_the_field(kwargs: dict[str, object],
                                                  field: str) -> None:
    args = {"sites": 10, "days": 2} | kwargs
    with pytest.raises(ValidationError) as caught:
        simulate_fleet(**args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_region_keeps_every_site_in_it() -> None:
    fleet = simulate_fleet(6, 1, seed=2, region="kyushu")
    assert {s.city.region for s in fleet.sites} == {"kyushu"}
