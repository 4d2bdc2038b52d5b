"""Using credits in the web UI (docs/offsets.md): the public calculators (知って), a saved
calculation's page, offsetting it with the organisation's own credits (減らして、オフセット),
the offset's page with its certificates, the public verification page, the factor table
(edited by the secretariat) and the reporting table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import segno
from fastapi import APIRouter
from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup

from jcredit.domain.errors import DomainError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.domain.offsets.calculators import BuildingType
from jcredit.domain.offsets.calculators import CalculatorKind
from jcredit.domain.offsets.calculators import FloorAreaClass
from jcredit.domain.offsets.calculators import ProductMode
from jcredit.domain.offsets.calculators import TravelMode
from jcredit.domain.offsets.geography import PREFECTURE_OFFICES
from jcredit.entrypoints.api.routes.offsets import REPORT_FIELDS
from jcredit.entrypoints.api.routes.offsets import calculation_rows
from jcredit.entrypoints.api.routes.offsets import report_csv_rows
from jcredit.entrypoints.api.routes.offsets import verify_url
from jcredit.entrypoints.downloads import csv_response
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.params import ApplicationId
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.i18n import labeller
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _check_csrf
from jcredit.entrypoints.web.views import _form
from jcredit.entrypoints.web.views import _redirect
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import flash
from jcredit.entrypoints.web.views import render
from jcredit.entrypoints.web.views import request_language
from jcredit.entrypoints.web.views import state_of
from jcredit.service_layer import commands as c
from jcredit.service_layer import offset_queries
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Role
from jcredit.service_layer.handlers.invalidations import JST

router = APIRouter(include_in_schema=False)

TRAVEL_ROWS = 4
TRAVEL_FIELDS = ("mode", "people", "km", "origin_prefecture", "round_trip")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "MEETING": ("title", "participants", "prefecture", "venue_building_type",
                "venue_floor_area_class", "venue_room_area_m2", "venue_hours",
                "online_participants", "online_hours", "accommodation_nights", "meals",
                "handout_sheets", "waste_kg",
                *(f"travel_{i}_{f}" for i in range(TRAVEL_ROWS) for f in TRAVEL_FIELDS)),
    "ORGANIZATION": ("title", "electricity_kwh", "electricity_factor", "other_kwh",
                     "other_factor", "kerosene_l", "fuel_oil_a_l", "lpg_kg", "city_gas_m3",
                     "gasoline_l", "heat_gj"),
    "PRODUCT": ("title", "mode", "kg_per_unit", "units"),
    "DONATION": ("title", "yen_per_item", "items", "price_per_t", "carried_yen"),
}
TOP_LEVEL = {
    "MEETING": ("participants", "prefecture", "accommodation_nights", "meals", "handout_sheets",
                "waste_kg"),
    "ORGANIZATION": ("kerosene_l", "fuel_oil_a_l", "lpg_kg", "city_gas_m3", "gasoline_l",
                     "heat_gj"),
    "PRODUCT": ("mode", "kg_per_unit", "units"),
    "DONATION": ("yen_per_item", "items", "price_per_t", "carried_yen"),
}
# error fields of the calculators → the form's fields
RENAME = {"venue.building_type": "venue_building_type",
          "venue.floor_area_class": "venue_floor_area_class",
          "venue.room_area_m2": "venue_room_area_m2", "venue.hours": "venue_hours",
          "venue": "venue_room_area_m2", "online": "online_participants",
          "online.participants": "online_participants", "online.hours": "online_hours",
          "electricity[0].kwh": "electricity_kwh",
          "electricity[0].factor_kg_per_kwh": "electricity_factor",
          "electricity[1].kwh": "other_kwh", "electricity[1].factor_kg_per_kwh": "other_factor"}


def travel_rows(form: Mapping[str, str]) -> list[int]:
    """The form's travel rows that hold a leg, in order: leg n of the inputs is row
    ``travel_rows(form)[n]`` of the form."""
    return [i for i in range(TRAVEL_ROWS)
            if any(form.get(f"travel_{i}_{f}", "").strip() for f in ("people", "km",
                                                                     "origin_prefecture"))]


def rename_for(form: Mapping[str, str]) -> dict[str, str]:
    """Error fields → form fields, the travel legs mapped to the rows they came from."""
    legs = {f"travel[{n}].{f}": f"travel_{row}_{f}" for n, row in enumerate(travel_rows(form))
            for f in TRAVEL_FIELDS}
    return RENAME | legs | {f"travel[{n}]": f"travel_{row}_mode"
                            for n, row in enumerate(travel_rows(form))}


def calculator_inputs(kind: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The calculator's inputs from the flat form (empty fields left out)."""
    def value(name: str) -> str | None:
        text = form.get(name, "").strip()
        return text or None

    inputs: dict[str, Any] = {k: value(k) for k in TOP_LEVEL.get(kind, ()) if value(k)}
    if kind == "MEETING":
        venue = {k: value(f"venue_{k}") for k in ("building_type", "floor_area_class",
                                                   "room_area_m2", "hours")}
        if value("venue_room_area_m2") or value("venue_hours"):
            inputs["venue"] = {k: v for k, v in venue.items() if v is not None}
        online = {k: value(f"online_{k}") for k in ("participants", "hours")}
        if any(online.values()):
            inputs["online"] = {k: v for k, v in online.items() if v is not None}
        legs = []
        for i in travel_rows(form):
            leg = {f: value(f"travel_{i}_{f}") for f in TRAVEL_FIELDS}
            leg["round_trip"] = "true" if form.get(f"travel_{i}_round_trip") else "false"
            legs.append({k: v for k, v in leg.items() if v is not None})
        if legs:
            inputs["travel"] = legs
    elif kind == "ORGANIZATION":
        supplies = []
        for kwh, factor in (("electricity_kwh", "electricity_factor"),
                            ("other_kwh", "other_factor")):
            if value(kwh) or value(factor):
                supplies.append({"kwh": value(kwh)} | (
                    {"factor_kg_per_kwh": value(factor)} if value(factor) else {}))
        if supplies:
            inputs["electricity"] = supplies
    return inputs


