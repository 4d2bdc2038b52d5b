"""SQLAlchemy Core repository of the dMRV device registry (``uow.devices``; docs/dmrv.md §1).

What is read back is what was written: decimals as their text, dates as ISO dates, times
as UTC ISO timestamps, keys as the hex of their 32 raw bytes. ``get`` returns a plain
domain :class:`~jcredit.domain.dmrv.devices.Device` with its site, channels and keys, which
is what batch ingestion looks up for every batch (two indexed reads).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Select
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from jcredit.adapters.db import tables as t
from jcredit.domain.dmrv.devices import Device
from jcredit.domain.dmrv.devices import DeviceKey
from jcredit.domain.dmrv.devices import KeyStatus

_IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's limits


def _time(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _device_values(d: Device) -> dict[str, Any]:
    return {
        "device_id": d.device_id, "project_id": d.project_id, "activity_id": d.activity_id,
        "capacity_ac_kw": str(d.capacity_ac_kw), "capacity_dc_kw": str(d.capacity_dc_kw),
        "commissioned_on": d.commissioned_on.isoformat(), "latitude": str(d.latitude),
        "longitude": str(d.longitude),
        "tilt": str(d.tilt) if d.tilt is not None else None,
        "azimuth": str(d.azimuth) if d.azimuth is not None else None,
        "serial": d.serial,
        "certification_expires": (d.certification_expires.isoformat()
                                  if d.certification_expires else None),
        "channels": ";".join(d.channels),
        "registered_at": _time(d.registered_at) if d.registered_at else "",
        "registered_by": d.registered_by,
    }


def _key_values(device_id: str, k: DeviceKey) -> dict[str, Any]:
    return {"device_id": device_id, "key_id": k.key_id, "public_key": k.public_key.hex(),
            "status": k.status.value, "added_at": _time(k.added_at), "added_by": k.added_by,
            "retired_at": _time(k.retired_at) if k.retired_at else None,
            "revoked_at": _time(k.revoked_at) if k.revoked_at else None}


def _key(row: Any) -> DeviceKey:
    added = _parse_time(row.added_at)
    assert added is not None
    return DeviceKey(key_id=row.key_id, public_key=bytes.fromhex(row.public_key),
                     status=KeyStatus(row.status), added_at=added,
                     retired_at=_parse_time(row.retired_at),
                     revoked_at=_parse_time(row.revoked_at), added_by=row.added_by)


def _device(row: Any, keys: Sequence[DeviceKey]) -> Device:
    commissioned = date.fromisoformat(row.commissioned_on)
    return Device(
        device_id=row.device_id, project_number=row.number, activity_code=row.code,
        capacity_ac_kw=Decimal(row.capacity_ac_kw), capacity_dc_kw=Decimal(row.capacity_dc_kw),
        commissioned_on=commissioned, latitude=Decimal(row.latitude),
        longitude=Decimal(row.longitude), serial=row.serial,
        channels=tuple(c for c in row.channels.split(";") if c),
        tilt=_decimal(row.tilt), azimuth=_decimal(row.azimuth),
        certification_expires=(date.fromisoformat(row.certification_expires)
                               if row.certification_expires else None),
        keys=tuple(keys), registered_at=_parse_time(row.registered_at),
        registered_by=row.registered_by, project_id=row.project_id,
        activity_id=row.activity_id)


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i:i + _IN_CHUNK] for i in range(0, len(items), _IN_CHUNK)]


class SqlDeviceRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    @staticmethod
    def _devices() -> Select[Any]:
        d = t.dmrv_devices
        return (select(d, t.projects.c.number, t.activities.c.code)
                .join(t.projects, t.projects.c.id == d.c.project_id)
                .join(t.activities, t.activities.c.id == d.c.activity_id))

    def _with_keys(self, rows: Sequence[Any]) -> list[Device]:
        keys: dict[str, list[DeviceKey]] = defaultdict(list)
        ids = [r.device_id for r in rows]
        k = t.dmrv_device_keys
        for chunk in _chunks(ids):
            for row in self.c.execute(select(k).where(k.c.device_id.in_(chunk))
                                      .order_by(k.c.id)):
                keys[row.device_id].append(_key(row))
        return [_device(r, keys[r.device_id]) for r in rows]

    def add(self, device: Device) -> None:
        self.add_many([device])

    def add_many(self, devices: Sequence[Device]) -> None:
        """One INSERT of the devices and one of their keys (executemany)."""
        if not devices:
            return
        self.c.execute(insert(t.dmrv_devices), [_device_values(d) for d in devices])
        keys = [_key_values(d.device_id, k) for d in devices for k in d.keys]
        if keys:
            self.c.execute(insert(t.dmrv_device_keys), keys)

    def public_keys(self) -> dict[str, bytes]:
        k = t.dmrv_device_keys
        return {row.key_id: bytes.fromhex(row.public_key)
                for row in self.c.execute(select(k.c.key_id, k.c.public_key))}

    def get(self, device_id: str) -> Device | None:
        row = self.c.execute(self._devices()
                             .where(t.dmrv_devices.c.device_id == device_id)).first()
        return self._with_keys([row])[0] if row is not None else None

    def of_project(self, project_id: int) -> list[Device]:
        rows = self.c.execute(self._devices().where(t.dmrv_devices.c.project_id == project_id)
                              .order_by(t.activities.c.code, t.dmrv_devices.c.device_id)).all()
        return self._with_keys(rows)

    def of_activity(self, activity_id: int) -> list[Device]:
        rows = self.c.execute(self._devices()
                              .where(t.dmrv_devices.c.activity_id == activity_id)
                              .order_by(t.dmrv_devices.c.device_id)).all()
        return self._with_keys(rows)

    def registered(self, device_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        d = t.dmrv_devices
        for chunk in _chunks(list(device_ids)):
            rows = self.c.execute(select(d.c.device_id, t.projects.c.number, t.activities.c.code)
                                  .join(t.projects, t.projects.c.id == d.c.project_id)
                                  .join(t.activities, t.activities.c.id == d.c.activity_id)
                                  .where(d.c.device_id.in_(chunk)))
            found.update({r.device_id: f"{r.number}/{r.code}" for r in rows})
        return found

    def key_owners(self, public_keys: Sequence[bytes]) -> dict[bytes, str]:
        found: dict[bytes, str] = {}
        k = t.dmrv_device_keys
        for chunk in _chunks([key.hex() for key in public_keys]):
            rows = self.c.execute(select(k.c.public_key, k.c.device_id)
                                  .where(k.c.public_key.in_(chunk)))
            found.update({bytes.fromhex(r.public_key): r.device_id for r in rows})
        return found

    def add_key(self, device_id: str, key: DeviceKey) -> None:
        self.c.execute(insert(t.dmrv_device_keys).values(**_key_values(device_id, key)))

    def _set(self, device_id: str, key_id: str, **values: Any) -> None:
        k = t.dmrv_device_keys
        self.c.execute(update(k).where(k.c.device_id == device_id, k.c.key_id == key_id)
                       .values(**values))

    def retire_key(self, device_id: str, key_id: str, at: datetime) -> None:
        self._set(device_id, key_id, status=KeyStatus.RETIRED.value, retired_at=_time(at))

    def revoke_key(self, device_id: str, key_id: str, at: datetime) -> None:
        self._set(device_id, key_id, status=KeyStatus.REVOKED.value, revoked_at=_time(at))

    def remove_of_activity(self, activity_id: int) -> list[str]:
        d, k = t.dmrv_devices, t.dmrv_device_keys
        ids = list(self.c.execute(select(d.c.device_id).where(d.c.activity_id == activity_id)
                                  .order_by(d.c.device_id)).scalars())
        if ids:
            self.c.execute(delete(k).where(k.c.device_id.in_(ids)))
            self.c.execute(delete(d).where(d.c.device_id.in_(ids)))
        return ids
