"""What every methodology shares: declared inputs, the calculation trace, vintages.

A methodology module declares its inputs (name, unit, kind, whether required), checks its
applicability conditions (each a finding with a code), and computes baseline, project and
reduction emissions with one function per published equation. The result keeps every
step (equation reference, value, unit) so a verifier can follow it, and splits the
reductions by vintage (the fiscal year in which they happened).

Arithmetic is ``Decimal`` throughout with no rounding of intermediate values; whole
credits appear only in :func:`certified_amounts`, which rounds each vintage's *aggregated*
total down once (``round_down_to_whole_tonnes``).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import Decimal
from decimal import localcontext
from typing import Any

from jcredit.domain.errors import Issue
from jcredit.domain.errors import ValidationError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.ledger.credits import Category
from jcredit.domain.methodologies.factors import Factor
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D
from jcredit.domain.numbers import round_down_to_whole_tonnes
from jcredit.domain.parsing import parse_date
from jcredit.domain.parsing import parse_decimal

PRECISION = 50
"""Significant digits of a quotient (the only inexact operation): far beyond any measured
input, so no result depends on it."""

WORKING_PRECISION = 120
"""Context precision for everything else: products and sums of quotients stay exact, so a
quantity split by day and summed again is exactly the quantity (no rounding anywhere
before certification)."""


class NotApplicableError(ValidationError):
    """The inputs fall outside the methodology's applicability conditions."""

    code = "not_applicable"

    def __init__(self, methodology: str, findings: Sequence[Issue]) -> None:
        text = "; ".join(f"{f.code}: {f.message}" for f in findings)
        super().__init__(f"{methodology} does not apply: {text}",
                         field=findings[0].subject or None)
        self.findings = tuple(findings)


def emission_reductions(em_bl: Decimal, em_pj: Decimal) -> Decimal:
    """Emission reductions, ER = EM_BL − EM_PJ.

    Parameters
    ----------
    em_bl : Decimal
        Baseline emissions [t-CO2].
    em_pj : Decimal
        Project emissions, auxiliary emissions included [t-CO2].

    Returns
    -------
    Decimal
        Emission reductions [t-CO2].

    Notes
    -----
    式1 of every J-Credit reduction methodology and plan template.

    References
    ----------
    プロジェクト計画書 templates, https://expydoc.com/doc/7426643/ (式1).

    Examples
    --------
    >>> emission_reductions(D("134.4"), D("0.0"))
    Decimal('134.4')
    """
    return em_bl - em_pj


def co2_from_carbon(carbon_t: Decimal) -> Decimal:
    """Carbon to CO2 by molecular weight, × 44/12 [t-C → t-CO2].

    44/12 has no finite decimal form, so the product is formed first and divided once,
    at :data:`PRECISION` digits.

    >>> co2_from_carbon(D(12))
    Decimal('44')
    """
    return divide(carbon_t * 44, D(12))


def divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    """A quotient at :data:`PRECISION` digits (the only place a methodology divides)."""
    with localcontext() as context:
        context.prec = PRECISION
        return numerator / denominator


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """A sum at :data:`WORKING_PRECISION` (exact for the quantities computed here)."""
    with localcontext() as context:
        context.prec = WORKING_PRECISION
        return sum(values, ZERO)


