"""R21: the meter's certification (計量法の検定) has expired (dmrv.md §5.3 R21; CDM
issuance reviews reject data from meters past their calibration).

Readings from intervals that start after the registered expiry date (the certificate is
valid through that date, JST) → HOLD: the verifier decides (accepted, they earn in full;
rejected, they are taken out). A conservative deduction when they are accepted (the maximum
permissible error of the meter's class, as CDM does for delayed calibration) is not applied
yet: it needs the classes' errors as sourced data.
"""

from __future__ import annotations

from datetime import timedelta

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.schema import epoch_of_date_jst
from jcredit.domain.dmrv.thresholds import Thresholds


def certification_expired(series: SiteSeries, thresholds: Thresholds | None = None, *,
                          ctx: Context | None = None) -> list[Finding]:
    """R21 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    expires = ctx.facts.certification_expires
    if expires is None or not ctx.n:
        return []
    limit = epoch_of_date_jst(expires + timedelta(days=1))
    if ctx.start[-1] + ctx.seconds[-1] <= limit:
        return []
    first = next(i for i, s in enumerate(ctx.start) if s + ctx.seconds[i] > limit)
    energy = ctx.energy
    return [ctx.finding(
        "R21", "certification_expired", Severity.HOLD,
        [(max(ctx.start[first], limit), ctx.start[-1] + ctx.seconds[-1])],
        sum(e for e in energy[first:] if e),
        {"certification_expires": expires.isoformat(), "intervals": ctx.n - first,
         "first_start_after": ctx.start[first]})]
