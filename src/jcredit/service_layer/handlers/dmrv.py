"""dMRV device registry commands (docs/dmrv.md §1): register a device, register a file of
devices (all or none, every bad line reported), rotate a device's key, revoke a key.

Who: the project's implementer or programme operator (its organisation's users) and the
secretariat manage the devices of a project; the role is checked before anything is read,
the caller's part in the project as soon as the project is known, before any device is.
Every command is journaled and put on the project's timeline, so the audit trail shows who
registered, rotated or revoked what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from typing import TypeVar

from jcredit.domain.dmrv.devices import DEVICE_FIELDS
from jcredit.domain.dmrv.devices import RETIRED_KEY_GRACE
from jcredit.domain.dmrv.devices import Device
from jcredit.domain.dmrv.devices import DeviceFields
from jcredit.domain.dmrv.devices import DeviceKey
from jcredit.domain.dmrv.devices import KeyStatus
from jcredit.domain.dmrv.devices import key_id as key_id_of
from jcredit.domain.dmrv.devices import key_text
from jcredit.domain.dmrv.devices import new_device
from jcredit.domain.dmrv.devices import parse_device
from jcredit.domain.dmrv.devices import parse_device_id
from jcredit.domain.dmrv.devices import parse_key_id
from jcredit.domain.dmrv.devices import parse_public_key
from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.model import Activity
from jcredit.domain.projects.model import Project
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.handlers.projects import OWNER_ROLES
from jcredit.service_layer.handlers.projects import _clean_row
from jcredit.service_layer.handlers.projects import _Problems
from jcredit.service_layer.handlers.projects import project_by_number
from jcredit.service_layer.handlers.projects import record
from jcredit.service_layer.handlers.projects import require_owner
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.unit_of_work import ProjectEvent

T = TypeVar("T")
MANAGER_ROLES = (Role.ADMIN, *OWNER_ROLES)
# A withdrawn or terminated project has no activities that report any more.
CLOSED_STATES = (ProjectState.WITHDRAWN, ProjectState.TERMINATED)
# The bulk CSV's columns, in their order (docs/dmrv.md §1).
DEVICE_COLUMNS = ("project", "activity", *DEVICE_FIELDS)
MAX_CODES_LISTED = 20


# --- views ---------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="microseconds") if value else None


def key_view(key: DeviceKey) -> dict[str, Any]:
    return {"key_id": key.key_id, "public_key": key.public_key_b64, "status": key.status.value,
            "added_at": _iso(key.added_at), "added_by": key.added_by,
            "retired_at": _iso(key.retired_at), "revoked_at": _iso(key.revoked_at),
            "accepts_until": _iso(key.accepts_until)}


def device_view(device: Device) -> dict[str, Any]:
    """A device as the API, the journal and the pages show it (exact decimals as text)."""
    active = device.active_key
    return {
        "device_id": device.device_id, "site": device.site, "project": device.project_number,
        "activity": device.activity_code, "capacity_ac_kw": str(device.capacity_ac_kw),
        "capacity_dc_kw": str(device.capacity_dc_kw),
        "commissioned_on": device.commissioned_on.isoformat(),
        "latitude": str(device.latitude), "longitude": str(device.longitude),
        "tilt": str(device.tilt) if device.tilt is not None else None,
        "azimuth": str(device.azimuth) if device.azimuth is not None else None,
        "serial": device.serial,
        "certification_expires": (device.certification_expires.isoformat()
                                  if device.certification_expires else None),
        "channels": list(device.channels), "registered_at": _iso(device.registered_at),
        "registered_by": device.registered_by,
        "active_key_id": active.key_id if active else None,
        "keys": [key_view(k) for k in device.keys],
    }


# --- lookups ----------------------------------------------------------------------------------


def check_open(project: Project) -> None:
    """Devices report for the activities of a project that is being drafted, validated or
    is registered; a withdrawn or terminated project's activities report no more."""
    if project.state in CLOSED_STATES:
        raise ConflictError(f"project {project.number} is {project.state}: its activities no "
                            "longer report, so no device is registered or re-keyed there",
                            field="project")