def _choices(lang: str) -> dict[str, Any]:
    return {"kinds": [k.value for k in CalculatorKind],
            "building_types": [b.value for b in BuildingType],
            "floor_area_classes": [f.value for f in FloorAreaClass],
            "travel_modes": [m.value for m in TravelMode],
            "product_modes": [m.value for m in ProductMode],
            "prefecture_options": [(p, p) for p in PREFECTURE_OFFICES],
            "travel_rows": TRAVEL_ROWS,
            "factor_label": (lambda f: f["label_en"] if lang == "en" else f["label_ja"]),
            "factor_options": lambda table: [
                (f["key"], f["label_en"] if lang == "en" else f["label_ja"])
                for f in table["factors"]]}


def _chart(result: dict[str, Any], label: Any) -> dict[str, Any]:
    by = result["by_category"]
    return {"labels": [label("offset_category", k) for k in by],
            "values": [float(v) for v in by.values()], "label": "t-CO2"}


def _calculator_page(request: Request, kind: str, values: Mapping[str, str], *,
                     result: dict[str, Any] | None = None, error: DomainError | None = None
                     ) -> Response:
    lang = request_language(request)
    context: dict[str, Any] = {"kind": kind, "values": values, "result": result}
    if result is not None:
        context["chart"] = _chart(result, labeller(lang))
    if error is not None:
        context["form_state"] = state_of(request, "calculator", values, error,
                                         fields=KIND_FIELDS[kind], rename=rename_for(values))
    return render(request, "offset_calculator.html",
                  status_code=classify(error)[0] if error else 200,
                  **context, **_choices(lang))


@router.get("/offsets/calculator")
def calculator(request: Request, kind: str = "MEETING") -> Response:
    """The calculators (public, no login)."""
    kind = kind.upper() if kind.upper() in KIND_FIELDS else "MEETING"
    defaults = {"MEETING": {"venue_building_type": "HALL", "venue_floor_area_class": "M",
                            "prefecture": "東京都"},
                "PRODUCT": {"mode": "FOOTPRINT"}}.get(kind, {})
    prefill = {k: v for k, v in request.query_params.items() if k in KIND_FIELDS[kind]}
    return _calculator_page(request, kind, defaults | prefill)


@router.post("/offsets/calculator")
async def calculator_result(request: Request) -> Response:
    form = await _form(request)
    kind = form.get("kind", "MEETING").upper()
    kind = kind if kind in KIND_FIELDS else "MEETING"
    inputs = calculator_inputs(kind, form)
    registry = _registry(request)
    try:
        if form.get("save") == "yes":
            actor = _actor(request)
            _check_csrf(request, form.get("csrf", ""))
            saved = registry.bus.handle(
                c.SaveOffsetCalculation(kind=kind, inputs=inputs, title=form.get("title", "")),
                actor=actor, idempotency_key=form.get("idem") or None).data
            flash(request, N_("offset_calculation_saved"))
            return _redirect(f"/offsets/calculations/{saved['token']}")
        with registry.uow(write=False) as uow:
            result = offset_queries.calculate(uow, kind, inputs)
    except DomainError as error:
        return _calculator_page(request, kind, form, error=error)
    return _calculator_page(request, kind, form, result=result)


