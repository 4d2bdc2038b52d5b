"""Baseline equipment: replacement (更新) or new installation (新設), jcredit-rules.md §2.2.

For equipment methodologies (EN-S-006, EN-S-007, EN-R-003 …) the baseline is the replaced
equipment, except that a replacement is treated as a new installation, with "標準的な設備"
(standard equipment) as the baseline, when any of these holds:

1. the old equipment's specifications cannot be obtained;
2. the old equipment cannot keep working, or is older than 2× its statutory useful life
   (for lamps without one, the rated life);
3. the new equipment provides a capability the old one could not;
4. the new rated capacity is more than 1.5× the old.

Sources: EN-S-007 https://expydoc.com/doc/687830/ , EN-S-006
https://pdfslide.tips/documents/en-s-006-ver2-2-een-s-006ver21-ce-aece.html
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from jcredit.domain.numbers import D

CAPACITY_RATIO_LIMIT = D("1.5")
USEFUL_LIFE_MULTIPLE = D(2)


class BaselineKind(StrEnum):
    REPLACEMENT = "REPLACEMENT"  # 更新: the old equipment is the baseline
    NEW_INSTALLATION = "NEW_INSTALLATION"  # 新設: standard equipment is the baseline


@dataclass(frozen=True, slots=True)
class BaselineDecision:
    kind: BaselineKind
    reasons: tuple[str, ...]


def baseline_kind(
    *,
    is_replacement: bool,
    old_specs_known: bool = True,
    old_can_keep_working: bool = True,
    old_age_years: Decimal | None = None,
    old_useful_life_years: Decimal | None = None,
    adds_new_capability: bool = False,
    old_capacity: Decimal | None = None,
    new_capacity: Decimal | None = None,
) -> BaselineDecision:
    """Decide whether the baseline is the old equipment or standard equipment.

    Examples
    --------
    >>> baseline_kind(is_replacement=True, old_capacity=D(10), new_capacity=D(15)).kind
    <BaselineKind.REPLACEMENT: 'REPLACEMENT'>
    >>> baseline_kind(is_replacement=True, old_capacity=D(10), new_capacity=D("15.1")).reasons
    ('new rated capacity 15.1 is more than 1.5 × the old 10',)
    """
    if not is_replacement:
        return BaselineDecision(BaselineKind.NEW_INSTALLATION, ("new installation",))
    reasons = []
    if not old_specs_known:
        reasons.append("the old equipment's specifications cannot be obtained")
    if not old_can_keep_working:
        reasons.append("the old equipment cannot keep working")
    if (old_age_years is not None and old_useful_life_years is not None
            and old_age_years > USEFUL_LIFE_MULTIPLE * old_useful_life_years):
        reasons.append(f"the old equipment ({old_age_years} years) is older than 2 × its "
                       f"useful life ({old_useful_life_years} years)")
    if adds_new_capability:
        reasons.append("the new equipment provides a capability the old one could not")
    if (old_capacity is not None and new_capacity is not None
            and new_capacity > CAPACITY_RATIO_LIMIT * old_capacity):
        reasons.append(f"new rated capacity {new_capacity} is more than 1.5 × the old "
                       f"{old_capacity}")
    if reasons:
        return BaselineDecision(BaselineKind.NEW_INSTALLATION, tuple(reasons))
    return BaselineDecision(BaselineKind.REPLACEMENT, ("replacement: the old equipment is "
                                                       "the baseline",))
