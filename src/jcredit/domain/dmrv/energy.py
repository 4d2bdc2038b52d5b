"""Energy per interval from what a meter sends: ``energy_wh``, or cumulative registers.

One helper for the rules (R08 reads its register events; R07, R10–R14 its energies) and for
part 2's settlement, so both count the same watt-hours.

- An interval's energy is its ``energy_wh`` when sent. Otherwise it is the register delta
  from the last register read before it: ``register[i] − base``. When intervals are missing
  in between, the delta **spans** them (``span`` > the interval's length) and is credited as
  one block, never distributed over time (dmrv.md §5.3 R09).
- A register that goes backward is never a new base by itself (evcc #30592: "ignore backward
  totals, never rebase"; a rebase turns a brief 0 into one huge spike when the counter
  recovers). Three cases:

  * **rollover**: the register passed its effective-digit limit (ECHONET 0xD7). The limit is
    the smallest power of ten above the base (a counter of *d* digits in Wh, or in kWh with
    three decimals, wraps at 10^d Wh). If ``register + limit − base`` is a delta the site
    can produce in the time (at most ``max_power_w``), that is the interval's energy, and the
    event is a ``rollover`` (R08 HOLD: the verifier confirms).
  * **glitch**: a later reading comes back to at least the base (a register that read 0 or
    low for a while). The low readings are ``glitch`` events (R08 BLOCK) with no energy of
    their own; the base is kept, so the recovered reading's delta spans them.
  * **reset**: it never comes back (a meter swap or a firmware reset counting on from zero).
    The step is a ``reset`` event (R08 BLOCK) with no energy (unknown); the series counts on
    from the new value, because the register cannot be compared with the old one any more
    (dmrv.md: a reset requires a meter-change event, which the verifier asks for).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from jcredit.domain.dmrv.model import ChannelSeries

RESET = "reset"
GLITCH = "glitch"
ROLLOVER = "rollover"


@dataclass(frozen=True, slots=True)
class RegisterEvent:
    index: int  # the interval whose register reading is the event
    kind: str  # RESET, GLITCH or ROLLOVER
    base_wh: int  # the register the reading is compared with
    register_wh: int
    delta_wh: int | None  # the energy computed for it (a rollover's modular delta)
    modulus_wh: int | None = None  # a rollover's effective-digit limit

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind, "base_wh": self.base_wh,
                                   "register_wh": self.register_wh}
        if self.delta_wh is not None:
            data["delta_wh"] = self.delta_wh
        if self.modulus_wh is not None:
            data["modulus_wh"] = self.modulus_wh
        return data


@dataclass
class IntervalEnergy:
    """Per interval of a channel: the energy (Wh, ``None`` if unknown) and the seconds it
    covers, ending at the interval's end (its own length unless a register delta spans
    missing intervals or a glitch); plus the register events found on the way."""

    energy: list[int | None]
    span: list[int]
    events: list[RegisterEvent] = field(default_factory=list)


def _modulus(base: int) -> int:
    """The smallest power of ten above ``base`` (>= 10)."""
    return int(10 ** max(1, len(str(base))))


def interval_energy(ch: ChannelSeries, *, max_power_w: float | None) -> IntervalEnergy:
    """The energy of each interval of ``ch`` (see the module docstring).

    ``max_power_w`` bounds a plausible delta (e.g. the DC nameplate with its R11 margin): a
    backward register step is a rollover only if its modular delta fits; ``None`` never
    accepts a rollover.

    >>> ch = ChannelSeries([0, 1800, 3600, 5400], [1800] * 4, [1000, 1500, 0, 2200],
    ...                    [None] * 4, ["measured"] * 4)
    >>> e = interval_energy(ch, max_power_w=5000)
    >>> e.energy, e.span, [x.kind for x in e.events]
    ([None, 500, None, 700], [1800, 1800, 1800, 3600], ['glitch'])
    """
    n = len(ch.start)
    energy = list(ch.energy_wh)
    span = list(ch.seconds)
    regs = ch.register_wh
    events: list[RegisterEvent] = []
    if not any(r is not None for r in regs):
        return IntervalEnergy(energy, span, events)
    starts, secs = ch.start, ch.seconds
    base: int | None = None
    base_end = 0
    counted_wh = 0  # energy_wh of intervals without a register since the base
    counted_s = 0
    glitch_until = -1  # readings before this index are a glitch's low values
    for i in range(n):
        r = regs[i]
        end = starts[i] + secs[i]
        if r is None:
            e = energy[i]
            if e is not None:
                counted_wh += e
                counted_s += secs[i]
            continue
        if base is None:
            base, base_end, counted_wh, counted_s = r, end, 0, 0
            continue
        if i < glitch_until:
            events.append(RegisterEvent(i, GLITCH, base, r, None))
            continue
        delta = r - base
        if delta < 0:
            modulus = _modulus(base)
            wrapped = r + modulus - base
            if (max_power_w is not None
                    and wrapped <= max_power_w * (end - base_end) / 3600):
                events.append(RegisterEvent(i, ROLLOVER, base, r, wrapped, modulus))
                delta = wrapped
            else:
                recovered = next((j for j in range(i + 1, n)
                                  if regs[j] is not None and regs[j] >= base), None)  # type: ignore[operator]
                if recovered is not None:
                    glitch_until = recovered
                    events.append(RegisterEvent(i, GLITCH, base, r, None))
                else:
                    events.append(RegisterEvent(i, RESET, base, r, None))
                    base, base_end, counted_wh, counted_s = r, end, 0, 0
                continue
        if ch.energy_wh[i] is None:
            energy[i] = delta - counted_wh
            span[i] = end - base_end - counted_s
        base, base_end, counted_wh, counted_s = r, end, 0, 0
    return IntervalEnergy(energy, span, events)
