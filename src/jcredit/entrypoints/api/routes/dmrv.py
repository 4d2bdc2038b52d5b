"""The dMRV device registry over HTTP (``/api/v1/dmrv``; docs/dmrv.md §1).

Register a device (JSON) or a file of devices (the bulk CSV, all lines or none, every bad
line reported), read a device with its keys or a project's devices, rotate a device's key,
revoke a key (irreversible: ``confirm``). Every write needs an ``Idempotency-Key``; who may
do what is checked by the handlers and queries (the project's implementer and the
secretariat manage, its 審査機関 reads). Numbers are read exactly (``5.5`` is
``Decimal("5.5")``).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Annotated
from typing import Any

from fastapi import APIRouter
from fastapi import Path
from fastapi import Query
from fastapi import Request
from fastapi import Response
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from jcredit.domain.dmrv.model import CHANNELS
from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.api.deps import ActorDep
from jcredit.entrypoints.api.deps import IdempotencyKeyDep
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.api.routes.projects import exact_json
from jcredit.entrypoints.api.routes.projects import parse_body
from jcredit.entrypoints.api.routes.projects import send
from jcredit.entrypoints.dmrv_tables import HEADER
from jcredit.entrypoints.dmrv_tables import register_devices_command
from jcredit.entrypoints.downloads import csv_response
from jcredit.entrypoints.params import ActivityCode
from jcredit.entrypoints.params import ProjectNumber
from jcredit.entrypoints.params import Sha256
from jcredit.entrypoints.tables_in import decode_csv
from jcredit.service_layer import commands as c
from jcredit.service_layer import dmrv_queries
from jcredit.service_layer.dmrv import sites

router = APIRouter(prefix="/dmrv", tags=["dmrv devices"])

DeviceId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,64}$",
                               description="device id: 1–64 of A–Z a–z 0–9 . _ -",
                               examples=["PV-000123"])]
KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$",
                            description="key id: the first 16 hex digits of the SHA-256 of "
                            "the raw public key", examples=["3f9a0c1d2e4b5a69"])]
NUMBER = "a decimal number: a JSON number or a string, read exactly"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceCreate(Strict):
    project: str = Field(description="the project's number, e.g. JCP-000007")
    activity: str = Field(description="the code of the project's activity (the site), e.g. "
                          "HH-0001")
    device_id: str = Field(description="1–64 of A–Z a–z 0–9 . _ -, unique in the registry")
    capacity_ac_kw: Any = Field(description=f"PV capacity AC in kW, > 0: {NUMBER}")
    capacity_dc_kw: Any = Field(description=f"PV capacity DC in kW, > 0: {NUMBER}")
    commissioned_on: str = Field(description="YYYY-MM-DD")
    latitude: Any = Field(description=f"20–46 (°N): {NUMBER}")
    longitude: Any = Field(description=f"122–154 (°E): {NUMBER}")
    serial: str = Field(description="the meter's or PCS's serial number")
    public_key: str = Field(description="Ed25519 public key: base64 of the 32 raw bytes (44 "
                            "characters), hex (64 digits) or a PEM PUBLIC KEY block")
    channels: list[str] | str = Field(["generation"], description="a subset of "
                                      f"{', '.join(CHANNELS)} with generation; a list or text "
                                      "separated by ';'")
    tilt: Any = Field(None, description=f"0–90°, optional: {NUMBER}")
    azimuth: Any = Field(None, description=f"0–360° (180 = south), optional: {NUMBER}")
    certification_expires: str | None = Field(None, description="the meter's 検定 expiry, "
                                              "YYYY-MM-DD; empty for a device that is not a "
                                              "certified meter")


class DevicesImport(Strict):
    devices: list[dict[str, Any]]


class KeyRotate(Strict):
    public_key: str = Field(description="the new Ed25519 public key (base64, hex or PEM)")


class KeyRevoke(Strict):
    confirm: bool = Field(False, description="must be true: revoking is irreversible")
    reason: str = ""


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": model.model_json_schema()}}}}


@router.post("/devices", status_code=201, openapi_extra=_schema(DeviceCreate))
async def register_device(request: Request, registry: RegistryDep, actor: ActorDep,
                          key: IdempotencyKeyDep) -> Response:
    """Register a device for a project's activity (the site) with its first public key.
    Every field is checked and every problem refused at once (the problem's ``errors``)."""
    body = parse_body(DeviceCreate, await exact_json(request))
    data = body.model_dump()
    if isinstance(data["channels"], list):
        data["channels"] = tuple(data["channels"])
    return await send(request, registry, c.RegisterDevice(**data), actor, key, 201)


@router.post("/devices/import", status_code=201, openapi_extra={"requestBody": {
    "required": True, "content": {
        "text/csv": {"schema": {"type": "string", "description":
                                f"{HEADER}; UTF-8 (with or without BOM) or Shift_JIS; "
                                "channels separated by ';'"}},
        "application/json": {"schema": DevicesImport.model_json_schema()}}}})
async def import_devices(request: Request, registry: RegistryDep, actor: ActorDep,
                         key: IdempotencyKeyDep,
                         encoding: Annotated[str, Query(description="auto, utf-8 or cp932")]
                         = "auto") -> Response:
    """Register many devices in one transaction, all or none: the bulk CSV (``text/csv``)
    or ``{"devices": [...]}``. Every problem is listed in the problem's ``errors`` (line,
    column, value, what is valid) and nothing is registered."""
    if request.headers.get("content-type", "").startswith("application/json"):
        document = await exact_json(request)
        items = document.get("devices") if isinstance(document, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValidationError("devices must be a list of objects", field="devices")
        command = c.RegisterDevices(devices=tuple(items))
    else:
        command = register_devices_command(decode_csv(await request.body(), encoding))
    return await send(request, registry, command, actor, key, 201)


@router.get("/devices/{device_id}")
def device_detail(device_id: DeviceId, registry: RegistryDep, actor: ActorDep
                  ) -> dict[str, Any]:
    """The device, its site and every key with its status and times (UTC)."""
    with registry.uow(write=False) as uow:
        return dmrv_queries.device_detail(uow, actor, device_id)


@router.get("/projects/{number}/devices")
def project_devices(number: ProjectNumber, registry: RegistryDep, actor: ActorDep,
                    activity: Annotated[str | None, Query(max_length=32, description=
                                                          "only this activity's devices")]
                    = None) -> dict[str, Any]:
    """The project's devices (or one activity's), by activity and device id."""
    with registry.uow(write=False) as uow:
        return dmrv_queries.project_devices(uow, actor, number, activity)


@router.post("/devices/{device_id}/keys", status_code=201, openapi_extra=_schema(KeyRotate))
async def rotate_key(device_id: DeviceId, request: Request, registry: RegistryDep,
                     actor: ActorDep, key: IdempotencyKeyDep) -> Response:
    """Rotate: the new key becomes active; the active one is retired and its batches are
    still accepted for 7 days."""
    body = parse_body(KeyRotate, await exact_json(request))
    assert isinstance(body, KeyRotate)
    return await send(request, registry, c.RotateDeviceKey(
        device_id=device_id, public_key=body.public_key), actor, key, 201)


@router.post("/devices/{device_id}/keys/{key_id}/revoke", openapi_extra=_schema(KeyRevoke))
async def revoke_key(device_id: DeviceId, key_id: KeyId, request: Request,
                     registry: RegistryDep, actor: ActorDep, key: IdempotencyKeyDep
                     ) -> Response:
    """Revoke a key: every batch received from now on signed with it is refused, whatever
    time it claims. Irreversible: ``{"confirm": true}`` (else 428)."""
    body = parse_body(KeyRevoke, await exact_json(request))
    assert isinstance(body, KeyRevoke)
    return await send(request, registry, c.RevokeDeviceKey(
        device_id=device_id, key_id=key_id, confirm=body.confirm, reason=body.reason),
        actor, key)


# --- a site's readings and findings, a batch (docs/dmrv.md §8) -------------------------------

FromDay = Annotated[str | None, Query(
    alias="from", description="the first day shown (Japan), YYYY-MM-DD; without from and to: "
    "the 14 days to the last reading", json_schema_extra={"format": "date"},
    examples=["2026-05-01"])]
ToDay = Annotated[str | None, Query(
    alias="to", description="the last day shown (Japan, inclusive), YYYY-MM-DD; at most 92 "
    "days after from", json_schema_extra={"format": "date"}, examples=["2026-05-14"])]
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not the project's implementer, 審査機関, the secretariat or the "
                         "auditor"},
    404: {"description": "No such project or activity"},
    422: {"description": "A bad date (the problem's field is from or to), to before from, "
                         "or more than 92 days"}}