# --- declared inputs ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One input a methodology needs.

    Attributes:
        name: key in the input document.
        unit: unit of the value (``-`` for none).
        kind: ``decimal``, ``date``, ``choice``, ``bool`` or ``text``.
        description: what it is, in words (Japanese term included).
        required: whether it must be given.
        default: value used when not given (for optional inputs).
        choices: the valid values of a ``choice``.
        minimum: smallest allowed value of a ``decimal``.
        items: the fields of each element of a ``list`` (stands, biochar lots).
    """

    name: str
    unit: str
    kind: str
    description: str
    required: bool = True
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: Decimal | None = ZERO
    items: tuple[InputSpec, ...] = ()

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "name": self.name, "unit": self.unit, "kind": self.kind,
            "description": self.description, "required": self.required,
        }
        if self.default is not None:
            data["default"] = str(self.default)
        if self.choices:
            data["choices"] = list(self.choices)
        if self.items:
            data["items"] = [i.as_dict() for i in self.items]
        return data


def parse_inputs(specs: Sequence[InputSpec], raw: Mapping[str, Any], *,
                 prefix: str = "inputs") -> dict[str, Any]:
    """Check and convert raw inputs (from JSON or a form) against ``specs``.

    Unknown keys are refused (a misspelt input must not be silently ignored); numbers
    may be given as JSON numbers parsed to Decimal, ints or strings, never floats.
    """
    if not isinstance(raw, Mapping):
        raise ValidationError(f"{prefix} must be an object of named inputs", field=prefix)
    known = {s.name for s in specs}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValidationError(
            f"{prefix}: unknown input {unknown[0]!r}", field=f"{prefix}.{unknown[0]}",
            valid=sorted(known),
        )
    values: dict[str, Any] = {}
    for spec in specs:
        name = f"{prefix}.{spec.name}"
        value = raw.get(spec.name)
        if value is None or value == "":
            if spec.required:
                raise ValidationError(
                    f"{name} is required: {spec.description} [{spec.unit}]", field=name)
            values[spec.name] = spec.default
            continue
        values[spec.name] = _convert(spec, value, name)
    return values


def _convert(spec: InputSpec, value: Any, name: str) -> Any:
    if spec.kind == "list":
        if not isinstance(value, list | tuple) or not value:
            raise ValidationError(f"{name} must be a non-empty list", field=name)
        return [parse_inputs(spec.items, item, prefix=f"{name}[{i}]")
                for i, item in enumerate(value)]
    if spec.kind == "decimal":
        return parse_decimal(value, field=name, minimum=spec.minimum, unit=spec.unit)
    if spec.kind == "date":
        return parse_date(value, field=name)
    if spec.kind == "choice":
        text = str(value).strip().upper()
        if text not in spec.choices:
            raise ValidationError(f"{name}: {value!r} is not one of the choices", field=name,
                                  valid=spec.choices)
        return text
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1", "on"):
            return True
        if text in ("false", "no", "0", "off"):
            return False
        raise ValidationError(f"{name} must be true or false, got {value!r}", field=name)
    return str(value).strip()


# --- the calculation trace and result -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One evaluated equation: what a verifier re-computes by hand."""

    equation: str  # reference, e.g. "EN-R-002 式2"
    expression: str  # the formula with symbols
    value: Decimal
    unit: str
    subject: str = ""  # e.g. the period or stand it applies to

    def as_dict(self) -> dict[str, object]:
        return {"equation": self.equation, "expression": self.expression,
                "value": str(self.value), "unit": self.unit, "subject": self.subject}


@dataclass(frozen=True, slots=True)
class VintageLine:
    """Emissions of one activity in one vintage (fiscal year) [t-CO2]."""

    vintage: int
    baseline: Decimal
    project: Decimal

    @property
    def reduction(self) -> Decimal:
        with localcontext() as context:
            context.prec = WORKING_PRECISION
            return emission_reductions(self.baseline, self.project)


