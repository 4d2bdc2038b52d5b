"""Web pages of the dMRV device registry (docs/dmrv.md §1).

The project page has a 機器 (devices) section (``_devices.html``): the list, the registration
form and the bulk CSV upload; a site (an activity) has its own page with its devices; a
device has a page with its keys, where a new key is pasted (rotation) and a key is revoked
after a confirmation page. Each form posts a command to the same bus as the API and the
CLI; an error is shown next to its field, or line by line for a file, with nothing written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from fastapi import Form
from fastapi import Request
from fastapi.responses import Response

from jcredit.domain.dmrv.devices import DEVICE_FIELDS
from jcredit.domain.dmrv.model import CHANNELS
from jcredit.domain.dmrv.rules import RULES
from jcredit.domain.errors import DomainError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.dmrv_tables import register_devices_command
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.web.dmrv_site import Presenter
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.i18n import labeller
from jcredit.entrypoints.web.i18n import translator
from jcredit.entrypoints.web.project_views import CSV_FIELDS
from jcredit.entrypoints.web.project_views import _csv_form
from jcredit.entrypoints.web.project_views import _project_page
from jcredit.entrypoints.web.project_views import _send
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _redirect
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import flash
from jcredit.entrypoints.web.views import render
from jcredit.entrypoints.web.views import request_language
from jcredit.entrypoints.web.views import state_of
from jcredit.service_layer import commands as c
from jcredit.service_layer import dmrv_queries
from jcredit.service_layer.dmrv import sites

router = APIRouter(include_in_schema=False)
DEVICE_FORM_FIELDS = ("activity", *DEVICE_FIELDS)


def _channels(form: dict[str, str]) -> tuple[str, ...]:
    """The ticked channel boxes (``channel_generation`` …), in their order."""
    return tuple(name for name in CHANNELS if form.get(f"channel_{name}"))


def _site_page(request: Request, number: str, code: str, status_code: int = 200,
               period: Mapping[str, str] | None = None, **extra: Any) -> Response:
    """The site's page over the period asked for (``from``/``to``); a bad date is shown at
    its field (422) over the default period."""
    actor = _actor(request)
    registry = _registry(request)
    period = dict(period or {})
    values = {"from": period.get("from", ""), "to": period.get("to", "")}
    with registry.uow(write=False) as uow:
        try:
            view = sites.site_view(uow, registry.site_readings, actor, number, code,
                                   values["from"], values["to"], now=registry.clock())
        except ValidationError as error:
            if error.field not in ("from", "to"):
                raise
            status_code = 422
            extra["form_state"] = state_of(request, "period", values, error,
                                           fields=("from", "to"))
            view = sites.site_view(uow, registry.site_readings, actor, number, code,
                                   now=registry.clock())
    lang = request_language(request)
    present = Presenter(lang, translator(lang), labeller(lang))
    devices = {"project": view["project"], "project_state": view["project_state"],
               "can_manage": view["can_manage"], "devices": view["devices"]}
    findings = []
    for f in view["findings"]:
        spans, more = present.spans(f["intervals"])
        findings.append(f | {"spans": spans, "more_spans": more,
                             "lines": present.evidence(f["evidence"])})
    window = view["window"]
    if "form_state" not in extra:
        values = {"from": window["from"], "to": window["to"]}
    return render(request, "site.html", status_code=status_code, view=view,
                  devices=devices, findings=findings, chart=present.chart(view),
                  present=present, period=values,
                  rule_names={r: (i.name_ja if lang == "ja" else i.name_en)
                              for r, i in RULES.items()},
                  project={"number": view["project"], "name": view["project_name"]},
                  activity=view["activity"], site=view["site"], **extra)


@router.get("/projects/{number}/sites/{code}")
def site_page(request: Request, number: str, code: str) -> Response:
    """A site (a reduction activity): what it is, the devices that report for it, its
    readings over a period with the automatic checks' findings, and what was received."""
    query = request.query_params
    return _site_page(request, number, code,
                      period={"from": query.get("from", ""), "to": query.get("to", "")})


