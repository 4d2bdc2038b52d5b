"""The anomaly rules' thresholds as versioned data (dmrv.md §5.3; docs/dmrv.md §5).

Every threshold lives in ``data/thresholds.csv`` with its rule, unit, version, source and a
``verified`` flag: §5.3 gives defaults to "tune on pilot data", so none is verified yet, and
the values this code base chose itself say so in their source. Nothing is a bare constant in
the rules.

A threshold set is frozen. :meth:`Thresholds.override` returns a new set with some values
changed (tests, the CLI, a programme that tunes a value); such a set is no longer the
methodology's default and **a changed threshold is itself a HOLD** (R22, after OpenDSM's
"compliant only with defaults"): :func:`overrides_finding` says which values moved, from what
to what, so the verifier reviews every result computed under them.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation
from importlib import resources
from types import MappingProxyType

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.errors import ValidationError

DEFAULT_VERSION = "1"


@dataclass(frozen=True, slots=True)
class Threshold:
    """One row of ``thresholds.csv``."""

    rule_id: str
    name: str
    value: Decimal
    unit: str
    version: str
    source: str
    verified: bool

    @property
    def key(self) -> str:
        return f"{self.rule_id}.{self.name}"

    def as_dict(self) -> dict[str, object]:
        return {"rule_id": self.rule_id, "name": self.name, "value": str(self.value),
                "unit": self.unit, "version": self.version, "source": self.source,
                "verified": self.verified}


@functools.cache
def _table() -> tuple[Threshold, ...]:
    text = resources.files("jcredit.domain.dmrv").joinpath(
        "data", "thresholds.csv").read_text("utf-8")
    rows = []
    for row in csv.DictReader(text.splitlines()):
        rows.append(Threshold(rule_id=row["rule_id"], name=row["name"],
                              value=Decimal(row["value"]), unit=row["unit"],
                              version=row["version"], source=row["source"],
                              verified=row["verified"].strip().lower() == "true"))
    return tuple(rows)


def rows() -> tuple[Threshold, ...]:
    """Every threshold of every version (their names are labelled in the UI)."""
    return _table()


def versions() -> tuple[str, ...]:
    return tuple(sorted({t.version for t in _table()}))


@dataclass(frozen=True)
class Thresholds:
    """A set of thresholds of one version, keyed ``RULE.name`` (e.g. ``R11.ac_margin``).

    ``t["R11.ac_margin"]`` is the exact ``Decimal``; ``t.f("R11.ac_margin")`` its float, for
    comparisons against physics (sun elevation, clear-sky expectation) inside hot loops.
    """

    version: str
    items: Mapping[str, Threshold]
    defaults: Mapping[str, Decimal]
    _floats: Mapping[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_floats",
                           MappingProxyType({k: float(t.value) for k, t in self.items.items()}))

    def __getitem__(self, key: str) -> Decimal:
        try:
            return self.items[key].value
        except KeyError:
            raise ValidationError(f"unknown threshold {key!r}", field="threshold",
                                  valid=sorted(self.items)) from None

    def f(self, key: str) -> float:
        try:
            return self._floats[key]
        except KeyError:
            raise ValidationError(f"unknown threshold {key!r}", field="threshold",
                                  valid=sorted(self.items)) from None

    def override(self, values: Mapping[str, Decimal | int | str]) -> Thresholds:
        """A new set with ``values`` changed (``{"R11.ac_margin": "1.10"}``); the keys must
        exist in this version and the values must be numbers."""
        items = dict(self.items)
        for key, raw in values.items():
            if key not in items:
                raise ValidationError(f"unknown threshold {key!r}", field="threshold",
                                      valid=sorted(items))
            try:
                value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
            except InvalidOperation:
                raise ValidationError(f"threshold {key} must be a number, not {raw!r}",
                                      field=key) from None
            if not value.is_finite():
                raise ValidationError(f"threshold {key} must be a finite number", field=key)
            old = items[key]
            items[key] = Threshold(old.rule_id, old.name, value, old.unit, old.version,
                                   old.source, old.verified)
        return Thresholds(self.version, MappingProxyType(items), self.defaults)

    def changed(self) -> list[tuple[str, Decimal, Decimal]]:
        """``(key, default, value)`` of every threshold that differs from its version's
        default, in key order."""
        return [(k, self.defaults[k], t.value) for k, t in sorted(self.items.items())
                if t.value != self.defaults[k]]

    def of_rule(self, rule_id: str) -> dict[str, str]:
        """The values one rule used, for its findings' evidence."""
        return {t.name: str(t.value) for t in self.items.values() if t.rule_id == rule_id}

    def as_rows(self) -> list[dict[str, object]]:
        return [t.as_dict() for _, t in sorted(self.items.items())]


@functools.cache
def load(version: str = DEFAULT_VERSION) -> Thresholds:
    """The default thresholds of ``version`` (the methodology's defaults)."""
    rows = {t.key: t for t in _table() if t.version == version}
    if not rows:
        raise ValidationError(f"unknown threshold version {version!r}", field="version",
                              valid=versions())
    return Thresholds(version, MappingProxyType(rows),
                      MappingProxyType({k: t.value for k, t in rows.items()}))


def overrides_finding(thresholds: Thresholds, *, site: str | None = None,
                      intervals: tuple[tuple[int, int], ...] = ()) -> list[Finding]:
    """R22: a threshold set that is not its version's default is a HOLD over everything
    evaluated with it (dmrv.md §5.3 R22: "any threshold changed from the methodology
    default → HOLD, mandatory VVB review")."""
    changed = thresholds.changed()
    if not changed:
        return []
    evidence = {"version": thresholds.version,
                "changed": [{"threshold": k, "default": str(d), "value": str(v),
                             "unit": thresholds.items[k].unit} for k, d, v in changed]}
    return [Finding("R22", "R22.threshold_override", Severity.HOLD, intervals, 0, evidence,
                    site=site)]