@router.get("/offsets/calculations/{token}")
def calculation_page(request: Request, token: str) -> Response:
    """A saved calculation, by its link (public: the link is the key). Errors become
    the error page (the app's DomainError handler)."""
    with _registry(request).uow(write=False) as uow:
        calc = offset_queries.calculation(uow, token)
    lang = request_language(request)
    return render(request, "offset_calculation.html", calc=calc,
                  result=calc["result"] | {"factors": calc["factors"]},
                  chart=_chart(calc["result"], labeller(lang)), **_choices(lang))


@router.post("/offsets/calculations/{token}/rerun")
async def calculation_rerun(request: Request, token: str) -> Response:
    """Save the same inputs again against the newest factor table (a new calculation; the
    old one stays as it was)."""
    form = await _form(request)
    actor = _actor(request)
    _check_csrf(request, form.get("csrf", ""))
    registry = _registry(request)
    with registry.uow(write=False) as uow:
        calc = offset_queries.calculation(uow, token)
    saved = registry.bus.handle(c.SaveOffsetCalculation(
        kind=calc["kind"], inputs=calc["inputs"], title=calc["title"]), actor=actor,
        idempotency_key=form.get("idem") or None).data
    flash(request, N_("offset_calculation_rerun"), version=saved["factor_version"])
    return _redirect(f"/offsets/calculations/{saved['token']}")


@router.get("/offsets/calculations/{token}/csv")
def calculation_csv(request: Request, token: str) -> Response:
    with _registry(request).uow(write=False) as uow:
        calc = offset_queries.calculation(uow, token)
    return csv_response(calculation_rows(calc), f"offset-calculation-{calc['id']}.csv")


OFFSET_FIELDS = ("from_account", "block", "quantity", "subject", "scope", "period",
                 "offset_purpose", "credit_user_name", "credit_user_corporate_number",
                 "fiscal_year", "calculation", "category", "vintage", "project", "prefecture",
                 "publish")


OFFSETTING_ROLES = (Role.HOLDER, Role.IMPLEMENTER, Role.OPERATOR, Role.ADMIN)
FILTER_FIELDS = ("from_account", "category", "vintage", "project", "prefecture")


def _offset_form_page(request: Request, values: Mapping[str, str], *,
                      error: DomainError | None = None, submitted: bool = False) -> Response:
    """The offset form: the calculation, the holdings (filtered) and the fields. After a
    refused submission (``submitted``) the fields keep what was typed, empty ones too."""
    actor = _actor(request)
    if actor.role not in OFFSETTING_ROLES:
        raise PermissionDeniedError("offsetting needs an account holder's role (or the "
                                    "secretariat's)")
    registry = _registry(request)
    filter_error: DomainError | None = None
    with registry.uow(write=False) as uow:
        accounts = [a for a in queries.accounts_for(uow, actor)
                    if a["kind"] == AccountKind.HOLDING.value
                    and (actor.role is Role.ADMIN
                         or a["organisation_id"] == actor.organisation_id)]
        token = values.get("calculation", "")
        calc = offset_queries.calculation(uow, token) if token else None
        number = values.get("from_account") or (accounts[0]["number"] if accounts else "")
        holdings = None
        if number:
            try:
                holdings = offset_queries.offset_holdings(
                    uow, actor, number, category=values.get("category") or None,
                    vintage=values.get("vintage") or None,
                    project=values.get("project") or None,
                    prefecture=values.get("prefecture") or None)
            except DomainError as problem:  # a bad filter: said at the filter, form kept
                filter_error = problem
        org = uow.organisations.get(actor.organisation_id) if actor.organisation_id else None
    today = registry.clock().astimezone(JST).date()
    filled = {"from_account": number, "fiscal_year": str(fiscal_year_of(today)),
              "credit_user_name": org.name if org else "",
              "credit_user_corporate_number": org.corporate_number if org else ""}
    if calc is not None:
        filled |= {"quantity": str(calc["result"]["credits"]), "subject": calc["title"],
                   "calculation": calc["token"]}
    filled |= {k: v for k, v in values.items() if v or submitted}
    state = None
    if error is not None:
        state = state_of(request, "offset", filled, error, fields=OFFSET_FIELDS,
                         rename={"serials": "block", "use": "block"})
    elif filter_error is not None:
        state = state_of(request, "filter", filled, filter_error, fields=FILTER_FIELDS,
                         rename={"account": "from_account"})
    failed = error or filter_error
    return render(request, "offset_new.html",
                  status_code=classify(failed)[0] if failed else 200,
                  values=filled, calc=calc, accounts=accounts, holdings=holdings,
                  categories=[cat.value for cat in Category],
                  prefecture_options=[(p, p) for p in PREFECTURE_OFFICES],
                  account_options=[(a["number"], f"{a['number']} {a['name']}") for a in accounts],
                  purposes=[p.value for p in OffsetPurpose if p is not OffsetPurpose.SELF],
                  form_state=state)


