"""Carbon-offset calculators (知って): meeting and event, organisation, product, donation.

Each calculator reads its inputs from a plain mapping (a form, a JSON body, a saved
calculation), checks every field at once (errors name the field, e.g. ``travel[2].mode``,
and what is valid), and multiplies activity amounts by the factors of one
:class:`~jcredit.domain.offsets.factors.FactorTable` version. Amounts are ``Decimal`` to
the end; a result is rounded once, by the rule of its use:

* an offset's need is rounded **up** to whole credits (:func:`credits_to_offset`): an
  offset of 12.3 t needs 13 credits, or it offsets less than it emitted;
* a donation buys **down** (:func:`donation`): ¥ collected ÷ price per t, whole tonnes,
  the remainder carried to the next period (jcredit-rules.md §5.4).

Methods: meetings and events follow MOE's 会議・イベントにおけるカーボン・オフセットの取組の
ための手引き Ver.1.0 (2011), venue usage by building type and floor-area class × hours,
travel by mode × distance, and the optional categories (jcredit-rules.md §5.3); an
organisation's Scope 1 is fuel × factor and its Scope 2 electricity × (supplier or default)
factor and heat × factor (温対法 算定・報告・公表制度).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any
from typing import TypeVar

from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import ValidationError
from jcredit.domain.numbers import ZERO
from jcredit.domain.offsets.factors import FactorTable
from jcredit.domain.offsets.geography import PREFECTURE_OFFICES
from jcredit.domain.offsets.geography import straight_line_km
from jcredit.domain.parsing import parse_decimal

KG_PER_T = Decimal(1000)
MAXIMUM = Decimal(10) ** 12
"""The largest amount a calculator takes (a trillion of any unit): beyond it an input is a
mistake, and products of such numbers would leave the exact range."""
T = TypeVar("T")


class CalculatorKind(StrEnum):
    MEETING = "MEETING"  # 会議・イベント
    ORGANIZATION = "ORGANIZATION"  # 組織活動(自己活動)
    PRODUCT = "PRODUCT"  # 製品・サービス / クレジット付製品
    DONATION = "DONATION"  # 寄付型


class BuildingType(StrEnum):
    OFFICE = "OFFICE"  # 事務所
    HALL = "HALL"  # 集会場・ホール
    HOTEL = "HOTEL"  # ホテル


class FloorAreaClass(StrEnum):
    """The building's total floor area (延床面積), not the room's."""

    S = "S"  # < 2,000 m2
    M = "M"  # 2,000 – 10,000 m2
    L = "L"  # ≥ 10,000 m2


class TravelMode(StrEnum):
    CAR = "CAR"
    TAXI = "TAXI"
    BUS = "BUS"
    RAIL = "RAIL"
    AIR = "AIR"
    WALK = "WALK"


OFFSET_CATEGORIES = ("VENUE", "ONLINE", "TRAVEL", "ACCOMMODATION", "CATERING", "HANDOUT",
                     "WASTE", "SCOPE1", "SCOPE2", "FOOTPRINT", "CREDIT_ATTACHED", "DONATION")
"""The categories a result's lines fall in (a product's line takes its mode's name)."""


