"""Public statistics (issue 16): sums, ratios, and the seed's historical totals reproduced
from their rows (jcredit-rules.md TV11)."""

from __future__ import annotations

from decimal import Decimal

from jcredit.domain.public.statistics import add_up
from jcredit.domain.public.statistics import by
from jcredit.domain.public.statistics import historical
from jcredit.domain.public.statistics import historical_summary
from jcredit.domain.public.statistics import ratio


def test_the_2022_slide_is_reproduced_from_its_rows() -> None:
    figures = historical("2022-02-16")
    summary = historical_summary(figures)
    assert summary["purposes_total"] == Decimal(554)  # 321 + 22 + 8 + 14 + 189 = 554万 t
    assert summary["offset_subpurposes_total"] == Decimal(188)  # 189 on the slide (rounding)
    assert summary["reduction_invalidation_ratio"] == Decimal("62.5")  # 約62%
    assert summary["forest_invalidation_ratio"] == Decimal("38.1")  # 約38%
    assert all(f.source for f in figures)


def test_sums_and_groups() -> None:
    rows = [("FOREST", {"issued": 10, "held": 4, "invalidated": 6}),
            ("RENEWABLE_POWER", {"issued": 5, "reserved": 1, "retired": 1, "held": 3}),
            ("FOREST", {"issued": 2, "cancelled": 2})]
    grouped = by(rows)
    assert list(grouped) == ["FOREST", "RENEWABLE_POWER"]
    assert grouped["FOREST"] == {"issued": 12, "held": 4, "reserved": 0, "invalidated": 6,
                                 "retired": 0, "cancelled": 2}
    assert add_up(b for _, b in rows)["issued"] == 17
    assert ratio(6, 12) == Decimal("50.0") and ratio(0, 0) is None
