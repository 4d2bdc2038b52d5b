"""R08: register integrity (dmrv.md §5.3 R08; evcc #30592, fronius_modbus #140, ECHONET
0xD7 effective digits).

The events come from the one energy helper (``jcredit.domain.dmrv.energy``), on every
channel that sends registers (an export register that drops under-counts export and so
over-credits self-consumption):

- **reset** (a backward step that never comes back: counts on from a new value) and
  **glitch** (backward readings that later recover) → BLOCK the affected intervals; the
  helper never rebases on a backward value, and a reset needs a meter-change record.
- **rollover** at the effective-digit limit, where the modular delta is one the site can
  produce → HOLD: the delta is computable, the verifier confirms the meter's digits.
"""

from __future__ import annotations

from jcredit.domain.dmrv.energy import GLITCH
from jcredit.domain.dmrv.energy import RESET
from jcredit.domain.dmrv.energy import ROLLOVER
from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.context import GEN
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import deduplicated
from jcredit.domain.dmrv.rules.context import examples
from jcredit.domain.dmrv.thresholds import Thresholds


def register_integrity(series: SiteSeries, thresholds: Thresholds | None = None, *,
                       ctx: Context | None = None) -> list[Finding]:
    """R08 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    out: list[Finding] = []
    for name in series.channels:
        events = ctx.energy_of(name).events
        if not events:
            continue
        ch = ctx.gen if name == GEN else deduplicated(series.channel(name))[0]
        for kinds, severity in (((RESET, GLITCH), Severity.BLOCK), ((ROLLOVER,), Severity.HOLD)):
            chosen = [e for e in events if e.kind in kinds]
            if not chosen:
                continue
            if severity is Severity.BLOCK:
                energy = sum(ch.energy_wh[e.index] or 0 for e in chosen)
            else:
                energy = sum(e.delta_wh or 0 for e in chosen)
            kind = "rollover" if severity is Severity.HOLD else "register_backward"
            out.append(ctx.finding(
                "R08", kind, severity,
                [(ch.start[e.index], ch.start[e.index] + ch.seconds[e.index]) for e in chosen],
                energy,
                {"channel": name, "events": len(chosen),
                 "resets": sum(e.kind == RESET for e in chosen),
                 "glitches": sum(e.kind == GLITCH for e in chosen),
                 "examples": examples([{"start": ch.start[e.index]} | e.as_dict()
                                       for e in chosen])}))
    return out