@router.get("/offsets/new")
def offset_new(request: Request) -> Response:
    """Choose the credits for an offset from the organisation's own holdings."""
    values = {k: v for k, v in request.query_params.items() if k in OFFSET_FIELDS}
    return _offset_form_page(request, values)


def _offset_command(form: Mapping[str, str], *, confirm_excess: bool) -> c.ApplyOffset:
    serials = _serials(form)
    return c.ApplyOffset(
        from_account=form.get("from_account", ""), subject=form.get("subject", ""),
        credit_user_name=form.get("credit_user_name", ""),
        fiscal_year=form.get("fiscal_year", ""), calculation=form.get("calculation") or None,
        offset_purpose=form.get("offset_purpose") or None,
        quantity=None if serials else form.get("quantity", ""),
        serials=serials, scope=form.get("scope", ""), period=form.get("period", ""),
        credit_user_corporate_number=form.get("credit_user_corporate_number") or None,
        confirm_excess=confirm_excess, publish=form.get("publish") == "yes")


def _serials(form: Mapping[str, str]) -> str | None:
    """The chosen block's first ``quantity`` serials (``PREFIX-START-END``); None without
    a block, or when the quantity is not a whole number above 0 (then the quantity is sent
    as typed and refused at its own field)."""
    block = form.get("block", "")
    if block.count("-") < 2:
        return None
    prefix, start, end = block.rsplit("-", 2)
    typed = form.get("quantity", "").strip()
    if not (start.isdigit() and end.isdigit()) or (typed and not typed.isdigit()):
        return None
    wanted = int(typed) if typed else int(end) - int(start) + 1
    if wanted < 1:
        return None
    return f"{prefix}-{start}-{int(start) + wanted - 1:010d}"


@router.post("/offsets/review")
async def offset_review(request: Request) -> Response:
    """Step 1: a dry run shows the serials and warns when more than calculated."""
    form = await _form(request)
    try:
        actor = _actor(request)
        _check_csrf(request, form.get("csrf", ""))
        preview = _registry(request).bus.preview(_offset_command(form, confirm_excess=True),
                                                 actor=actor)
    except DomainError as error:
        return _offset_form_page(request, form, error=error, submitted=True)
    return render(request, "offset_confirm.html", form=form, preview=preview)


@router.post("/offsets")
async def offset_apply(request: Request) -> Response:
    """Step 2: confirmed; the OFFSET invalidation application is filed."""
    form = await _form(request)
    try:
        actor = _actor(request)
        _check_csrf(request, form.get("csrf", ""))
        if form.get("confirm") != "yes":
            raise PermissionDeniedError("tick the confirmation box to apply")
        data = _registry(request).bus.handle(
            _offset_command(form, confirm_excess=form.get("confirm_excess") == "yes"),
            actor=actor, idempotency_key=form.get("idem") or None).data
    except DomainError as error:
        return _offset_form_page(request, form, error=error, submitted=True)
    flash(request, N_("offset_applied"), application=data["application_id"])
    return _redirect(f"/offsets/{data['application_id']}")


@router.get("/offsets")
def offsets_list(request: Request) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        rows = offset_queries.offsets(uow, actor)
        saved = offset_queries.calculations(uow, actor)
    return render(request, "offsets.html", offsets=rows, calculations=saved)


def qr_svg(url: str, label: str) -> Markup:
    """The URL as an inline SVG QR code (the same code the certificate's PDF carries)."""
    svg = segno.make(url, error="m", micro=False).svg_inline(scale=3, title=label)
    return Markup(svg)