CSV_COLUMNS = ("site", "channel", "start_utc", "start_jst", "seconds", "register_wh",
               "energy_wh", "quality")


@router.get("/sites/{number}/{activity}", tags=["dmrv sites"], responses=_READ_ERRORS)
def site(number: ProjectNumber, activity: ActivityCode, registry: RegistryDep,
         actor: ActorDep, first: FromDay = None, last: ToDay = None) -> dict[str, Any]:
    """A site (a project's activity) over a period: its facts and devices; ``series``, per
    interval (UTC epoch s) the generation, export and import energy (Wh, a register delta
    where no energy was sent) and the clear-sky expectation (Wh, pvlib); the ``findings`` of
    the automatic checks (rule, Japanese and English names, severity, ``[start, end)``
    intervals, energy, evidence), most severe first; ``bands``, the intervals to mark per
    severity; ``totals`` (energy by channel, ``blocked_wh`` not credited, ``held_wh`` for
    the verifier); the recent ``batches``, ``refusals`` and ``held`` batches with their
    conflicts. Energies are integer Wh, times UTC."""
    with registry.uow(write=False) as uow:
        return sites.site_view(uow, registry.site_readings, actor, number, activity, first,
                               last, now=registry.clock())


@router.get("/sites/{number}/{activity}/readings.csv", tags=["dmrv sites"],
            responses=_READ_ERRORS | {200: {"content": {"text/csv": {}}, "description":
                                            "One row per channel and interval: "
                                            + ", ".join(CSV_COLUMNS)}})
