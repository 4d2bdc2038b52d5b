"""The faults the fleet simulator injects and the rule that must catch each
(docs/dmrv.md §6; the table the rules and the simulator share).

One place for the expectation: the simulator writes a label per injected fault with the
``rule_id`` and ``severity`` of :data:`FAULTS`, and the tests compare the rules' findings with
it (issue 13, "done when": every injected fault caught by the right rule with the right
severity). ``also`` lists what a fault may set off besides, as a physical consequence (a stuck
generation meter while the smart meter still counts export makes export exceed generation):
a finding of those rules on that site is expected, not a false positive.

``level`` says where a fault lives: ``data`` in the site's readings (the per-site rules see
it), ``site`` in the registered facts (certification, capacity), ``batch`` in the batch files
only (ingestion catches it; the stored readings are clean).
"""

from __future__ import annotations

from dataclasses import dataclass

from jcredit.domain.dmrv.model import Severity

DATA, SITE, BATCH = "data", "site", "batch"


@dataclass(frozen=True)
class FaultSpec:
    name: str  # the simulator's --faults value
    rule_id: str  # the rule that must catch it
    severity: Severity  # with this severity
    level: str  # data, site or batch (see the module docstring)
    what: str  # what is injected
    also: tuple[tuple[str, Severity], ...] = ()  # may also fire, as a consequence


_B, _H, _F = Severity.BLOCK, Severity.HOLD, Severity.FLAG

FAULTS: dict[str, FaultSpec] = {f.name: f for f in (
    FaultSpec("stuck_meter", "R10", _H, DATA,
              "generation register frozen (energy 0, same register) for 4 or more daylight "
              "half-hours on a sunny day; the smart meter still counts export",
              also=(("R14", _B),)),
    FaultSpec("night_generation", "R07", _B, DATA,
              "generation at night on 3 or more nights, several intervals each, 2–10 % of "
              "the AC rating", also=(("R12", _H),)),
    FaultSpec("clock_shift_9h", "R06", _H, DATA,
              "from some day on, times written as if JST were UTC (every start 9 h late; the "
              "9 hours skipped are missing)",
              # the shifted nights fall on daylight: long zero runs where the sun is high
              also=(("R07", _B), ("R09", _F), ("R10", _H), ("R12", _H))),
    FaultSpec("slow_drift", "R06", _H, DATA,
              "the device clock drifts (2 min/day or more) so the production window ends "
              "40–90 min off", also=(("R07", _B), ("R07", _F), ("R12", _H))),
    FaultSpec("register_reset", "R08", _B, DATA,
              "the generation register drops to about 0 once and counts on from there"),
    FaultSpec("rollover", "R08", _H, DATA,
              "the generation register passes its effective-digit limit (999,999.999 kWh "
              "→ 0) and counts on modulo the limit"),
    FaultSpec("export_gt_generation", "R14", _B, DATA,
              "export above generation for several daylight intervals (no battery)",
              also=(("R15", _F),)),
    FaultSpec("capacity_inflated", "R11", _B, DATA,
              "generation ×2, as if the site were twice its registered size",
              also=(("R12", _H), ("R16", _H), ("R18", _H))),
    FaultSpec("clipping_above_rating", "R18", _H, DATA,
              "a flat plateau at 1.15 × the registered AC rating on clear middays (the real "
              "PCS and array are bigger than registered)",
              also=(("R11", _B), ("R12", _H), ("R16", _H))),
    FaultSpec("gap_interpolated", "R10", _H, DATA,
              "4–6 daylight intervals replaced by a straight line of the register between "
              "their neighbours (equal energies), quality left measured"),
    FaultSpec("gap_estimated", "R09", _B, DATA,
              "3–8 intervals marked quality estimated"),
    FaultSpec("gap", "R09", _F, DATA, "2–10 consecutive intervals missing on every channel"),
    FaultSpec("fleet_outlier", "R16", _H, DATA,
              "the period's generation 1.5–1.7 × the site's physics, scaled so that it stays "
              "under the AC rating once clipped (R11's cap)",
              # clipped at the rating on clear middays: equal values in a row
              also=(("R10", _H), ("R12", _H))),
    FaultSpec("expired_certification", "R21", _H, SITE,
              "the meter certification (検定) expired before the data starts"),
    FaultSpec("duplicate_batch", "R03", _F, BATCH,
              "a batch sent twice, byte for byte (dropped: the same receipt)"),
    FaultSpec("conflicting_batch", "R03", _H, BATCH,
              "a second, correctly chained and signed batch for the same day with different "
              "generation values"),
    FaultSpec("tampered_batch", "R02", _B, BATCH,
              "a copy of a batch with one value changed after signing (the signature no "
              "longer verifies)"),
)}

FAULT_NAMES = tuple(FAULTS)