class ProductMode(StrEnum):
    FOOTPRINT = "FOOTPRINT"  # オフセット商品・サービス: the product's own footprint
    CREDIT_ATTACHED = "CREDIT_ATTACHED"  # クレジット付製品: credits attached per unit


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a result: an activity amount times one factor.

    Attributes:
        category: result category (``VENUE``, ``TRAVEL``, ``SCOPE1``, …).
        item: what it is (a factor key, or ``travel[0]``).
        amount: the activity amount [unit].
        unit: unit of ``amount`` (the factor's denominator).
        factor_key: the factor multiplied.
        factor: its value [kg-CO2 per unit].
        kg: amount × factor [kg-CO2].
        basis: how the amount was found, for people (``120 m2 × 3 h × 0.05 kWh/(m2·h)``).
    """

    category: str
    item: str
    amount: Decimal
    unit: str
    factor_key: str
    factor: Decimal
    kg: Decimal
    basis: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"category": self.category, "item": self.item, "amount": str(self.amount),
                "unit": self.unit, "factor_key": self.factor_key, "factor": str(self.factor),
                "kg_co2": str(self.kg), "basis": self.basis}


@dataclass(frozen=True, slots=True)
class Result:
    """A calculator's result.

    Attributes:
        kind: which calculator.
        factor_version: the factor table version used.
        lines: every multiplication, in input order.
        total_t: Σ lines [t-CO2], unrounded.
        credits: whole credits: to offset the total (rounded up), or, for a donation, the
            tonnes the money buys (rounded down).
        factor_keys: the factors used (shown with their source and flag).
        extra: calculator-specific figures (a donation's yen, a product's units).
    """

    kind: CalculatorKind
    factor_version: int
    lines: tuple[Line, ...]
    total_t: Decimal
    credits: int
    factor_keys: tuple[str, ...]
    extra: Mapping[str, str] = field(default_factory=dict)

    def by_category(self) -> dict[str, Decimal]:
        """t-CO2 per category, in the order categories first appear."""
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals[line.category] = totals.get(line.category, ZERO) + line.kg / KG_PER_T
        return totals

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "factor_version": self.factor_version,
                "lines": [line.as_dict() for line in self.lines],
                "by_category": {k: str(v) for k, v in self.by_category().items()},
                "total_t_co2": str(self.total_t), "credits": self.credits,
                "factor_keys": list(self.factor_keys), "extra": dict(self.extra)}


def credits_to_offset(total_t: Decimal) -> int:
    """Whole credits needed to offset ``total_t`` t-CO2: rounded **up**.

    >>> credits_to_offset(Decimal("12.001")), credits_to_offset(Decimal("12"))
    (13, 12)
    """
    return int(total_t.to_integral_value(rounding=ROUND_CEILING))


# ---------------------------------------------------------------------------- parsing


class _Inputs:
    """Reads fields of a mapping, collecting every problem (:class:`FieldChecks`)."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        if not isinstance(data, Mapping):
            where = prefix.rstrip(".") or "inputs"
            raise ValidationError(f"{where} must be an object of fields", field=where)
        self.data = data
        self.prefix = prefix
        self.check = FieldChecks()

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def number(self, key: str, *, unit: str, default: Decimal | None = ZERO,
               positive: bool = False) -> Decimal | None:
        raw = self.data.get(key)
        if raw is None or raw == "":
            if default is None:
                return self.check(lambda: _fail(self.name(key), f"{self.name(key)} is required"
                                                f" [{unit}]"))
            return default
        value = self.check(lambda: parse_decimal(raw, field=self.name(key), unit=unit))
        if value is not None and (value > MAXIMUM or _decimals(value) > 12):
            return self.check(lambda: _fail(self.name(key), f"{self.name(key)} must be at most "
                                            f"{MAXIMUM:,} with at most 12 decimals [{unit}]"))
        if value is not None and positive and value <= ZERO:
            return self.check(lambda: _fail(self.name(key), f"{self.name(key)} must be more "
                                            f"than 0 [{unit}], got {value}"))
        return value

    def count(self, key: str, *, what: str, required: bool = False) -> int | None:
        raw = self.data.get(key)
        if raw is None or raw == "":
            if required:
                return self.check(lambda: _fail(self.name(key), f"{self.name(key)} is "
                                                f"required ({what})"))
            return 0
        return self.check(lambda: _whole(raw, field=self.name(key), what=what))

    def choice(self, key: str, enum: type[T], *, required: bool = True,
               default: T | None = None) -> T | None:
        raw = self.data.get(key)
        if raw is None or raw == "":
            if required and default is None:
                valid = [e.value for e in enum]  # type: ignore[attr-defined]
                return self.check(lambda: _fail(self.name(key), f"{self.name(key)} is "
                                                f"required: one of {', '.join(valid)}", valid))
            return default
        return self.check(lambda: _choice(raw, enum, field=self.name(key)))

    def text(self, key: str, *, max_length: int = 200) -> str:
        text = " ".join(str(self.data.get(key) or "").split())
        if len(text) > max_length:
            self.check(lambda: _fail(self.name(key), f"{self.name(key)} is {len(text)} "
                                     f"characters; at most {max_length}"))
        return text[:max_length]

    def items(self, key: str, *, limit: int = 200) -> list[tuple[str, Mapping[str, Any]]]:
        raw = self.data.get(key) or []
        if not isinstance(raw, Sequence) or isinstance(raw, str):
            self.check(lambda: _fail(self.name(key), f"{self.name(key)} must be a list"))
            return []
        if len(raw) > limit:
            self.check(lambda: _fail(self.name(key), f"{self.name(key)} has {len(raw)} "
                                     f"entries; at most {limit}"))
            return []
        out = []
        for n, item in enumerate(raw):
            where = f"{self.name(key)}[{n}]"
            if not isinstance(item, Mapping):
                self.check(partial(_fail, where, f"{where} must be an object"))
                continue
            out.append((where + ".", item))
        return out


def _fail(field: str, message: str, valid: Sequence[str] | None = None) -> Any:
    raise ValidationError(message, field=field, valid=valid)


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _whole(raw: object, *, field: str, what: str) -> int:
    text = str(raw).strip()
    if isinstance(raw, bool | float) or not text.lstrip("+").isdigit() or len(text) > 13:
        raise ValidationError(f"{field} must be a whole number of {what}, 0 or more (up to "
                              f"9,999,999,999,999); got {str(raw)[:40]!r}", field=field)
    return int(text)


TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off", ""})


def _flag(raw: object, *, field: str) -> bool:
    text = str(raw).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise ValidationError(f"{field} must be true or false, got {str(raw)[:40]!r}", field=field,
                          valid=["true", "false"])


def _choice(raw: object, enum: type[T], *, field: str) -> T:
    try:
        return enum(str(raw).strip())  # type: ignore[call-arg]
    except ValueError:
        valid = [e.value for e in enum]  # type: ignore[attr-defined]
        raise ValidationError(f"{field}: unknown value {raw!r}; valid: {', '.join(valid)}",
                              field=field, valid=valid) from None


def _prefecture(raw: object, *, field: str) -> str:
    text = str(raw or "").strip()
    if text not in PREFECTURE_OFFICES:
        raise ValidationError(f"{field}: {raw!r} is not a prefecture (write it as "
                              f"東京都, 北海道, 大阪府, 新潟県 …)", field=field,
                              valid=list(PREFECTURE_OFFICES))
    return text


# ------------------------------------------------------------------------ calculators


class _Lines:
    """Collects lines and the factors they use."""

    def __init__(self, table: FactorTable) -> None:
        self.table = table
        self.lines: list[Line] = []
        self.keys: list[str] = []

    def factor(self, key: str, *, field: str) -> Decimal:
        if key not in self.keys:
            self.keys.append(key)
        return self.table.get(key, field=field).value

    def add(self, category: str, item: str, amount: Decimal, factor_key: str, *,
            field: str, basis: str = "") -> None:
        if amount == ZERO:
            return
        factor = self.table.get(factor_key, field=field)
        if factor_key not in self.keys:
            self.keys.append(factor_key)
        unit = (factor.unit.split("/", 1)[1] if "/" in factor.unit else factor.unit).strip("()")
        self.lines.append(Line(category, item, amount, unit, factor_key, factor.value,
                               amount * factor.value, basis or f"{amount} {unit}"))

    def result(self, kind: CalculatorKind, credits: Callable[[Decimal], int] = credits_to_offset,
               extra: Mapping[str, str] | None = None) -> Result:
        total_t = sum((line.kg for line in self.lines), ZERO) / KG_PER_T
        return Result(kind, self.table.version, tuple(self.lines), total_t, credits(total_t),
                      tuple(self.keys), dict(extra or {}))


def meeting(inputs: Mapping[str, Any], table: FactorTable) -> Result:
    """A meeting's or event's emissions (会議・イベント), by category.

    Inputs: ``participants`` (in the room), ``venue`` {``building_type``,
    ``floor_area_class``, ``room_area_m2``, ``hours``}, ``online`` {``participants``,
    ``hours``}, ``travel`` [{``mode``, ``people``, ``km`` one way per person, or
    ``origin_prefecture`` with the event's ``prefecture``; ``round_trip`` (default true)}],
    ``accommodation_nights`` (person-nights), ``meals``, ``handout_sheets`` (A4),
    ``waste_kg``.

    Venue: room m2 × hours × usage per m2-hour (by building type and floor-area class) ×
    the electricity or city-gas factor (手引き Ver.1.0 §3, jcredit-rules.md §5.3). Online:
    participants × hours × (device + network kWh) × electricity factor. Travel: people ×
    km (× 2 for a round trip) × mode factor; from a prefecture, the straight line between
    the prefectural offices × the detour factor.
    """
    form = _Inputs(inputs)
    participants = form.count("participants", what="participants")
    prefecture = form.text("prefecture", max_length=10)
    out = _Lines(table)

    venue = inputs.get("venue")
    if venue:
        v = _Inputs(venue, "venue.")
        building = v.choice("building_type", BuildingType)
        size = v.choice("floor_area_class", FloorAreaClass)
        area = v.number("room_area_m2", unit="m2", default=None, positive=True)
        hours = v.number("hours", unit="h", default=None, positive=True)
        _merge(form, v)
        if building and size and area is not None and hours is not None:
            for utility, energy_key in (("electricity", "electricity.default"),
                                        ("gas", "city_gas")):
                usage_key = f"venue.{utility}.{building.value}.{size.value}"
                usage = form.check(partial(out.factor, usage_key, field="venue"))
                if usage is None:
                    continue
                amount = area * hours * usage
                usage_unit = table.factors[usage_key].unit
                out.add("VENUE", usage_key, amount, energy_key, field="venue",
                        basis=f"{area} m2 × {hours} h × {usage} {usage_unit}")

    online = inputs.get("online")
    if online:
        o = _Inputs(online, "online.")
        people = o.count("participants", what="online participants")
        hours = o.number("hours", unit="h")
        _merge(form, o)
        if people and hours:
            for key in ("online.device", "online.network"):
                per = form.check(partial(out.factor, key, field="online"))
                if per is not None:
                    out.add("ONLINE", key, people * hours * per, "electricity.default",
                            field="online", basis=f"{people} × {hours} h × {per} kWh/(person·h)")

    for where, leg in form.items("travel"):
        t = _Inputs(leg, where)
        mode = t.choice("mode", TravelMode)
        people = t.count("people", what="people", required=True)
        round_trip = t.check(partial(_flag, leg.get("round_trip", True),
                                     field=f"{where}round_trip"))
        km: Decimal | None
        basis = ""
        if leg.get("origin_prefecture") and leg.get("km") not in (None, ""):
            t.check(partial(_fail, f"{where}km", f"{where}: give the distance (km) or the "
                            "prefecture people come from (origin_prefecture), not both"))
            km = None
        elif leg.get("origin_prefecture"):
            origin = t.check(partial(_prefecture, leg["origin_prefecture"],
                                     field=f"{where}origin_prefecture"))
            venue_pref = t.check(partial(_prefecture, prefecture, field="prefecture"))
            km = None
            if origin and origin == venue_pref:
                t.check(partial(_fail, f"{where}origin_prefecture",
                                f"{where}origin_prefecture: people from the event's own "
                                f"prefecture ({origin}) travel a distance only they know: "
                                "give it in km"))
            elif origin and venue_pref:
                detour = out.factor("travel.detour", field=f"{where}origin_prefecture")
                line_km = straight_line_km(origin, venue_pref)
                km = line_km * detour
                basis = f"{origin}→{venue_pref} {line_km} km × {detour}"
        else:
            km = t.number("km", unit="km one way per person", default=None)
            basis = f"{km} km"
        _merge(form, t)
        if mode is not None and people and km is not None and round_trip is not None:
            trips = 2 if round_trip else 1
            out.add("TRAVEL", where.rstrip("."), people * km * trips, f"travel.{mode.value}",
                    field=f"{where}mode",
                    basis=f"{people} × {basis}" + (" × 2" if trips == 2 else ""))

    for key, factor_key, category, what in (
            ("accommodation_nights", "accommodation.night", "ACCOMMODATION", "person-nights"),
            ("meals", "catering.meal", "CATERING", "meals"),
            ("handout_sheets", "handout.sheet", "HANDOUT", "A4 sheets")):
        count = form.count(key, what=what)
        if count:
            out.add(category, factor_key, Decimal(count), factor_key, field=key)
    waste = form.number("waste_kg", unit="kg")
    if waste:
        out.add("WASTE", "waste.kg", waste, "waste.kg", field="waste_kg")
    form.check.done()
    return out.result(CalculatorKind.MEETING, extra={"participants": str(participants or 0)})


def organisation(inputs: Mapping[str, Any], table: FactorTable) -> Result:
    """An organisation's Scope 1 and 2 emissions over a period (組織活動).

    Inputs: ``electricity`` [{``kwh``, ``factor_kg_per_kwh`` (the supplier's; default:
    ``electricity.default``)}], ``kerosene_l``, ``fuel_oil_a_l``, ``lpg_kg``,
    ``city_gas_m3``, ``gasoline_l`` (Scope 1), ``heat_gj`` (Scope 2).
    """
    form = _Inputs(inputs)
    out = _Lines(table)
    for key, factor_key, unit in (("kerosene_l", "kerosene", "L"),
                                  ("fuel_oil_a_l", "fuel_oil_a", "L"),
                                  ("lpg_kg", "lpg", "kg"), ("city_gas_m3", "city_gas", "m3"),
                                  ("gasoline_l", "gasoline", "L")):
        amount = form.number(key, unit=unit)
        if amount:
            out.add("SCOPE1", factor_key, amount, factor_key, field=key)
    for where, supply in form.items("electricity"):
        e = _Inputs(supply, where)
        kwh = e.number("kwh", unit="kWh", default=None)
        own = e.number("factor_kg_per_kwh", unit="kg-CO2/kWh", default=None) if supply.get(
            "factor_kg_per_kwh") not in (None, "") else None
        _merge(form, e)
        if kwh:
            if own is None:
                out.add("SCOPE2", where.rstrip("."), kwh, "electricity.default", field=where)
            else:  # the supplier's own factor: a line with the factor the user gave
                out.lines.append(Line("SCOPE2", where.rstrip("."), kwh, "kWh",
                                      "supplier", own, kwh * own, f"{kwh} kWh × {own}"))
    heat = form.number("heat_gj", unit="GJ")
    if heat:
        out.add("SCOPE2", "heat.district", heat, "heat.district", field="heat_gj")
    form.check.done()
    return out.result(CalculatorKind.ORGANIZATION)


def product(inputs: Mapping[str, Any], table: FactorTable) -> Result:
    """A product's or service's offset: kg-CO2 per unit × units.

    ``mode`` FOOTPRINT (the product's life-cycle footprint per unit) or CREDIT_ATTACHED
    (クレジット付製品: kg of credits attached per unit for the buyer's own emissions).
    """
    form = _Inputs(inputs)
    mode = form.choice("mode", ProductMode, default=ProductMode.FOOTPRINT)
    per_unit = form.number("kg_per_unit", unit="kg-CO2 per unit", default=None,
                           positive=True)
    units = form.count("units", what="units sold or planned", required=True)
    form.check.done()
    assert mode is not None and per_unit is not None and units is not None
    out = _Lines(table)
    kg = per_unit * units
    out.lines.append(Line(mode.value, "product", Decimal(units), "unit", "per_unit",
                          per_unit, kg, f"{units} × {per_unit} kg-CO2"))
    return out.result(CalculatorKind.PRODUCT, extra={"mode": mode.value,
                                                     "units": str(units)})


@dataclass(frozen=True, slots=True)
class DonationTonnes:
    """What a donation-type offset's money buys (jcredit-rules.md §5.4).

    Attributes:
        collected_yen: ¥ per item × items + ¥ carried from the last period.
        tonnes: whole t-CO2 it buys, rounded down.
        remainder_yen: carried to the next period.
    """

    collected_yen: Decimal
    tonnes: int
    remainder_yen: Decimal


def donation_tonnes(yen_per_item: Decimal, items: int, price_per_t: Decimal,
                    carried_yen: Decimal = ZERO) -> DonationTonnes:
    """``floor((¥/item × items + carried) ÷ price)``, the rest carried forward.

    >>> donation_tonnes(Decimal(1), 25_000, Decimal(8_000))
    DonationTonnes(collected_yen=Decimal('25000'), tonnes=3, remainder_yen=Decimal('1000'))
    """
    if price_per_t <= ZERO:
        raise ValidationError("price_per_t must be more than 0 yen", field="price_per_t")
    collected = yen_per_item * items + carried_yen
    tonnes = int((collected / price_per_t).to_integral_value(rounding=ROUND_FLOOR))
    return DonationTonnes(collected, tonnes, collected - tonnes * price_per_t)


def donation(inputs: Mapping[str, Any], table: FactorTable) -> Result:
    """A donation-type offset (寄付型): ``yen_per_item``, ``items``, ``price_per_t``,
    ``carried_yen`` (the last period's remainder)."""
    form = _Inputs(inputs)
    yen = form.number("yen_per_item", unit="yen", default=None, positive=True)
    items = form.count("items", what="items sold", required=True)
    price = form.number("price_per_t", unit="yen per t-CO2", default=None, positive=True)
    carried = form.number("carried_yen", unit="yen")
    form.check.done()
    assert yen is not None and items is not None and price is not None and carried is not None
    bought = donation_tonnes(yen, items, price, carried)
    out = _Lines(table)
    out.lines.append(Line("DONATION", "donation", Decimal(bought.tonnes), "t-CO2", "bought",
                          KG_PER_T, Decimal(bought.tonnes) * KG_PER_T,
                          f"(¥{yen} × {items} + ¥{carried}) ÷ ¥{price}/t"))
    return out.result(CalculatorKind.DONATION, credits=lambda _t: bought.tonnes, extra={
        "collected_yen": str(bought.collected_yen), "remainder_yen": str(bought.remainder_yen),
        "price_per_t": str(price), "items": str(items), "yen_per_item": str(yen),
        "carried_yen": str(carried)})


CALCULATORS: dict[CalculatorKind, Callable[[Mapping[str, Any], FactorTable], Result]] = {
    CalculatorKind.MEETING: meeting,
    CalculatorKind.ORGANIZATION: organisation,
    CalculatorKind.PRODUCT: product,
    CalculatorKind.DONATION: donation,
}


def calculate(kind: object, inputs: Mapping[str, Any], table: FactorTable) -> Result:
    """Run the calculator ``kind`` (a :class:`CalculatorKind` value)."""
    chosen = _choice(kind, CalculatorKind, field="kind")
    return CALCULATORS[chosen](inputs, table)


def _merge(parent: _Inputs, child: _Inputs) -> None:
    parent.check.problems.extend(child.check.problems)
    child.check.problems.clear()