def site_readings_csv(number: ProjectNumber, activity: ActivityCode, registry: RegistryDep,
                      actor: ActorDep, first: FromDay = None, last: ToDay = None) -> Response:
    """The site's stored readings over the period as they were sent, one row per channel
    and interval, with the start in UTC and in Japan time (UTF-8 with a BOM)."""
    with registry.uow(write=False) as uow:
        data = sites.site_readings(uow, registry.site_readings, actor, number, activity,
                                   first, last, now=registry.clock())
    rows = [{"site": data["site"], "channel": r["channel"], "start_utc": _utc(r["start"]),
             "start_jst": _jst(r["start"]), "seconds": r["seconds"],
             "register_wh": r["register_wh"], "energy_wh": r["energy_wh"],
             "quality": r["quality"]} for r in data["readings"]]
    window = data["window"]
    name = f"{data['site'].replace('/', '_')}_{window['from']}_{window['to']}_readings.csv"
    return csv_response(rows, name, CSV_COLUMNS)


Day = Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$", description="a JST day, YYYY-MM-DD",
                          examples=["2026-10-01"])]


@router.get("/proofs/{number}/{activity}/{day}", tags=["dmrv sites"], responses={
    403: {"description": "Not the project's implementer, 審査機関, the secretariat or the "
                         "auditor"},
    404: {"description": "No such project, no settled period containing the day, or no "
                         "readings of the site that day"},
    422: {"description": "Not a date"}})
def site_day_proof(number: ProjectNumber, activity: ActivityCode, day: Day,
                   registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """The inclusion proof of a site-day's readings (site = ``number/activity``) in the
    Merkle root of its settled monitoring period (RFC 6962 hashing; docs/dmrv.md §10):
    the readings, their site-day root, the site-day's ``index`` among the period's
    ``size`` site-days, the audit ``path`` and the ``root`` it leads to, rebuilt from the
    readings as stored now; ``published_root`` is the root the journal recorded at the
    settlement (``journal_seqs``). ``jcredit dmrv verify-proof FILE`` checks it offline."""
    from jcredit.service_layer.dmrv.settlement import site_day_proof as proof

    return proof(registry.uow, registry.energy(), actor, f"{number}/{activity}", day)


@router.get("/dossiers/{number}/{period}", tags=["dmrv sites"], responses={
    403: {"description": "Not the project's implementer, 審査機関, the secretariat or the "
                         "auditor"},
    404: {"description": "No such project or period"},
    409: {"description": "The period was not settled from the readings"}})
def verification_dossier(number: ProjectNumber, period: Annotated[int, Path(ge=1, le=10_000)],
                         registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """The verification dossier of a period settled from the readings (docs/dmrv.md §13):
    the settlement's ``summary`` (with its Merkle root and SHA-256); every automated check
    (``checks``: sites passed and failed, energy in Wh and t-CO2 it affected); the HOLD
    findings with their decisions (``holds``); the stratified random ``sample`` of sites
    for a person's checks, drawn from the settlement's SHA-256; and the verification
    ``items``, each the system's (with the check that proves it) or a person's."""
    from jcredit.service_layer.dmrv.dossier import dossier

    return dossier(registry.uow, actor, number, period)


@router.get("/batches/{digest}", tags=["dmrv sites"], responses={
    403: {"description": "Not a reader of the batch's site"},
    404: {"description": "No batch with this hash was received"}})
def batch(digest: Sha256, registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """A received batch: its receipt, status (``ACCEPTED`` or ``HELD``), device, sequence
    number, time range (UTC epoch s) and, if held, the conflicting readings (stored value
    beside sent value, up to 50). Readable by whoever reads the batch's site."""
    with registry.uow(write=False) as uow:
        return sites.batch_view(uow, actor, digest)


def _utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _jst(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, sites.JST).strftime("%Y-%m-%d %H:%M:%S")