def activity_of(uow: AbstractUnitOfWork, project: Project, code: object,
                cache: dict[int, dict[str, Activity]] | None = None) -> Activity:
    """The project's activity ``code`` (the site), or a refusal that lists the codes."""
    text = str(code if code is not None else "").strip().upper()
    if not text:
        raise ValidationError("activity is required: the code of one of the project's "
                              "activities (the site the device reports for)", field="activity")
    cache = {} if cache is None else cache
    if project.id not in cache:
        cache[project.id] = {a.code: a for a in uow.projects.activities(project.id)}
    activities = cache[project.id]
    if text not in activities:
        codes = sorted(activities)
        raise NotFoundError(
            f"project {project.number} has no activity {text} (a removed activity takes no "
            "devices; add the activity first)", field="activity",
            valid=codes if len(codes) <= MAX_CODES_LISTED else None)
    return activities[text]


def device_by_id(uow: AbstractUnitOfWork, value: object) -> Device:
    device_id = parse_device_id(value)
    device = uow.devices.get(device_id)
    if device is None:
        raise NotFoundError(f"no device {device_id} is registered", field="device_id")
    return device


def managed_device(ctx: CommandContext, value: object, *, action: str) -> tuple[Device, Project]:
    """The device and its project, if the caller manages the project's devices."""
    require_role(ctx.actor, *MANAGER_ROLES, action=action)
    device = device_by_id(ctx.uow, value)
    project = ctx.uow.projects.get(device.project_id)
    assert project is not None
    require_owner(ctx.actor, project)
    return device, project


def _values(cmd: c.RegisterDevice) -> dict[str, object]:
    return {name: getattr(cmd, name) for name in DEVICE_FIELDS}


@dataclass
class _Draft:
    index: int
    project: Project
    activity: Activity
    fields: DeviceFields


def journal_view(device: Device) -> dict[str, Any]:
    """What the journal keeps of a registration: the device's fields and its first key."""
    view = device_view(device)
    del view["keys"], view["active_key_id"]
    first = device.keys[0]
    return view | {"key_id": first.key_id, "public_key": first.public_key_b64}


def _conflicts(uow: AbstractUnitOfWork, drafts: list[_Draft]
               ) -> list[tuple[int, str, str, ConflictError]]:
    """The drafts whose device id or public key the registry already has:
    (index, column, value, the conflict)."""
    registered = uow.devices.registered([d.fields.device_id for d in drafts])
    owners = uow.devices.key_owners([d.fields.public_key for d in drafts])
    found = []
    for d in drafts:
        site = registered.get(d.fields.device_id)
        if site is not None:
            found.append((d.index, "device_id", d.fields.device_id, ConflictError(
                f"device {d.fields.device_id} is already registered (site {site}); a device "
                "id is unique in the registry", field="device_id")))
        owner = owners.get(d.fields.public_key)
        if owner is not None:
            found.append((d.index, "public_key", key_text(d.fields.public_key), ConflictError(
                f"this public key (key id {key_id_of(d.fields.public_key)}) is already a key "
                f"of device {owner}: one key, one device", field="public_key")))
    return found


def _register(ctx: CommandContext, drafts: list[_Draft]) -> list[Device]:
    devices = [new_device(d.fields, project_number=d.project.number,
                          activity_code=d.activity.code, project_id=d.project.id,
                          activity_id=d.activity.id, at=ctx.now, by=ctx.actor.key)
               for d in drafts]
    ctx.uow.devices.add_many(devices)
    return devices


# --- commands ---------------------------------------------------------------------------------


def register_device(cmd: c.RegisterDevice, ctx: CommandContext) -> dict[str, Any]:
    """One device, every field checked and every problem refused at once."""
    require_role(ctx.actor, *MANAGER_ROLES, action="registering a device")
    project = project_by_number(ctx.uow, cmd.project)
    require_owner(ctx.actor, project)
    check_open(project)
    checks = FieldChecks()
    activity = checks(lambda: activity_of(ctx.uow, project, cmd.activity))
    fields = parse_device(_values(cmd), lambda _name, parse: checks(parse))
    checks.done()
    assert activity is not None and fields is not None
    draft = _Draft(0, project, activity, fields)
    for _, _, _, conflict in _conflicts(ctx.uow, [draft])[:1]:
        raise conflict
    device = _register(ctx, [draft])[0]
    seq = record(ctx, cmd, project, "register_device", journal_view(device),
                 comment=f"{device.device_id} {device.site}")
    return device_view(device) | {"journal_seq": seq}