@dataclass
class ActivityResult:
    """The calculation for one activity (a site, a household, a forest) and its periods."""

    methodology: str
    version: str
    lines: list[VintageLine] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    factors: dict[str, Factor] = field(default_factory=dict)
    findings: list[Issue] = field(default_factory=list)

    def add(self, vintage: int, baseline: Decimal, project: Decimal) -> None:
        for i, line in enumerate(self.lines):
            if line.vintage == vintage:
                self.lines[i] = VintageLine(vintage, line.baseline + baseline,
                                            line.project + project)
                return
        self.lines.append(VintageLine(vintage, baseline, project))
        self.lines.sort(key=lambda v: v.vintage)

    def use(self, factor: Factor) -> Decimal:
        self.factors[factor.name] = factor
        return factor.value

    def step(self, equation: str, expression: str, value: Decimal, unit: str,
             subject: str = "") -> Decimal:
        self.steps.append(Step(equation, expression, value, unit, subject))
        return value

    @property
    def baseline(self) -> Decimal:
        return exact_sum(v.baseline for v in self.lines)

    @property
    def project(self) -> Decimal:
        return exact_sum(v.project for v in self.lines)

    @property
    def reduction(self) -> Decimal:
        return exact_sum(v.reduction for v in self.lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "methodology": self.methodology,
            "version": self.version,
            "baseline_tco2": str(self.baseline),
            "project_tco2": str(self.project),
            "reduction_tco2": str(self.reduction),
            "vintages": [{"vintage": v.vintage, "baseline_tco2": str(v.baseline),
                          "project_tco2": str(v.project), "reduction_tco2": str(v.reduction)}
                         for v in self.lines],
            "steps": [s.as_dict() for s in self.steps],
            "factors": [f.as_dict() for f in self.factors.values()],
            "unverified_factors": sorted(n for n, f in self.factors.items() if not f.verified),
            "findings": [{"code": f.code, "message": f.message, "subject": f.subject}
                         for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class CertifiedAmount:
    """Whole credits for one vintage of a certification request, and what was cut off."""

    vintage: int
    total_tco2: Decimal
    credits: int
    remainder_tco2: Decimal

    def as_dict(self) -> dict[str, object]:
        return {"vintage": self.vintage, "total_tco2": str(self.total_tco2),
                "credits": self.credits, "remainder_tco2": str(self.remainder_tco2)}


def certified_amounts(results: Iterable[ActivityResult]) -> list[CertifiedAmount]:
    """Aggregate every activity of a certification request by vintage, then round down once.

    The rounding happens here and nowhere else, after aggregation (jcredit-rules.md §1.6,
    TV1: 50 households of 6.28 t each make 314 credits, not 50 × 6 = 300). A vintage whose
    total is negative (net emissions) yields no credits and is reported with its total.
    """
    totals: dict[int, Decimal] = {}
    with localcontext() as context:
        context.prec = WORKING_PRECISION
        for result in results:
            for line in result.lines:
                totals[line.vintage] = totals.get(line.vintage, ZERO) + line.reduction
    amounts = []
    for vintage in sorted(totals):
        total = totals[vintage]
        if total <= ZERO:
            amounts.append(CertifiedAmount(vintage, total, 0, total))
            continue
        credits, remainder = round_down_to_whole_tonnes(total)
        amounts.append(CertifiedAmount(vintage, total, credits, remainder))
    return amounts


# --- periods and vintages -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """Part of a monitoring period: its dates (inclusive) and share of the period's data."""

    start: date
    end: date
    share: Decimal  # of the period's measured quantities; shares of a period sum to 1

    @property
    def vintage(self) -> int:
        return fiscal_year_of(self.start)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def fiscal_year_start(year: int) -> date:
    return date(year, 4, 1)


def split_period(start: date, end: date, cuts: Iterable[date] = ()) -> list[Segment]:
    """Split a monitoring period at fiscal-year boundaries and at ``cuts``, pro rata by day.

    A period crossing 1 April is split into vintages (ビンテージ毎の計算や按分, jcredit-rules.md
    §1.5). Each segment gets the share days/period-days of the period's measured quantities;
    the last segment takes 1 − the others, so the shares add up to exactly 1 and no
    quantity is created or lost by the split.
    """
    if end < start:
        raise ValidationError(f"the period ends ({end}) before it starts ({start})",
                              field="period_end")
    boundaries = {fiscal_year_start(y) for y in range(start.year, end.year + 1)}
    boundaries |= set(cuts)
    points = sorted(b for b in boundaries if start < b <= end)
    total_days = D((end - start).days + 1)
    segments: list[Segment] = []
    cursor = start
    allocated = ZERO
    for point in [*points, end + timedelta(days=1)]:
        segment_end = point - timedelta(days=1)
        days = D((segment_end - cursor).days + 1)
        last = point > end
        share = D(1) - allocated if last else divide(days, total_days)
        allocated += share
        segments.append(Segment(cursor, segment_end, share))
        cursor = point
    return segments


def add_years(day: date, years: int, months: int = 0) -> date:
    """``day`` plus whole years and months (29 February falls back to the 28th)."""
    month_index = day.month - 1 + months
    year = day.year + years + month_index // 12
    month = month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- the methodology descriptor -------------------------------------------------------


@dataclass(frozen=True)
class Equation:
    """A published equation: reference, formula and what its symbols mean (in English and
    in Japanese: the web shows the reader's language)."""

    ref: str
    formula: str
    symbols: str = ""
    symbols_ja: str = ""


@dataclass(frozen=True)
class Methodology:
    """A versioned methodology: what it needs and how it computes.

    ``calculate`` takes checked inputs (see ``inputs``) and returns the trace and vintage
    lines; ``applicability`` returns findings, and any finding makes the inputs
    inapplicable (the calculation refuses to run).
    """

    id: str
    version: str
    name_ja: str
    name_en: str
    category: Category
    summary: str
    inputs: tuple[InputSpec, ...]
    equations: tuple[Equation, ...]
    applicability_conditions: tuple[str, ...]
    monitoring_parameters: tuple[str, ...]
    sources: tuple[str, ...]
    applicability: Callable[[Mapping[str, Any]], list[Issue]]
    compute: Callable[[Mapping[str, Any], ActivityResult], None]
    id_confidence: str = "primary"
    additionality_waived: bool = False
    # The Japanese of ``summary``, ``applicability_conditions`` and
    # ``monitoring_parameters`` (same order); the English stays the reference text.
    summary_ja: str = ""
    applicability_conditions_ja: tuple[str, ...] = ()
    monitoring_parameters_ja: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.id} v{self.version}"

    def calculate(self, raw: Mapping[str, Any]) -> ActivityResult:
        values = parse_inputs(self.inputs, raw)
        findings = self.applicability(values)
        if findings:
            raise NotApplicableError(self.key, findings)
        result = ActivityResult(self.id, self.version)
        with localcontext() as context:
            context.prec = WORKING_PRECISION
            self.compute(values, result)
        return result

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id,
            "version": self.version,
            "name_ja": self.name_ja,
            "name_en": self.name_en,
            "category": self.category.value,
            "summary": self.summary,
            "summary_ja": self.summary_ja,
            "id_confidence": self.id_confidence,
            "additionality_waived": self.additionality_waived,
            "inputs": [i.as_dict() for i in self.inputs],
            "equations": [{"ref": e.ref, "formula": e.formula, "symbols": e.symbols,
                           "symbols_ja": e.symbols_ja} for e in self.equations],
            "applicability_conditions": list(self.applicability_conditions),
            "applicability_conditions_ja": list(self.applicability_conditions_ja),
            "monitoring_parameters": list(self.monitoring_parameters),
            "monitoring_parameters_ja": list(self.monitoring_parameters_ja),
            "sources": list(self.sources),
        }