@router.post("/projects/{number}/devices")
async def register_device(request: Request, number: str) -> Response:
    """One device from the registration form (of the project page, or of a site's page
    when ``back`` is ``site``)."""
    _actor(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    channels = _channels(form)
    values = form | {f"channel_{name}": "yes" for name in channels}
    command = c.RegisterDevice(
        project=number, activity=form.get("activity", ""), device_id=form.get("device_id", ""),
        capacity_ac_kw=form.get("capacity_ac_kw", ""),
        capacity_dc_kw=form.get("capacity_dc_kw", ""),
        commissioned_on=form.get("commissioned_on", ""), latitude=form.get("latitude", ""),
        longitude=form.get("longitude", ""), serial=form.get("serial", ""),
        public_key=form.get("public_key", ""), channels=channels,
        tilt=form.get("tilt") or None, azimuth=form.get("azimuth") or None,
        certification_expires=form.get("certification_expires") or None)
    try:
        data = _send(request, command, form.get("csrf", ""), form.get("idem", ""))
    except DomainError as error:
        state = state_of(request, "device", values, error, fields=DEVICE_FORM_FIELDS)
        if form.get("back") == "site":
            return _site_page(request, number, form.get("activity", ""),
                              classify(error)[0], form_state=state)
        return _project_page(request, number, status_code=classify(error)[0],
                             form_state=state)
    flash(request, N_("device_registered"), device_id=data["device_id"], site=data["site"])
    if form.get("back") == "site":
        return _redirect(f"/projects/{number}/sites/{data['activity']}#devices")
    return _redirect(f"/projects/{number}#devices")


@router.post("/projects/{number}/devices/import")
async def import_devices(request: Request, number: str) -> Response:
    """The bulk device CSV (pasted or a file): every line is registered, or none and every
    problem is listed with its line next to the form."""
    _actor(request)
    csv_text = ""
    try:
        form, csv_text = await _csv_form(request)
        command = register_devices_command(csv_text)
        data = _send(request, command, str(form.get("csrf") or ""),
                     str(form.get("idem") or ""))
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             form_state=state_of(request, "devices-csv",
                                                 {"csv_text": csv_text}, error,
                                                 fields=CSV_FIELDS))
    flash(request, N_("devices_registered"), count=data["registered"])
    return _redirect(f"/projects/{number}#devices")


def _device_page(request: Request, device_id: str, status_code: int = 200, **extra: Any
                 ) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        device = dmrv_queries.device_detail(uow, actor, device_id)
    return render(request, "device.html", status_code=status_code, device=device,
                  channels=CHANNELS, **extra)


@router.get("/devices/{device_id}")
def device_page(request: Request, device_id: str) -> Response:
    """A device: its site and fields, every key with its status, rotation and revocation."""
    return _device_page(request, device_id)


@router.post("/devices/{device_id}/keys")
def rotate_key(request: Request, device_id: str, public_key: str = Form(""),
               csrf: str = Form(""), idem: str = Form("")) -> Response:
    try:
        data = _send(request, c.RotateDeviceKey(device_id=device_id, public_key=public_key),
                     csrf, idem)
    except DomainError as error:
        return _device_page(request, device_id, classify(error)[0], form_state=state_of(
            request, "rotate", {"public_key": public_key}, error, fields=("public_key",)))
    flash(request, N_("device_key_rotated"), key_id=data["key_id"],
          retired=data["retired_key_id"] or "—")
    return _redirect(f"/devices/{device_id}#keys")


def _revoke_page(request: Request, device_id: str, key_id: str, status_code: int = 200,
                 **extra: Any) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        device = dmrv_queries.device_detail(uow, actor, device_id)
    if not device["can_manage"]:
        raise PermissionDeniedError(f"only the implementer of {device['project']} (or the "
                                    "secretariat) revokes its devices' keys")
    key = next((k for k in device["keys"] if k["key_id"] == key_id), None)
    return render(request, "device_revoke.html", status_code=status_code, device=device,
                  key=key, key_id=key_id, **extra)


@router.get("/devices/{device_id}/keys/{key_id}/revoke")
def revoke_confirmation(request: Request, device_id: str, key_id: str) -> Response:
    """What revoking the key will do, before it is done (irreversible)."""
    return _revoke_page(request, device_id, key_id)


