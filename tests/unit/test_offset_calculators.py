"""Offset calculators against hand-computed cases from factor table v1 (issue 15).

Every expected figure below is worked out by hand from the rows of
``src/jcredit/domain/offsets/data/offset_factors.csv`` (v1), written next to it, so a
changed factor, formula or rounding direction fails here.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.offsets.calculators import calculate
from jcredit.domain.offsets.calculators import credits_to_offset
from jcredit.domain.offsets.calculators import donation_tonnes
from jcredit.domain.offsets.factors import FactorTable
from jcredit.domain.offsets.factors import default_factor_table
from jcredit.domain.offsets.factors import revise
from jcredit.domain.offsets.geography import straight_line_km

V1 = default_factor_table()

MEETING = {
    "participants": 30, "prefecture": "東京都",
    "venue": {"building_type": "HALL", "floor_area_class": "M", "room_area_m2": "200",
              "hours": "3"},
    "online": {"participants": 20, "hours": "2"},
    "travel": [{"mode": "RAIL", "people": 30, "km": "50"}],
    "accommodation_nights": 10, "meals": 60, "handout_sheets": 500, "waste_kg": "12",
}


def test_meeting_hand_computed() -> None:
    result = calculate("MEETING", MEETING, V1)
    kg = {line.item: line.kg for line in result.lines}
    # venue: 200 m2 × 3 h × 0.060 kWh/(m2·h) = 36 kWh × 0.434 = 15.624 kg
    assert kg["venue.electricity.HALL.M"] == Decimal("15.624")
    # 200 × 3 × 0.0020 m3/(m2·h) = 1.2 m3 × 2.05 = 2.46 kg
    assert kg["venue.gas.HALL.M"] == Decimal("2.46")
    # online: 20 × 2 h × 0.05 kWh = 2 kWh × 0.434 = 0.868; network 0.6 kWh × 0.434 = 0.2604
    assert kg["online.device"] == Decimal("0.868")
    assert kg["online.network"] == Decimal("0.2604")
    # travel: 30 people × 50 km × 2 (round trip) × 0.019 = 57 kg
    assert kg["travel[0]"] == Decimal("57")
    # 10 nights × 31.5 = 315; 60 meals × 1.5 = 90; 500 sheets × 0.0044 = 2.2; 12 kg × 0.5 = 6
    assert kg["accommodation.night"] == Decimal("315")
    assert kg["catering.meal"] == Decimal("90")
    assert kg["handout.sheet"] == Decimal("2.2")
    assert kg["waste.kg"] == Decimal("6")
    assert result.total_t == Decimal("0.4894124")
    assert result.credits == 1  # rounded up: 0.49 t needs one whole credit
    by = result.by_category()
    assert by["VENUE"] == Decimal("0.018084") and by["TRAVEL"] == Decimal("0.057")
    assert "travel.RAIL" in result.factor_keys and "electricity.default" in result.factor_keys


def test_meeting_travel_by_prefecture_uses_offices_and_detour() -> None:
    line_km = straight_line_km("北海道", "東京都")
    assert Decimal(800) < line_km < Decimal(850)  # Sapporo–Tokyo ≈ 830 km as the crow flies
    result = calculate("MEETING", {"prefecture": "東京都", "travel": [
        {"mode": "AIR", "people": 5, "origin_prefecture": "北海道", "round_trip": False}]}, V1)
    # 5 people × (line × 1.2) km × 0.111 kg, one way
    assert result.lines[0].kg == 5 * line_km * Decimal("1.2") * Decimal("0.111")


def test_credits_for_an_offset_round_up_and_donations_round_down() -> None:
    assert credits_to_offset(Decimal("12.0000001")) == 13
    assert credits_to_offset(Decimal("12")) == 12
    assert donation_tonnes(Decimal(1), 15_999, Decimal(8_000)).tonnes == 1  # not 2


def test_donation_one_yen_per_item_with_remainder_carried() -> None:
    # 八葉水産-style: ¥1 per pack; credits at ¥8,000/t (jcredit-rules.md §5.4)
    first = calculate("DONATION", {"yen_per_item": "1", "items": 25_000, "price_per_t": "8000"},
                      V1)
    assert first.credits == 3 and first.extra["remainder_yen"] == "1000"
    # next period: 14,500 packs + ¥1,000 carried = ¥15,500 → 1 t, ¥7,500 carried
    second = calculate("DONATION", {"yen_per_item": "1", "items": 14_500, "price_per_t": "8000",
                                    "carried_yen": first.extra["remainder_yen"]}, V1)
    assert second.credits == 1
    assert second.extra["collected_yen"] == "15500" and second.extra["remainder_yen"] == "7500"
    # with nothing carried the same sales buy nothing more than floor(14500/8000) = 1, rest 6500
    alone = donation_tonnes(Decimal(1), 14_500, Decimal(8_000))
    assert (alone.tonnes, alone.remainder_yen) == (1, Decimal(6_500))


def test_organisation_scope_1_and_2() -> None:
    result = calculate("ORGANIZATION", {
        "kerosene_l": "1000", "city_gas_m3": "500", "heat_gj": "10",
        "electricity": [{"kwh": "100000"}, {"kwh": "20000", "factor_kg_per_kwh": "0.25"}]}, V1)
    by = result.by_category()
    # Scope 1: 1000 L × 2.489 + 500 m3 × 2.05 = 2489 + 1025 = 3514 kg
    assert by["SCOPE1"] == Decimal("3.514")
    # Scope 2: 100,000 × 0.434 + 20,000 × 0.25 (supplier) + 10 GJ × 57 = 43,400 + 5,000 + 570
    assert by["SCOPE2"] == Decimal("48.97")
    assert result.credits == 53  # 52.484 t rounded up


def test_product_footprint_and_credit_attached() -> None:
    footprint = calculate("PRODUCT", {"kg_per_unit": "0.35", "units": 10_000}, V1)
    assert footprint.total_t == Decimal("3.5") and footprint.credits == 4
    attached = calculate("PRODUCT", {"mode": "CREDIT_ATTACHED", "kg_per_unit": "1",
                                     "units": 2_000}, V1)
    assert attached.total_t == Decimal(2) and attached.credits == 2
    assert attached.extra["mode"] == "CREDIT_ATTACHED"


def test_rerun_against_a_newer_table() -> None:
    v2 = revise(V1, [{"key": "travel.RAIL", "value": "0.017", "confidence": "secondary",
                      "source": "MLIT FY2019 table"}], note="rail factor updated")
    assert v2.version == 2 and V1.factors["travel.RAIL"].value == Decimal("0.019")
    result = calculate("MEETING", MEETING, v2)
    kg = {line.item: line.kg for line in result.lines}
    assert kg["travel[0]"] == Decimal("51.000") and result.factor_version == 2


@pytest.mark.parametrize(("inputs", "field"), [
    ({"participants": -3}, "participants"),
    ({"travel": [{"mode": "TELEPORT", "people": 2, "km": "10"}]}, "travel[0].mode"),
    ({"travel": [{"mode": "CAR", "people": 2, "km": "-10"}]}, "travel[0].km"),
    ({"venue": {"building_type": "OFFICE", "floor_area_class": "XL", "room_area_m2": "1",
                "hours": "1"}}, "venue.floor_area_class"),
    ({"waste_kg": 1.5}, "waste_kg"),  # a float is never a quantity
    ({"waste_kg": "1E+500000"}, "waste_kg"),  # beyond any real amount (and exact range)
    ({"meals": "9" * 5000}, "meals"),
    ({"venue": "hall"}, "venue"),
    ({"prefecture": "東京都", "travel": [{"mode": "CAR", "people": 2,
                                          "origin_prefecture": "東京都"}]},
     "travel[0].origin_prefecture"),  # 0 km between one prefecture's office and itself
    ({"prefecture": "東京都", "travel": [{"mode": "CAR", "people": 2, "km": "30",
                                          "origin_prefecture": "千葉県"}]}, "travel[0].km"),
    ({"travel": [{"mode": "CAR", "people": 2, "km": "30", "round_trip": "perhaps"}]},
     "travel[0].round_trip"),
    ({"prefecture": "東京", "travel": [{"mode": "CAR", "people": 1,
                                       "origin_prefecture": "千葉県"}]}, "prefecture"),
])
def test_meeting_bad_inputs_name_the_field(inputs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        calculate("MEETING", inputs, V1)
    fields = {e["field"] for e in error.value.errors or []} | {error.value.field}
    assert field in fields


def test_unknown_travel_mode_lists_the_valid_ones() -> None:
    with pytest.raises(ValidationError) as error:
        calculate("MEETING", {"travel": [{"mode": "ROCKET", "people": 1, "km": "1"}]}, V1)
    assert error.value.field == "travel[0].mode"
    assert error.value.valid is not None and "RAIL" in error.value.valid


def test_donation_zero_price_and_every_problem_at_once() -> None:
    with pytest.raises(ValidationError) as error:
        calculate("DONATION", {"yen_per_item": "1", "items": 10, "price_per_t": "0"}, V1)
    assert error.value.field == "price_per_t"
    with pytest.raises(ValidationError) as error:
        calculate("DONATION", {"yen_per_item": "-1", "items": "x", "price_per_t": "0"}, V1)
    assert {e["field"] for e in error.value.errors or []} == {
        "yen_per_item", "items", "price_per_t"}


def test_unknown_calculator() -> None:
    with pytest.raises(ValidationError) as error:
        calculate("PICNIC", {}, V1)
    assert error.value.field == "kind" and "MEETING" in (error.value.valid or ())


def test_revise_refuses_bad_changes_all_at_once() -> None:
    with pytest.raises(ValidationError) as error:
        revise(V1, [{"key": "travel.CAR", "value": "-1", "source": "x"},
                    {"key": "travel.RAIL", "value": "0.02"},
                    {"key": "travel.BUS", "value": "0.05", "unit": "g", "source": "y"}],
               note="fix")
    fields = {e["field"] for e in error.value.errors or []}
    assert fields == {"changes[0].value", "changes[1].source", "changes[2].unit"}
    with pytest.raises(NotFoundError):
        revise(V1, [{"key": "travel.HORSE", "value": "1", "source": "z"}], note="n")
    with pytest.raises(ValidationError):
        revise(V1, [], note="nothing")


def test_every_factor_has_source_and_flag() -> None:
    for factor in V1.factors.values():
        assert factor.source.strip() and factor.unit
        assert factor.value >= 0
    assert not V1.factors["accommodation.night"].verified
    assert V1.factors["kerosene"].verified


def test_round_trip_flags() -> None:
    legs = [{"mode": "CAR", "people": 1, "km": "10", "round_trip": flag}
            for flag in ("off", "no", "false", "on", "yes", "true")]
    result = calculate("MEETING", {"travel": legs}, V1)
    assert [line.amount for line in result.lines] == [Decimal(10)] * 3 + [Decimal(20)] * 3


def test_revise_refuses_absurd_values_and_confirms_large_changes() -> None:
    from jcredit.domain.errors import ConfirmationRequiredError

    with pytest.raises(ValidationError) as error:
        revise(V1, [{"key": "waste.kg", "value": "1E+20", "source": "typo"}], note="n")
    assert error.value.field == "changes[0].value"
    with pytest.raises(ConfirmationRequiredError) as confirm:
        revise(V1, [{"key": "travel.detour", "value": "0.1", "source": "s"}], note="n")
    assert confirm.value.field == "changes[0].value" and "tenfold" in confirm.value.message
    v2 = revise(V1, [{"key": "travel.detour", "value": "0.1", "source": "s"}], note="n",
                confirm_large=True)
    assert v2.factors["travel.detour"].value == Decimal("0.1")
    # within tenfold either way: no confirmation
    assert revise(V1, [{"key": "waste.kg", "value": "4.9", "source": "s"}], note="n")
    assert revise(V1, [{"key": "waste.kg", "value": "0.051", "source": "s"}], note="n")


def _lines(result: object) -> list[tuple[str, str, Decimal, str, str, Decimal, Decimal, str]]:
    return [(ln["category"], ln["item"], Decimal(ln["amount"]), ln["unit"], ln["factor_key"],
             Decimal(ln["factor"]), Decimal(ln["kg_co2"]), ln["basis"])
            for ln in result.as_dict()["lines"]]  # type: ignore[attr-defined]


def test_meeting_result_as_recorded_line_by_line() -> None:
    """What a saved calculation, the CSV and the API show: every line, its factor, its
    basis, the totals by category and the factors used (values worked out by hand)."""
    inputs = MEETING | {"travel": [
        {"mode": "RAIL", "people": 30, "km": "50"},
        {"mode": "AIR", "people": 2, "origin_prefecture": "北海道", "round_trip": "false"}]}
    result = calculate("MEETING", inputs, V1)
    line_km = straight_line_km("北海道", "東京都")
    air_km = 2 * line_km * Decimal("1.2")
    assert _lines(result) == [
        ("VENUE", "venue.electricity.HALL.M", Decimal(36), "kWh", "electricity.default",
         Decimal("0.434"), Decimal("15.624"), "200 m2 × 3 h × 0.060 kWh/(m2·h)"),
        ("VENUE", "venue.gas.HALL.M", Decimal("1.2"), "m3", "city_gas", Decimal("2.05"),
         Decimal("2.46"), "200 m2 × 3 h × 0.0020 m3/(m2·h)"),
        ("ONLINE", "online.device", Decimal(2), "kWh", "electricity.default",
         Decimal("0.434"), Decimal("0.868"), "20 × 2 h × 0.05 kWh/(person·h)"),
        ("ONLINE", "online.network", Decimal("0.6"), "kWh", "electricity.default",
         Decimal("0.434"), Decimal("0.2604"), "20 × 2 h × 0.015 kWh/(person·h)"),
        ("TRAVEL", "travel[0]", Decimal(3000), "person·km", "travel.RAIL", Decimal("0.019"),
         Decimal(57), "30 × 50 km × 2"),
        ("TRAVEL", "travel[1]", air_km, "person·km", "travel.AIR", Decimal("0.111"),
         air_km * Decimal("0.111"), f"2 × 北海道→東京都 {line_km} km × 1.2"),
        ("ACCOMMODATION", "accommodation.night", Decimal(10), "person·night",
         "accommodation.night", Decimal("31.5"), Decimal(315), "10 person·night"),
        ("CATERING", "catering.meal", Decimal(60), "meal", "catering.meal", Decimal("1.5"),
         Decimal(90), "60 meal"),
        ("HANDOUT", "handout.sheet", Decimal(500), "sheet", "handout.sheet",
         Decimal("0.0044"), Decimal("2.2"), "500 sheet"),
        ("WASTE", "waste.kg", Decimal(12), "kg", "waste.kg", Decimal("0.5"), Decimal(6),
         "12 kg"),
    ]
    recorded = result.as_dict()
    assert recorded["kind"] == "MEETING" and recorded["factor_version"] == 1
    assert recorded["extra"] == {"participants": "30"}
    assert {k: Decimal(v) for k, v in recorded["by_category"].items()} == {
        "VENUE": Decimal("0.018084"), "ONLINE": Decimal("0.0011284"),
        "TRAVEL": (Decimal(57) + air_km * Decimal("0.111")) / 1000,
        "ACCOMMODATION": Decimal("0.315"), "CATERING": Decimal("0.09"),
        "HANDOUT": Decimal("0.0022"), "WASTE": Decimal("0.006")}
    assert Decimal(recorded["total_t_co2"]) == sum(
        Decimal(v) for v in recorded["by_category"].values())
    assert recorded["credits"] == 1
    assert recorded["factor_keys"] == [
        "venue.electricity.HALL.M", "electricity.default", "venue.gas.HALL.M", "city_gas",
        "online.device", "online.network", "travel.RAIL", "travel.detour", "travel.AIR",
        "accommodation.night", "catering.meal", "handout.sheet", "waste.kg"]
    assert calculate("MEETING", {"meals": 1}, V1).extra == {"participants": "0"}


@pytest.mark.parametrize(("inputs", "field"), [
    ({"venue": {"building_type": "HALL", "floor_area_class": "M", "room_area_m2": "0",
                "hours": "2"}}, "venue.room_area_m2"),
    ({"venue": {"building_type": "HALL", "floor_area_class": "M", "room_area_m2": "10",
                "hours": "0"}}, "venue.hours"),
    ({"venue": {"building_type": "HALL", "floor_area_class": "M", "hours": "2"}},
     "venue.room_area_m2"),
    ({"venue": {"building_type": "HALL", "floor_area_class": "M", "room_area_m2": "10"}},
     "venue.hours"),
    ({"venue": {"floor_area_class": "M", "room_area_m2": "10", "hours": "1"}},
     "venue.building_type"),
    ({"travel": [{"mode": "CAR", "km": "10"}]}, "travel[0].people"),
    ({"travel": [{"mode": "CAR", "people": 3}]}, "travel[0].km"),
    ({"travel": [{"people": 3, "km": "1"}]}, "travel[0].mode"),
])
def test_meeting_required_and_positive_fields(inputs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        calculate("MEETING", inputs, V1)
    assert field in {e["field"] for e in error.value.errors or []} | {error.value.field}


def test_other_calculators_as_recorded() -> None:
    donation = calculate("DONATION", {"yen_per_item": "1", "items": 25000,
                                      "price_per_t": "8000", "carried_yen": "500"}, V1)
    assert donation.as_dict()["kind"] == "DONATION" and donation.credits == 3
    assert _lines(donation) == [("DONATION", "donation", Decimal(3), "t-CO2", "bought",
                                 Decimal(1000), Decimal(3000),
                                 "(¥1 × 25000 + ¥500) ÷ ¥8000/t")]
    assert donation.extra == {"collected_yen": "25500", "remainder_yen": "1500",
                              "price_per_t": "8000", "items": "25000", "yen_per_item": "1",
                              "carried_yen": "500"}
    assert donation.total_t == Decimal(3)
    attached = calculate("PRODUCT", {"mode": "CREDIT_ATTACHED", "kg_per_unit": "0.5",
                                     "units": 3001}, V1)
    assert _lines(attached) == [("CREDIT_ATTACHED", "product", Decimal(3001), "unit",
                                 "per_unit", Decimal("0.5"), Decimal("1500.5"),
                                 "3001 × 0.5 kg-CO2")]
    assert attached.kind.value == "PRODUCT" and attached.credits == 2
    assert attached.extra == {"mode": "CREDIT_ATTACHED", "units": "3001"}
    organisation = calculate("ORGANIZATION", {
        "kerosene_l": "10", "fuel_oil_a_l": "1", "lpg_kg": "1", "gasoline_l": "1",
        "electricity": [{"kwh": "100"}, {"kwh": "50", "factor_kg_per_kwh": "0.3"}],
        "heat_gj": "2"}, V1)
    assert _lines(organisation) == [
        ("SCOPE1", "kerosene", Decimal(10), "L", "kerosene", Decimal("2.489"),
         Decimal("24.89"), "10 L"),
        ("SCOPE1", "fuel_oil_a", Decimal(1), "L", "fuel_oil_a", Decimal("2.710"),
         Decimal("2.71"), "1 L"),
        ("SCOPE1", "lpg", Decimal(1), "kg", "lpg", Decimal("2.999"), Decimal("2.999"),
         "1 kg"),
        ("SCOPE1", "gasoline", Decimal(1), "L", "gasoline", Decimal("2.32"),
         Decimal("2.32"), "1 L"),
        ("SCOPE2", "electricity[0]", Decimal(100), "kWh", "electricity.default",
         Decimal("0.434"), Decimal("43.4"), "100 kWh"),
        ("SCOPE2", "electricity[1]", Decimal(50), "kWh", "supplier", Decimal("0.3"),
         Decimal(15), "50 kWh × 0.3"),
        ("SCOPE2", "heat.district", Decimal(2), "GJ", "heat.district", Decimal(57),
         Decimal(114), "2 GJ"),
    ]
    assert organisation.kind.value == "ORGANIZATION" and organisation.extra == {}
    assert organisation.factor_keys == ("kerosene", "fuel_oil_a", "lpg", "gasoline",
                                        "electricity.default", "heat.district")


def test_factor_rows_round_trip_as_stored() -> None:
    """A published version is stored as its rows and read back unchanged."""
    rows = V1.rows()
    assert rows[0] == V1.factors["electricity.default"].as_dict()
    kerosene = V1.factors["kerosene"].as_dict()
    assert kerosene == {"key": "kerosene", "category": "FUEL", "label_ja": "灯油",
                        "label_en": "Kerosene", "value": "2.489", "unit": "kg-CO2/L",
                        "confidence": "primary", "source": kerosene["source"]}
    assert "算定省令" in kerosene["source"]
    again = FactorTable.from_rows(7, rows, note="copy")
    assert again.version == 7 and again.note == "copy" and again.factors == V1.factors


def test_prefectural_offices() -> None:
    from jcredit.domain.offsets.geography import PREFECTURE_OFFICES

    assert len(PREFECTURE_OFFICES) == 47
    assert PREFECTURE_OFFICES["東京都"] == (35.690, 139.692)
    assert PREFECTURE_OFFICES["沖縄県"] == (26.212, 127.681)
    assert straight_line_km("北海道", "沖縄県") > straight_line_km("北海道", "東京都")


def _fields(inputs: dict[str, object], kind: str = "MEETING") -> set[str | None]:
    with pytest.raises(ValidationError) as error:
        calculate(kind, inputs, V1)
    return {e["field"] for e in error.value.errors or []} | {error.value.field}


def test_lists_of_legs_are_checked_item_by_item() -> None:
    assert "travel" in _fields({"travel": "CAR 10 km"})
    assert "travel" in _fields({"travel": {"mode": "CAR"}})
    leg = {"mode": "CAR", "people": 1, "km": "1"}
    assert "travel" in _fields({"travel": [leg] * 201})
    assert len(calculate("MEETING", {"travel": [leg] * 200}, V1).lines) == 200
    # every bad leg is named, not only the first
    assert {"travel[0]", "travel[2].mode"} <= _fields(
        {"travel": [1, leg, {"mode": "UFO", "people": 1, "km": "1"}]})


def test_twelve_decimals_at_most() -> None:
    assert calculate("MEETING", {"waste_kg": "0.000000000001"}, V1).total_t > 0
    assert "waste_kg" in _fields({"waste_kg": "0.0000000000001"})
    assert calculate("MEETING", {"waste_kg": "1000000000000"}, V1).credits == 500_000_000
    assert "waste_kg" in _fields({"waste_kg": "1000000000000.5"})


def test_revise_details() -> None:
    from jcredit.domain.errors import ConfirmationRequiredError

    with pytest.raises(ValidationError) as error:
        revise(V1, [{"key": "waste.kg", "value": "0.6", "source": "s"}], note="  ")
    assert error.value.field == "note"
    v2 = revise(V1, [{"key": "waste.kg", "confidence": "primary", "source": "  new  source "}],
                note=" waste   source ")
    changed = v2.factors["waste.kg"]
    assert (changed.value, changed.confidence.value, changed.source) == (
        Decimal("0.5"), "primary", "new source")  # value kept, source normalised
    assert v2.note == "waste source" and v2.version == 2
    assert revise(V1, [{"key": "heat.district", "value": "100000", "source": "s"}], note="n",
                  confirm_large=True).factors["heat.district"].value == 100_000
    # exactly tenfold or a tenth: no confirmation; from zero: a confirmation
    assert revise(V1, [{"key": "waste.kg", "value": "5", "source": "s"}], note="n")
    assert revise(V1, [{"key": "waste.kg", "value": "0.05", "source": "s"}], note="n")
    with pytest.raises(ConfirmationRequiredError):
        revise(V1, [{"key": "travel.WALK", "value": "0.01", "source": "s"}], note="n")
    assert revise(V1, [{"key": "travel.WALK", "value": "0", "source": "s"}], note="n")
    with pytest.raises(ValidationError) as bad:
        revise(V1, [{"key": "waste.kg", "value": "-1", "source": "s"},
                    {"key": "nope", "value": "1", "source": "s"},
                    {"key": "catering.meal", "confidence": "maybe", "source": "s"}], note="n")
    assert {e["field"] for e in bad.value.errors or []} == {
        "changes[0].value", "changes[1].key", "changes[2].confidence"}
    assert "[kg-CO2/kg]" in bad.value.errors[0]["message"]  # type: ignore[index]
