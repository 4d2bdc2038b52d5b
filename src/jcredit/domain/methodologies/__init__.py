"""The methodology catalogue: every implemented methodology, by id and version.

A credit records the methodology id and version that computed it; the catalogue keeps
every version that has been used, so an old calculation can always be re-run.
"""

from __future__ import annotations

from jcredit.domain.errors import NotFoundError
from jcredit.domain.methodologies import ag_004
from jcredit.domain.methodologies import en_r_002
from jcredit.domain.methodologies import en_s_006
from jcredit.domain.methodologies import fo_001
from jcredit.domain.methodologies import heat
from jcredit.domain.methodologies.base import Methodology

CATALOGUE: tuple[Methodology, ...] = (
    en_r_002.METHODOLOGY,
    heat.BIOMASS,
    heat.BOILER,
    en_s_006.METHODOLOGY,
    fo_001.METHODOLOGY,
    ag_004.METHODOLOGY,
)


def methodology(methodology_id: str, version: str | None = None) -> Methodology:
    """The methodology ``methodology_id`` at ``version`` (latest when not given)."""
    wanted = methodology_id.strip().upper()
    matches = [m for m in CATALOGUE if m.id == wanted]
    if version is not None:
        matches = [m for m in matches if m.version == version.strip().lstrip("vV")]
    if not matches:
        raise NotFoundError(
            f"no methodology {methodology_id}" + (f" version {version}" if version else ""),
            field="methodology", valid=[m.key for m in CATALOGUE],
        )
    return max(matches, key=lambda m: tuple(int(p) for p in m.version.split(".")))