@router.post("/devices/{device_id}/keys/{key_id}/revoke")
def revoke_key(request: Request, device_id: str, key_id: str, confirm: str = Form(""),
               reason: str = Form(""), csrf: str = Form(""), idem: str = Form("")) -> Response:
    try:
        _send(request, c.RevokeDeviceKey(device_id=device_id, key_id=key_id,
                                         confirm=confirm == "yes", reason=reason), csrf, idem)
    except DomainError as error:
        return _revoke_page(request, device_id, key_id, classify(error)[0],
                            form_state=state_of(request, "revoke", {"reason": reason}, error,
                                                fields=("reason",)))
    flash(request, N_("device_key_revoked"), key_id=key_id)
    return _redirect(f"/devices/{device_id}#keys")



# -- the verifier's decisions on a settled period's HOLD findings (docs/dmrv.md §12) ----------

HOLD_FIELDS = ("decision", "comment")


def _holds_page(request: Request, number: str, period: int, status_code: int = 200,
                **extra: Any) -> Response:
    from jcredit.domain.projects.lifecycle import Party
    from jcredit.domain.projects.lifecycle import PeriodState
    from jcredit.service_layer.dmrv.sites import can_read_site
    from jcredit.service_layer.handlers.dmrv_decisions import decisions_view
    from jcredit.service_layer.handlers.projects import party_for
    from jcredit.service_layer.handlers.projects import period_by_number
    from jcredit.service_layer.handlers.projects import project_by_number

    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        project = project_by_number(uow, number)
        if not can_read_site(actor, project):  # as the dossier: the parties and the auditor
            raise PermissionDeniedError(f"you may not read {project.number}'s HOLD findings",
                                        field="project")
        monitoring = period_by_number(uow, project, period)
        view = decisions_view(uow, project, monitoring)
        try:
            party: Party | None = party_for(actor, project)
        except PermissionDeniedError:
            party = None
    lang = request_language(request)
    present = Presenter(lang, translator(lang), labeller(lang))
    holds = []
    for h in view["holds"]:
        spans, more = present.spans(h["intervals"])
        first = h["intervals"][0][0] if h["intervals"] else None
        holds.append(h | {"spans": spans, "more_spans": more,
                          "lines": present.evidence(h.get("evidence") or {}),
                          "activity": h["site"].rsplit("/", 1)[-1],
                          "day": present.day(first) if first is not None else ""})
    return render(request, "holds.html", status_code=status_code, view=view, holds=holds,
                  present=present, project={"number": project.number, "name": project.name},
                  period={"number": monitoring.number, "state": monitoring.state.value,
                          "start": monitoring.start.isoformat(),
                          "end": monitoring.end.isoformat()},
                  can_decide=party is Party.VERIFIER
                  and monitoring.state is PeriodState.VERIFICATION,
                  rule_names={r: (i.name_ja if lang == "ja" else i.name_en)
                              for r, i in RULES.items()}, **extra)


@router.get("/projects/{number}/periods/{period}/holds")
def holds_page(request: Request, number: str, period: int) -> Response:
    """A settled period's HOLD findings, each with its evidence and a link to the site's
    chart that day; the 審査機関 accepts or rejects each, with a comment."""
    return _holds_page(request, number, period)


@router.post("/projects/{number}/periods/{period}/holds")
async def decide_hold(request: Request, number: str, period: int) -> Response:
    _actor(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    index = form.get("index", "")
    command = c.DecideHold(project=number, period=period, key=form.get("key", ""),
                           decision=form.get("decision", ""), comment=form.get("comment", ""))
    try:
        data = _send(request, command, form.get("csrf", ""), form.get("idem", ""))
    except DomainError as error:
        state = state_of(request, f"hold-{index}", form, error, fields=HOLD_FIELDS)
        return _holds_page(request, number, period, classify(error)[0], form_state=state)
    flash(request, N_("hold_decided"), site=data["site"], rule=data["rule_id"],
          labels={"decision": ("hold_decision", data["decision"])})
    return _redirect(f"/projects/{number}/periods/{period}/holds#hold-{index}")


@router.get("/projects/{number}/periods/{period}/dossier")
def dossier_page(request: Request, number: str, period: int) -> Response:
    """The verification dossier of a period settled from the readings (docs/dmrv.md §13)."""
    from jcredit.service_layer.dmrv.dossier import dossier

    actor = _actor(request)
    data = dossier(_registry(request).uow, actor, number, period)
    lang = request_language(request)
    present = Presenter(lang, translator(lang), labeller(lang))
    return render(request, "dossier.html", d=data, present=present,
                  project={"number": data["project"], "name": data["project_name"]})
