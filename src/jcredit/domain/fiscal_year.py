"""Japanese fiscal years (年度: April to March) and the 温対法 reporting-year rule."""

from __future__ import annotations

from datetime import date


def fiscal_year_of(day: date) -> int:
    """The fiscal year (年度) a date falls in: FY2025 runs 2025-04-01 to 2026-03-31.

    >>> fiscal_year_of(date(2026, 3, 31)), fiscal_year_of(date(2026, 4, 1))
    (2025, 2026)
    """
    return day.year if day.month >= 4 else day.year - 1


def reporting_years_open_on(day: date) -> tuple[int, ...]:
    """Reporting fiscal years that an invalidation completed on ``day`` may be assigned to.

    An invalidation counts for the fiscal year it is completed in; one completed by the end
    of June may instead be assigned to the previous fiscal year, at the holder's choice
    (jcredit-rules.md §3.2, http://krutar.com/case/law/).

    >>> reporting_years_open_on(date(2026, 6, 30)), reporting_years_open_on(date(2026, 7, 1))
    ((2026, 2025), (2026,))
    """
    current = fiscal_year_of(day)
    if day.month in (4, 5, 6):
        return (current, current - 1)
    return (current,)
