"""R14: export greater than generation (dmrv.md §5.3 R14; J-Credit EN-R-002 credits only
self-consumption, ``E_self = E_gen − E_exp``, jcredit-rules.md §2.3).

Per interval, ``E_exp > E_gen × (1 + R14.meter_tolerance) + ε`` (tolerance = meter class
±1–2 % + 0.5 %; ε = ``R14.epsilon`` × AC capacity × Δt) is impossible without storage: a CT on
the wrong conductor, swapped channels, or invented export. BLOCK the interval; HOLD when the
device declares a battery (its discharge can be exported; the verifier attributes it).
"""

from __future__ import annotations

from jcredit.domain.dmrv.model import Channel
from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.context import EXPORT
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import deduplicated
from jcredit.domain.dmrv.rules.context import examples
from jcredit.domain.dmrv.thresholds import Thresholds

_BATTERY = {Channel.BATTERY_CHARGE.value, Channel.BATTERY_DISCHARGE.value}


def export_above_generation(series: SiteSeries, thresholds: Thresholds | None = None, *,
                            ctx: Context | None = None) -> list[Finding]:
    """R14 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    if EXPORT not in series.channels or not ctx.n:
        return []
    t = ctx.t
    exp_ch = deduplicated(series.channels[EXPORT])[0]
    exp = ctx.energy_of(EXPORT)
    gen = ctx.energy
    gen_span, gen_secs = ctx.span, ctx.seconds
    where = {s: i for i, s in enumerate(ctx.start)}
    tol = 1.0 + t.f("R14.meter_tolerance")
    eps = t.f("R14.epsilon") * ctx.ac_w / 3600.0
    over = []
    for k, (s, x) in enumerate(zip(exp_ch.start, exp.energy, strict=True)):
        if not x or exp.span[k] != exp_ch.seconds[k]:
            continue
        i = where.get(s)
        if i is None or gen_span[i] != gen_secs[i] or gen_secs[i] != exp_ch.seconds[k]:
            continue
        g = gen[i]
        if g is None:
            continue
        if x > g * tol + eps * gen_secs[i]:
            over.append((i, g, x))
    if not over:
        return []
    battery = bool(_BATTERY & set(ctx.facts.channels))
    return [ctx.finding(
        "R14", "export_above_generation", Severity.HOLD if battery else Severity.BLOCK,
        ctx.ranges(i for i, _, _ in over), sum(x - g for _, g, x in over),
        {"intervals": len(over), "battery_declared": battery,
         "examples": examples([{"start": ctx.start[i], "generation_wh": g, "export_wh": x}
                               for i, g, x in over]),
         "thresholds": t.of_rule("R14")})]