def _offset_page(request: Request, application_id: int, *, error: DomainError | None = None,
                 values: Mapping[str, str] | None = None) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = offset_queries.offset_detail(uow, actor, application_id)
    state = (state_of(request, "certificate", values or {}, error,
                      fields=("holder_name", "quantity", "third_party"))
             if error is not None else None)
    urls = {cert["token"]: verify_url(request, cert["token"]) for cert in data["certificates"]}
    return render(request, "offset.html", status_code=classify(error)[0] if error else 200,
                  data=data, app=data["application"], form_state=state, verify_urls=urls,
                  qr={token: qr_svg(url, cert_number) for (token, url), cert_number in zip(
                      urls.items(), (cert["number"] for cert in data["certificates"]),
                      strict=True)})


@router.get("/offsets/{application_id}")
def offset_page(request: Request, application_id: ApplicationId) -> Response:
    return _offset_page(request, application_id)


@router.post("/offsets/{application_id}/certificates")
async def certificate_issue(request: Request, application_id: ApplicationId) -> Response:
    form = await _form(request)
    try:
        actor = _actor(request)
        _check_csrf(request, form.get("csrf", ""))
        data = _registry(request).bus.handle(c.IssueOffsetCertificate(
            application_id=application_id, holder_name=form.get("holder_name", ""),
            quantity=form.get("quantity") or None, third_party=form.get("third_party") == "yes"),
            actor=actor, idempotency_key=form.get("idem") or None).data
    except DomainError as error:
        return _offset_page(request, application_id, error=error, values=form)
    flash(request, N_("offset_certificate_issued"), number=data["number"])
    return _redirect(f"/offsets/{application_id}#certificates")


@router.get("/verify/{token}")
def verify(request: Request, token: str) -> Response:
    """The public verification page a certificate's QR code opens (no login)."""
    try:
        with _registry(request).uow(write=False) as uow:
            cert = offset_queries.certificate(uow, token)
    except DomainError as error:
        return render(request, "offset_verify.html", status_code=404, cert=None,
                      message=error.message)
    url = verify_url(request, token)
    return render(request, "offset_verify.html", cert=cert, verify_url=url,
                  qr=qr_svg(url, cert["number"]))


@router.get("/offsets/factors/table")
def factor_page(request: Request, version: str = "") -> Response:
    """The calculators' factors, each with its source and flag (public); the secretariat
    publishes a new version here."""
    with _registry(request).uow(write=False) as uow:
        table = offset_queries.factor_tables(uow, version or None)
    return render(request, "offset_factors.html", table=table,
                  **_choices(request_language(request)))


@router.post("/offsets/factors/table")
async def factor_publish(request: Request) -> Response:
    form = await _form(request)
    try:
        actor = _actor(request)
        _check_csrf(request, form.get("csrf", ""))
        change: dict[str, object] = {
            "key": form.get("key", ""), "value": form.get("value", ""),
            "confidence": form.get("confidence", ""), "source": form.get("source", "")}
        data = _registry(request).bus.handle(c.PublishOffsetFactors(
            changes=(change,), note=form.get("note", ""),
            confirm_large=form.get("confirm_large") == "yes"), actor=actor,
            idempotency_key=form.get("idem") or None).data
    except DomainError as error:
        with _registry(request).uow(write=False) as uow:
            table = offset_queries.factor_tables(uow)
        return render(request, "offset_factors.html", status_code=classify(error)[0],
                      table=table, form_state=state_of(
                          request, "factors", form, error,
                          fields=("key", "value", "confidence", "source", "note",
                                  "confirm_large"),
                          rename={"changes[0].key": "key", "changes[0].value": "value",
                                  "changes[0].confidence": "confidence",
                                  "changes[0].source": "source"}),
                      **_choices(request_language(request)))
    flash(request, N_("offset_factors_published"), version=data["version"])
    return _redirect("/offsets/factors/table")


@router.get("/reports/invalidations")
def report_page(request: Request, fiscal_year: str = "", format: str = "") -> Response:
    """The 温対法 and other reports' table: invalidations counting for each fiscal year."""
    actor = _actor(request)
    today = _registry(request).clock().astimezone(JST).date()
    year = fiscal_year or str(fiscal_year_of(today) - 1 if today.month <= 6
                              else fiscal_year_of(today))
    with _registry(request).uow(write=False) as uow:
        table = offset_queries.reporting_table(uow, actor, fiscal_year=year)
    if format == "csv":
        return csv_response(report_csv_rows(table), f"invalidations-report-FY{year}.csv",
                            fieldnames=REPORT_FIELDS)
    years = list(range(fiscal_year_of(today), fiscal_year_of(today) - 6, -1))
    return render(request, "offset_report.html", table=table, year=year, years=years,
                  june_open=today.month in (4, 5, 6), is_admin=actor.role is Role.ADMIN,
                  today=date.isoformat(today))
