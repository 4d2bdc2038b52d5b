"""How a site's page shows its readings and findings (docs/dmrv.md §8) to people: times in
Japan, energies in kWh rounded for reading, the chart's data for ``static/site-chart.js``,
and a finding's evidence as labelled lines instead of JSON.

The evidence is whatever a rule chose to record (``domain/dmrv/rules``): its keys are named
through labels.po (kind ``evidence``), epoch seconds become JST times, codes (reasons,
kinds, channels, qualities) get their names. A key no catalog names yet is shown as the
code it is (``<code>``), a free text of the rules (English) is marked ``lang="en"``: nothing
is hidden, and the page stays readable in Japanese.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.i18n import format_date
from jcredit.entrypoints.web.i18n import format_quantity
from jcredit.entrypoints.web.i18n import format_time
from jcredit.entrypoints.web.i18n import language_of
from jcredit.service_layer.dmrv.sites import JST

# Evidence keys whose integer values are UTC epoch seconds, and whose text values are days.
EPOCH_KEYS = frozenset({"start", "end", "first_start", "first_start_after", "now", "starts"})
DAY_KEYS = frozenset({"day", "first_day", "last_day", "certification_expires",
                      "commissioned_on"})
# Keys whose text values are codes with names of their own (label kind).
VALUE_KINDS = {"channel": "channel", "quality": "quality", "kind": "evidence_value",
               "reason": "evidence_value", "reasons": "evidence_value",
               "registered": "channel", "valid": "evidence_value"}
LIST_SHOWN = 8  # items of a list shown, then "n more"
SPANS_SHOWN = 6  # interval ranges of a finding shown

# Every key the rules record (rules/*.py; tests/unit/test_i18n.py checks both catalogs).
EVIDENCE_KEYS = (
    "base_wh", "batch", "batches", "battery_declared", "blocks", "cadence_s", "cap", "cap_wh",
    "cap_wh_per_30min", "capacity_ac_kw", "capacity_dc_kw", "certification_expires",
    "changed", "channel", "claim", "clear_days", "clear_sky_wh", "commissioned_on",
    "compared_with", "conflicts", "constant_runs", "daylight_completeness",
    "daylight_completeness_min", "days", "day", "deduction", "default", "delta_wh",
    "device_id", "duplicates", "end", "energy_wh", "epsilon_wh_per_30min", "estimated",
    "events", "examples", "export_wh", "first", "first_day", "first_start",
    "first_start_after", "flagged_days", "fleet_median", "gaps", "generation_wh", "glitches",
    "incomplete", "incomplete_days", "interpolated", "intervals", "kind", "largest",
    "last_day", "lengths", "mad", "max_ratio", "missing_daylight_intervals",
    "missing_intervals", "modulus_wh", "neighbours", "nights", "normalised_by_clear_sky",
    "now", "offset_min", "offsets", "offsets_s", "other_claim", "other_credited",
    "other_project", "persistent_batches", "plateau_ratio_to_rating", "plateaus",
    "project", "quality", "reason", "reasons", "received_at", "reference_min", "register_span_wh",
    "register_spans", "register_wh", "registered", "resets", "rule_id", "runs", "score",
    "second", "seconds", "shared", "sites", "sloped_runs", "smoothed_min", "start",
    "starts", "sun_elevation", "threshold", "thresholds", "tolerance_s", "usable_days",
    "valid", "valid_cadences_s", "value", "version", "without_clear_sky", "z",
)
# Codes found among the values (R06's reasons, R08's kinds, R20's reasons).
EVIDENCE_VALUES = ("drift", "impossible_offset", "shift_1h", "shift_from_reference",
                   "sustained_shift", "reset", "glitch", "rollover", "already_credited",
                   "two_projects", "overlapping_periods", "measured", "estimated",
                   "interpolated")
SEVERITY_CLASSES = {"BLOCK": "sev-BLOCK", "HOLD": "sev-HOLD", "FLAG": "sev-FLAG"}
CHART_TEXTS = {"generation": N_("chart_generation"), "export": N_("chart_export"),
               "import": N_("chart_import"), "clear_sky": N_("chart_clear_sky")}


@dataclass(frozen=True)
class Line:
    """One line of evidence: its name (``code`` when no catalog names the key), its value
    as text, and the items of a list value."""

    key: str
    name: str
    code: bool
    text: str = ""
    foreign: bool = False  # the rules' own text, in English
    mono: bool = False  # identifiers and values as they are (thresholds)
    items: tuple[str, ...] = ()
    more: int = 0
    # thresholds: (name in the reader's language, value as configured, code)
    settings: tuple[tuple[str, str, str], ...] = ()


class Presenter:
    """Formatting for one page in the reader's language."""

    def __init__(self, lang: str, t: Callable[[str], str], label: Callable[[str, object], str]
                 ) -> None:
        self.lang, self.t, self.label = language_of(lang), t, label

    # -- times ------------------------------------------------------------------------------

    def time(self, epoch: int) -> str:
        return format_time(datetime.fromtimestamp(epoch, JST), self.lang)

    def span(self, start: int, end: int) -> str:
        """``[start, end)`` in Japan time: the day once when it ends the same day (an end at
        midnight is 24:00 of the day before)."""
        a = datetime.fromtimestamp(start, JST)
        b = datetime.fromtimestamp(end, JST)
        if (b - timedelta(seconds=1)).date() == a.date():
            clock = "24:00" if b.date() != a.date() else f"{b:%H:%M}"
            first = format_time(a, self.lang)
            if self.lang == "en":
                return first.replace(" JST", f"–{clock} JST")
            return f"{first}–{clock}"
        return f"{format_time(a, self.lang)} – {format_time(b, self.lang)}"

    @staticmethod
    def day(epoch: int) -> str:
        """The JST day of a moment, YYYY-MM-DD (a site page's ``from``/``to``)."""
        return datetime.fromtimestamp(epoch, JST).date().isoformat()

    def spans(self, intervals: list[list[int]]) -> tuple[list[str], int]:
        shown = [self.span(a, b) for a, b in intervals[:SPANS_SHOWN]]
        return shown, max(0, len(intervals) - SPANS_SHOWN)

    # -- energies ---------------------------------------------------------------------------

    @staticmethod
    def kwh(wh: int | None, places: int = 1) -> str:
        """Wh as kWh for people (the API keeps the exact Wh)."""
        if wh is None:
            return "—"
        return format_quantity(Decimal(wh) / 1000, places)

    # -- evidence ---------------------------------------------------------------------------

    def key_name(self, key: str) -> tuple[str, bool]:
        name = self.label("evidence", key)
        return (name, False) if name != key else (key, True)

    def value(self, key: str, value: Any) -> tuple[str, bool]:
        """A scalar as text, and whether it is the rules' English text."""
        if value is None:
            return "—", False
        if isinstance(value, bool):
            return (self.t("yes") if value else self.t("no")), False
        if isinstance(value, int):
            if key in EPOCH_KEYS:
                return self.time(value), False
            return format_quantity(value, 0), False
        if isinstance(value, float):
            return format_quantity(value, 3), False
        text = str(value)
        if key in DAY_KEYS:
            return format_date(text, self.lang), False
        kind = VALUE_KINDS.get(key)
        if kind is not None:
            name = self.label(kind, text)
            if name != text:
                return name, False
        named = self.label("evidence_value", text)
        if named != text:
            return named, False
        return text, any(c.isalpha() and c.isascii() for c in text) and " " in text

    def inline(self, key: str, value: Any) -> str:
        """A value of a list or a nested object, on one line."""
        if isinstance(value, Mapping):
            parts = []
            for k, v in value.items():
                name, _ = self.key_name(str(k))
                parts.append(f"{name}: {self.inline(str(k), v)}")
            return "、".join(parts) if self.lang == "ja" else "; ".join(parts)
        if isinstance(value, list):
            shown = [self.inline(key, v) for v in value[:LIST_SHOWN]]
            more = len(value) - LIST_SHOWN
            if more > 0:
                shown.append(self.t("and_more").format(count=more))
            return ", ".join(shown)
        return self.value(key, value)[0]

    def evidence(self, evidence: Mapping[str, Any]) -> list[Line]:
        lines = []
        for key, value in evidence.items():
            name, code = self.key_name(key)
            if key == "thresholds" and isinstance(value, Mapping):
                # each threshold by its name in the reader's language, its code beside it
                settings = tuple((self.label("threshold", k), str(v), str(k))
                                 for k, v in value.items())
                lines.append(Line(key, name, code, settings=settings))
            elif isinstance(value, list) and value and isinstance(value[0], Mapping):
                items = tuple(self.inline(key, v) for v in value[:LIST_SHOWN])
                lines.append(Line(key, name, code, items=items,
                                  more=max(0, len(value) - LIST_SHOWN)))
            elif isinstance(value, (list, Mapping)):
                lines.append(Line(key, name, code, self.inline(key, value)))
            else:
                text, foreign = self.value(key, value)
                lines.append(Line(key, name, code, text, foreign))
        return lines

    # -- the chart --------------------------------------------------------------------------

    def chart(self, view: Mapping[str, Any]) -> dict[str, Any]:
        """The data of ``static/site-chart.js`` (a JSON block: the CSP allows no inline
        script)."""
        s = view["series"]
        bands = {"BLOCK": self.label("severity", "BLOCK"), "HOLD": self.label("severity", "HOLD"),
                 "FLAG": self.label("severity", "FLAG")}
        return {
            "start": s["start"], "seconds": s["seconds"],
            "lines": [
                {"key": "generation", "label": self.t(CHART_TEXTS["generation"]),
                 "data": s["generation_wh"]},
                {"key": "export", "label": self.t(CHART_TEXTS["export"]),
                 "data": s["export_wh"]},
                {"key": "import", "label": self.t(CHART_TEXTS["import"]),
                 "data": s["import_wh"], "hidden": True},
                {"key": "clear_sky", "label": self.t(CHART_TEXTS["clear_sky"]),
                 "data": s["clear_sky_wh"]}],
            "bands": view["bands"],
            "band_labels": {k: f"{v} ({k})" for k, v in bands.items()},
            "x_title": self.t("chart_time_jst"), "y_title": self.t("chart_energy_wh"),
            "lang": self.lang,
        }