def register_devices(cmd: c.RegisterDevices, ctx: CommandContext) -> dict[str, Any]:
    """A file of devices in one transaction: every line checked before anything is written,
    every problem reported (line, column, value, what is valid), all lines or none."""
    require_role(ctx.actor, *MANAGER_ROLES, action="registering devices")
    if not cmd.devices:
        raise ValidationError("devices: give at least one device", field="devices")
    problems = _Problems(cmd.lines, noun="devices")
    projects: dict[str, Project | None] = {}
    activities: dict[int, dict[str, Activity]] = {}
    drafts: list[_Draft] = []
    seen_ids: dict[str, int] = {}
    seen_keys: dict[bytes, int] = {}
    for index, raw in enumerate(cmd.devices):
        before = len(problems.items)
        row, bad = _clean_row(problems, index, raw)
        for name in sorted(set(row) - set(DEVICE_COLUMNS)):
            problems.add(index, name, row[name], ValidationError(
                f"unknown column {name!r}", valid=DEVICE_COLUMNS))
        project = None if "project" in bad else _row_project(ctx, problems, index, row,
                                                             projects)
        activity = None
        if project is not None and "activity" not in bad:
            activity = problems.check(index, "activity", row.get("activity"), partial(
                activity_of, ctx.uow, project, row.get("activity"), activities))
        fields = parse_device(row, partial(_cell, problems, index, row, bad))
        if fields is not None:
            _within_file(problems, index, fields, seen_ids, seen_keys)
        if len(problems.items) == before and project and activity and fields:
            drafts.append(_Draft(index, project, activity, fields))
    for index, column, value, conflict in _conflicts(ctx.uow, drafts):
        problems.add(index, column, value, conflict)
    problems.raise_if_any(len(cmd.devices))
    devices = _register(ctx, drafts)
    last: dict[int, tuple[Project, list[str], int]] = {}
    for draft, device in zip(drafts, devices, strict=True):
        entry = ctx.record(c.RegisterDevice.NAME, journal_view(device) | {
            "project": device.project_number, "action": "register_device"})
        _, ids, _ = last.get(draft.project.id, (draft.project, [], 0))
        last[draft.project.id] = (draft.project, [*ids, device.device_id], entry.seq)
    ctx.uow.projects.add_events([ProjectEvent(
        project_id=project.id, period_number=None, action="register_devices", from_state=None,
        to_state=None, actor=ctx.actor.key, at=ctx.now_iso,
        comment=f"{len(ids)}: {ids[0]} … {ids[-1]}" if len(ids) > 1 else ids[0],
        journal_seq=seq) for project, ids, seq in last.values()])
    return {"registered": len(devices), "devices": [d.device_id for d in devices],
            "projects": sorted({d.project_number for d in devices})}


def _cell(problems: _Problems, index: int, row: dict[str, object], bad: set[str],
          name: str, parse: Callable[[], T]) -> T | None:
    """One cell parsed, its problem added to the line's; a cell refused already (its text)
    is not parsed again."""
    return None if name in bad else problems.check(index, name, row.get(name), parse)


def _row_project(ctx: CommandContext, problems: _Problems, index: int, row: dict[str, object],
                 projects: dict[str, Project | None]) -> Project | None:
    """The line's project; the caller must manage it (else the whole file is refused at
    once, before any device is read), and it must still have reporting activities."""
    raw = row.get("project")
    number = str(raw if raw is not None else "").strip().upper()
    if not number:
        problems.add(index, "project", "", ValidationError(
            "project is required: the project's number, e.g. JCP-000001"))
        return None
    if number not in projects:
        try:
            found: Project | None = project_by_number(ctx.uow, number)
        except NotFoundError:
            found = None
        if found is not None:
            require_owner(ctx.actor, found)  # 403 for the whole file: nothing is written
        projects[number] = found
    project = projects[number]
    if project is None:
        problems.add(index, "project", raw, NotFoundError(f"no project {number}"))
        return None
    if project.state in CLOSED_STATES:
        problems.add(index, "project", raw, ConflictError(
            f"project {project.number} is {project.state}: its activities no longer report"))
        return None
    return project


