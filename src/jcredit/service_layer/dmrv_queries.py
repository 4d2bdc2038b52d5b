"""Read models of the dMRV device registry: a device with its keys, a project's devices.

Who reads: the project's implementer or operator (its organisation's users) and the
secretariat, who also manage; the project's assigned 審査機関, who only reads. Nobody else:
the role is checked before anything is read, the caller's part once the project is known.
"""

from __future__ import annotations

from typing import Any

from jcredit.domain.dmrv.devices import Device
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.projects.model import Project
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.handlers.dmrv import MANAGER_ROLES
from jcredit.service_layer.handlers.dmrv import activity_of
from jcredit.service_layer.handlers.dmrv import actor_manages
from jcredit.service_layer.handlers.dmrv import device_by_id
from jcredit.service_layer.handlers.dmrv import device_view
from jcredit.service_layer.handlers.projects import project_by_number
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork

READER_ROLES = (*MANAGER_ROLES, Role.VERIFIER)


def can_read(actor: Actor, project: Project) -> bool:
    if actor_manages(actor, project):
        return True
    return (actor.role is Role.VERIFIER and project.verifier_org_id is not None
            and actor.organisation_id == project.verifier_org_id)


def _require_read(actor: Actor, project: Project) -> None:
    if not can_read(actor, project):
        raise PermissionDeniedError(
            f"the devices of project {project.number} are for its implementer, its 審査機関 "
            "and the secretariat")


def device_summary(device: Device) -> dict[str, Any]:
    """A device as a list shows it."""
    active = device.active_key
    return {"device_id": device.device_id, "site": device.site,
            "activity": device.activity_code, "capacity_ac_kw": str(device.capacity_ac_kw),
            "capacity_dc_kw": str(device.capacity_dc_kw), "serial": device.serial,
            "certification_expires": (device.certification_expires.isoformat()
                                      if device.certification_expires else None),
            "channels": list(device.channels),
            "active_key_id": active.key_id if active else None,
            "keys": len(device.keys)}


def device_detail(uow: AbstractUnitOfWork, actor: Actor, device_id: str) -> dict[str, Any]:
    """The device, its keys (every one, with its status and times) and what the reader may
    do with it."""
    require_role(actor, *READER_ROLES, action="reading a device")
    device = device_by_id(uow, device_id)
    project = uow.projects.get(device.project_id)
    assert project is not None
    _require_read(actor, project)
    return device_view(device) | {"project_name": project.name,
                                  "project_state": project.state.value,
                                  "can_manage": actor_manages(actor, project)}


def project_devices(uow: AbstractUnitOfWork, actor: Actor, number: str,
                    activity: str | None = None) -> dict[str, Any]:
    """The devices of a project (or of one of its activities), by activity and id."""
    require_role(actor, *READER_ROLES, action="reading devices")
    project = project_by_number(uow, number)
    _require_read(actor, project)
    if activity:
        devices = uow.devices.of_activity(activity_of(uow, project, activity).id)
    else:
        devices = uow.devices.of_project(project.id)
    return {"project": project.number, "project_state": project.state.value,
            "can_manage": actor_manages(actor, project),
            "devices": [device_summary(d) for d in devices]}


def devices_if_readable(uow: AbstractUnitOfWork, actor: Actor, number: str
                        ) -> dict[str, Any] | None:
    """The project page's 機器 section: the devices, or None for a reader who sees none."""
    project = uow.projects.by_number(number)
    if project is None or actor.role not in READER_ROLES or not can_read(actor, project):
        return None
    return project_devices(uow, actor, number)