def _within_file(problems: _Problems, index: int, fields: DeviceFields,
                 seen_ids: dict[str, int], seen_keys: dict[bytes, int]) -> None:
    """The same device id, or the same key, on two lines of one file."""
    def where(other: int) -> str:
        return (f"line {problems.lines[other]}" if other < len(problems.lines)
                else f"devices[{other}]")

    if fields.device_id in seen_ids:
        problems.add(index, "device_id", fields.device_id, ConflictError(
            f"device {fields.device_id} is already on {where(seen_ids[fields.device_id])}"))
    else:
        seen_ids[fields.device_id] = index
    if fields.public_key in seen_keys:
        problems.add(index, "public_key", key_text(fields.public_key), ConflictError(
            f"the same public key is already on {where(seen_keys[fields.public_key])}: one "
            "key, one device"))
    else:
        seen_keys[fields.public_key] = index


def rotate_device_key(cmd: c.RotateDeviceKey, ctx: CommandContext) -> dict[str, Any]:
    """A new active key; the active one is retired and still accepted for 7 days."""
    device, project = managed_device(ctx, cmd.device_id, action="rotating a device key")
    check_open(project)
    raw = parse_public_key(cmd.public_key)
    owner = ctx.uow.devices.key_owners([raw]).get(raw)
    if owner is not None:
        again = " (a retired or revoked key is never used again)" \
            if owner == device.device_id else ": one key, one device"
        raise ConflictError(f"this public key (key id {key_id_of(raw)}) is already a key of "
                            f"device {owner}{again}", field="public_key")
    retired = device.active_key
    if retired is not None:
        ctx.uow.devices.retire_key(device.device_id, retired.key_id, ctx.now)
    new = DeviceKey(key_id=key_id_of(raw), public_key=raw, status=KeyStatus.ACTIVE,
                    added_at=ctx.now, added_by=ctx.actor.key)
    ctx.uow.devices.add_key(device.device_id, new)
    view = {"device_id": device.device_id, "site": device.site, "key_id": new.key_id,
            "public_key": new.public_key_b64, "retired_key_id": retired.key_id if retired
            else None, "retired_key_accepted_until": _iso(ctx.now + RETIRED_KEY_GRACE)
            if retired else None}
    seq = record(ctx, cmd, project, "rotate_device_key", view,
                 comment=f"{device.device_id} {retired.key_id if retired else '-'} → "
                 f"{new.key_id}")
    return view | {"journal_seq": seq}


def revoke_device_key(cmd: c.RevokeDeviceKey, ctx: CommandContext) -> dict[str, Any]:
    """Refuse every batch received from now on that is signed with the key (irreversible)."""
    device, project = managed_device(ctx, cmd.device_id, action="revoking a device key")
    wanted = parse_key_id(cmd.key_id)
    key = device.key(wanted)
    if key is None:
        raise NotFoundError(f"device {device.device_id} has no key {wanted}", field="key_id",
                            valid=[k.key_id for k in device.keys])
    if key.status is KeyStatus.REVOKED:
        raise ConflictError(f"key {wanted} of device {device.device_id} was already revoked "
                            f"at {_iso(key.revoked_at)}", field="key_id")
    if not cmd.confirm:
        raise ConfirmationRequiredError(
            f"revoking key {wanted} of device {device.device_id} is irreversible: every batch "
            "received from now on that is signed with it will be refused; confirm to proceed",
            field="confirm")
    ctx.uow.devices.revoke_key(device.device_id, wanted, ctx.now)
    reason = " ".join(str(cmd.reason).split())
    remaining = [k.key_id for k in device.keys if k.key_id != wanted
                 and k.status is KeyStatus.ACTIVE]
    view = {"device_id": device.device_id, "site": device.site, "key_id": wanted,
            "key_status": key.status.value, "revoked_at": _iso(ctx.now), "reason": reason,
            "active_key_id": remaining[0] if remaining else None}
    seq = record(ctx, cmd, project, "revoke_device_key", view,
                 comment=f"{device.device_id} {wanted} {reason}".strip())
    return view | {"journal_seq": seq}


def actor_manages(actor: Actor, project: Project) -> bool:
    """Whether ``actor`` registers and manages the project's devices."""
    if actor.role is Role.ADMIN:
        return True
    return actor.role in OWNER_ROLES and actor.organisation_id == project.implementer_org_id
