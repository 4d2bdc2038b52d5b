"""The device registry through the message bus and the repository, on SQLite and
PostgreSQL: register one device or a file (all or none, every line reported), rotate and
revoke keys, who may do what, and what ``uow.devices.get`` gives batch ingestion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from jcredit.adapters.dmrv.signing import DeviceSigner
from jcredit.bootstrap import Registry
from jcredit.domain.dmrv.devices import Device
from jcredit.domain.dmrv.devices import KeyStatus
from jcredit.domain.dmrv.devices import key_accepts
from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.service_layer import commands as c
from jcredit.service_layer import dmrv_queries
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Role
from tests.conftest import Clock
from tests.integration.test_projects import World
from tests.integration.test_projects import create_programme

OTHER_ORG = "9060006099006"  # a valid check digit; neither of World's


def device(project: str, i: int, signer: DeviceSigner | None = None,
           **changes: Any) -> dict[str, Any]:
    signer = signer or DeviceSigner.from_seed(f"test/{project}/{i}".encode())
    return {"project": project, "activity": f"HH-{i:03d}", "device_id": f"PV-{i:04d}",
            "capacity_ac_kw": "4.5", "capacity_dc_kw": "5.25", "commissioned_on": "2025-06-01",
            "latitude": "35.4233", "longitude": "136.7606", "tilt": "30", "azimuth": "180",
            "serial": f"SN-{i:06d}", "certification_expires": "2032-03-31",
            "channels": "generation;export;import", "public_key": signer.public_b64} | changes


def get(w: World, device_id: str) -> Device | None:
    with w.registry.uow(write=False) as uow:
        return uow.devices.get(device_id)


def count(w: World, project: str) -> tuple[int, int]:
    """(devices of the project, journal entries)."""
    with w.registry.uow(write=False) as uow:
        found = uow.projects.by_number(project)
        assert found is not None
        return len(uow.devices.of_project(found.id)), w.journal_length()


def test_a_device_is_registered_and_read_back_whole(registry: Registry, clock: Clock) -> None:
    w = World(registry)
    project = create_programme(w)
    signer = DeviceSigner.from_seed(b"PV-0001")
    view = w.run(w.operator, c.RegisterDevice(**device(project, 1, signer)))
    assert view["site"] == f"{project}/HH-001" and view["active_key_id"] == signer.key_id
    assert view["capacity_dc_kw"] == "5.25" and view["channels"] == ["generation", "export",
                                                                        "import"]
    found = get(w, "PV-0001")
    assert found is not None
    assert (found.project_number, found.activity_code, found.site) == (
        project, "HH-001", f"{project}/HH-001")
    assert found.capacity_ac_kw == Decimal("4.5") and found.capacity_dc_kw == Decimal("5.25")
    assert (found.latitude, found.longitude) == (Decimal("35.4233"), Decimal("136.7606"))
    assert (found.tilt, found.azimuth) == (Decimal(30), Decimal(180))
    assert found.serial == "SN-000001" and found.channels == ("generation", "export", "import")
    assert found.commissioned_on.isoformat() == "2025-06-01"
    assert found.certification_expires is not None
    [first] = found.keys
    assert first.public_key == signer.public_raw and first.key_id == signer.key_id
    assert first.status is KeyStatus.ACTIVE and first.added_at == clock.now
    assert first.added_by == "user:operator" and found.registered_by == "user:operator"
    assert found.site_facts().programme == project
    with w.registry.uow(write=False) as uow:
        entry = uow.journal.get(view["journal_seq"])
        assert entry is not None and entry.command == "dmrv.register_device"
        assert entry.payload["device_id"] == "PV-0001" and entry.actor == "user:operator"
        assert entry.payload["public_key"] == signer.public_b64
        project_row = uow.projects.by_number(project)
        assert project_row is not None
        events = uow.projects.events(project_row.id)
        assert events[-1].action == "register_device" and "PV-0001" in events[-1].comment
        assert queries.check_ledger(uow).ok


def test_a_form_gets_every_problem_at_once_and_nothing_is_written(registry: Registry) -> None:
    w = World(registry)
    project = create_programme(w)
    before = count(w, project)
    with pytest.raises(ValidationError) as raised:
        w.run(w.operator, c.RegisterDevice(**device(
            project, 1, activity="HH-999", capacity_ac_kw="0", latitude="50",
            public_key="not a key", channels="export")))
    assert [e["field"] for e in raised.value.errors or ()] == [
        "activity", "capacity_ac_kw", "latitude", "channels", "public_key"]
    assert count(w, project) == before


def test_a_file_is_registered_whole_or_not_at_all_with_every_line_reported(
        registry: Registry) -> None:
    w = World(registry)
    project = create_programme(w)
    w.run(w.operator, c.RegisterDevice(**device(project, 1)))
    taken = DeviceSigner.from_seed(b"shared")
    rows = (device(project, 2, taken),
            device(project, 3, latitude="99"),  # line 3
            device(project, 4, device_id="PV-0001"),  # already registered
            device(project, 5, device_id="PV-0002"),  # twice in the file
            device(project, 6, taken),  # the key of line 2
            device(project, 7, activity="HH-404"),
            device(project, 8, colour="red"),
            device("JCP-999999", 9))
    before = count(w, project)
    with pytest.raises(ValidationError) as raised:
        w.run(w.operator, c.RegisterDevices(devices=rows, lines=tuple(range(2, 10))))
    found = [(e["line"], e["column"]) for e in raised.value.errors or ()]
    assert found == [(3, "latitude"), (5, "device_id"), (6, "public_key"), (7, "activity"),
                     (8, "colour"), (9, "project"), (4, "device_id")]
    assert "already registered" in str(raised.value.errors[-1]["message"])  # type: ignore[index]
    assert count(w, project) == before
    good = tuple(device(project, i) for i in range(2, 11))
    done = w.run(w.operator, c.RegisterDevices(devices=good, lines=tuple(range(2, 11))))
    assert done["registered"] == 9 and done["projects"] == [project]
    assert count(w, project) == (before[0] + 9, before[1] + 9)  # one journal entry a device
    with w.registry.uow(write=False) as uow:
        project_row = uow.projects.by_number(project)
        assert project_row is not None
        assert uow.devices.registered(["PV-0005", "PV-9999"]) == {"PV-0005": f"{project}/HH-005"}
        assert [e.action for e in uow.projects.events(project_row.id)][-1] == "register_devices"
        assert queries.check_ledger(uow).ok


def test_only_conflicts_make_a_conflict(registry: Registry) -> None:
    w = World(registry)
    project = create_programme(w)
    w.run(w.operator, c.RegisterDevice(**device(project, 1)))
    with pytest.raises(ConflictError) as raised:
        w.run(w.operator, c.RegisterDevices(devices=(device(project, 1),), lines=(2,)))
    assert [(e["line"], e["column"]) for e in raised.value.errors or ()] == [
        (2, "device_id"), (2, "public_key")]
    with pytest.raises(ConflictError) as single:
        w.run(w.operator, c.RegisterDevice(**device(project, 2, device_id="PV-0001")))
    assert single.value.field == "device_id"
    with pytest.raises(ConflictError) as same_key:
        w.run(w.operator, c.RegisterDevice(**device(
            project, 2, DeviceSigner.from_seed(f"test/{project}/1".encode()))))
    assert same_key.value.field == "public_key" and "PV-0001" in same_key.value.message


def test_rotation_retires_the_old_key_for_seven_days_and_revocation_ends_it(
        registry: Registry, clock: Clock) -> None:
    w = World(registry)
    project = create_programme(w)
    first, second, third = (DeviceSigner.from_seed(f"key{i}".encode()) for i in range(3))
    w.run(w.operator, c.RegisterDevice(**device(project, 1, first)))
    rotated_at = clock.now = clock.now + timedelta(days=40)
    rotated = w.run(w.operator, c.RotateDeviceKey(device_id="PV-0001",
                                                 public_key=second.public_raw.hex()))
    assert rotated["key_id"] == second.key_id and rotated["retired_key_id"] == first.key_id
    found = get(w, "PV-0001")
    assert found is not None and found.active_key is not None
    assert found.active_key.key_id == second.key_id
    old = found.key(first.key_id)
    assert old is not None and old.status is KeyStatus.RETIRED and old.retired_at == rotated_at
    assert key_accepts(old, rotated_at + timedelta(days=6))
    assert not key_accepts(old, rotated_at + timedelta(days=7))
    # a key used once is never used again, on this device or another
    for key in (first, second):
        with pytest.raises(ConflictError):
            w.run(w.operator, c.RotateDeviceKey(device_id="PV-0001", public_key=key.public_b64))
    with pytest.raises(ConflictError):
        w.run(w.operator, c.RegisterDevice(**device(project, 2, second)))
    # revocation: irreversible, so it must be confirmed; then nothing later is accepted
    before = w.journal_length()
    with pytest.raises(ConfirmationRequiredError):
        w.run(w.operator, c.RevokeDeviceKey(device_id="PV-0001", key_id=second.key_id))
    assert w.journal_length() == before
    revoked_at = clock.now = clock.now + timedelta(hours=1)
    done = w.run(w.operator, c.RevokeDeviceKey(device_id="PV-0001", key_id=second.key_id,
                                               confirm=True, reason="ゲートウェイ紛失"))
    assert done["active_key_id"] is None and done["key_status"] == "ACTIVE"
    found = get(w, "PV-0001")
    assert found is not None and found.active_key is None
    key = found.key(second.key_id)
    assert key is not None and key.status is KeyStatus.REVOKED and key.revoked_at == revoked_at
    assert key_accepts(key, revoked_at - timedelta(seconds=1))
    assert not key_accepts(key, revoked_at)
    with pytest.raises(ConflictError):
        w.run(w.operator, c.RevokeDeviceKey(device_id="PV-0001", key_id=second.key_id,
                                            confirm=True))
    with pytest.raises(NotFoundError) as unknown:
        w.run(w.operator, c.RevokeDeviceKey(device_id="PV-0001", key_id="0" * 16,
                                            confirm=True))
    assert set(unknown.value.valid or ()) == {first.key_id, second.key_id}
    # a new key brings the device back
    w.run(w.operator, c.RotateDeviceKey(device_id="PV-0001", public_key=third.public_b64))
    found = get(w, "PV-0001")
    assert found is not None and found.active_key is not None
    assert [k.status for k in found.keys] == [KeyStatus.RETIRED, KeyStatus.REVOKED,
                                              KeyStatus.ACTIVE]
    with w.registry.uow(write=False) as uow:
        entries = list(uow.journal.iterate())[-4:]  # refused commands left no entry
        assert [e.command for e in entries] == [
            "dmrv.register_device", "dmrv.rotate_device_key", "dmrv.revoke_device_key",
            "dmrv.rotate_device_key"]
        assert entries[2].payload["reason"] == "ゲートウェイ紛失"


def test_only_the_implementer_and_the_secretariat_manage_and_the_verifier_reads(
        registry: Registry) -> None:
    w = World(registry)
    project = create_programme(w)
    w.run(w.operator, c.RegisterDevice(**device(project, 1)))
    w.admin(c.CreateOrganisation(name="株式会社ビー", corporate_number=OTHER_ORG))
    stranger = w.user("stranger", Role.IMPLEMENTER, OTHER_ORG)
    before = (count(w, project), get(w, "PV-0001"))
    commands: list[c.Command] = [
        c.RegisterDevice(**device(project, 2)),
        c.RegisterDevices(devices=(device(project, 3),), lines=(2,)),
        c.RotateDeviceKey(device_id="PV-0001", public_key=DeviceSigner.generate().public_b64),
        c.RevokeDeviceKey(device_id="PV-0001",
                          key_id=DeviceSigner.from_seed(f"test/{project}/1".encode()).key_id,
                          confirm=True)]
    for actor in (stranger, w.verifier, w.committee):
        for command in commands:
            with pytest.raises(PermissionDeniedError):
                w.run(actor, command)
    assert (count(w, project), get(w, "PV-0001")) == before
    with w.registry.uow(write=False) as uow:
        for actor in (stranger, w.committee):
            with pytest.raises(PermissionDeniedError):
                dmrv_queries.device_detail(uow, actor, "PV-0001")
            with pytest.raises(PermissionDeniedError):
                dmrv_queries.project_devices(uow, actor, project)
            assert dmrv_queries.devices_if_readable(uow, actor, project) is None
        seen = dmrv_queries.device_detail(uow, w.verifier, "PV-0001")
        assert seen["device_id"] == "PV-0001" and seen["can_manage"] is False
        listed = dmrv_queries.project_devices(uow, w.verifier, project)
        assert [d["device_id"] for d in listed["devices"]] == ["PV-0001"]
        assert dmrv_queries.device_detail(uow, w.operator, "PV-0001")["can_manage"] is True
        assert dmrv_queries.device_detail(uow, w.secretariat, "PV-0001")["can_manage"] is True
    w.run(w.secretariat, c.RegisterDevice(**device(project, 2)))  # the secretariat manages
    assert count(w, project)[0] == 2


def test_a_withdrawn_project_takes_no_device_and_a_removed_activity_takes_its_devices(
        registry: Registry) -> None:
    w = World(registry)
    project = create_programme(w)  # a draft
    w.run(w.operator, c.RegisterDevice(**device(project, 1)))
    w.run(w.operator, c.RegisterDevice(**device(project, 2)))
    removed = w.run(w.operator, c.RemoveActivity(project=project, code="HH-001",
                                                 reason="住所の誤り"))
    assert removed["devices_removed"] == ["PV-0001"]
    assert get(w, "PV-0001") is None and get(w, "PV-0002") is not None
    with pytest.raises(NotFoundError) as gone:  # the activity is gone: said at its field
        w.run(w.operator, c.RegisterDevice(**device(project, 1)))
    assert gone.value.field == "activity" and "HH-001" in gone.value.message
    w.run(w.operator, c.ProjectTransition(project=project, action="withdraw"))
    with pytest.raises(ConflictError) as closed:
        w.run(w.operator, c.RegisterDevice(**device(project, 3)))
    assert closed.value.field == "project" and "WITHDRAWN" in closed.value.message
    with pytest.raises(ValidationError) as closed_file:
        w.run(w.operator, c.RegisterDevices(devices=(device(project, 3), device(
            project, 4, latitude="1")), lines=(2, 3)))
    assert [(e["line"], e["column"]) for e in closed_file.value.errors or ()] == [
        (2, "project"), (3, "project"), (3, "latitude")]
    with pytest.raises(ConflictError):
        w.run(w.operator, c.RotateDeviceKey(device_id="PV-0002",
                                            public_key=DeviceSigner.generate().public_b64))


def test_the_database_holds_one_key_to_one_device(registry: Registry) -> None:
    """Defence in depth: the unique index refuses what the handler would have refused."""
    w = World(registry)
    project = create_programme(w)
    w.run(w.operator, c.RegisterDevice(**device(project, 1)))
    found = get(w, "PV-0001")
    assert found is not None
    with pytest.raises(IntegrityError), w.registry.uow(write=True) as uow:
        uow.devices.add_key("PV-0001", found.keys[0])
        uow.commit()


def test_ingestion_places_batches_with_the_registry_and_honours_rotation_and_revocation(
        sqlite_registry: Registry, clock: Clock) -> None:
    """The device registry behind the real ingestion pipeline (``uow.devices.get``): a
    registered device's batch is accepted for its site; after a rotation the retired key is
    accepted for 7 days, not after; a revoked key is refused from the revocation on."""
    from jcredit.service_layer.dmrv.ingest import Incoming
    from tests.integration.test_dmrv_ingest import Meter
    from tests.integration.test_dmrv_ingest import day

    w = World(sqlite_registry)
    project = create_programme(w)
    meter = Meter("PV-0001")
    w.run(w.operator, c.RegisterDevice(**device(project, 1, meter.signer,
                                                channels="generation")))
    ingest = sqlite_registry.ingestor.ingest
    [first] = ingest([Incoming(meter.batch(day("2026-11-20")))])
    assert first.status == "ACCEPTED", first.body
    with sqlite_registry.uow(write=False) as uow:
        row = uow.dmrv.get(first.body["batch"])
        assert row is not None and row["site"] == f"{project}/HH-001"
    new = DeviceSigner.from_seed(b"rotated")
    w.run(w.operator, c.RotateDeviceKey(device_id="PV-0001", public_key=new.public_b64))
    clock.now += timedelta(days=6)
    [late] = ingest([Incoming(meter.batch(day("2026-11-21")))])  # still the old key
    assert late.status == "ACCEPTED", late.body
    clock.now += timedelta(days=2)  # 8 days after the rotation
    [expired] = ingest([Incoming(meter.batch(day("2026-11-22"), advance=False))])
    assert (expired.body["rule_id"], expired.body["field"]) == ("R02", "key_id")
    meter.signer = new
    [signed_new] = ingest([Incoming(meter.batch(day("2026-11-22")))])
    assert signed_new.status == "ACCEPTED", signed_new.body
    w.run(w.operator, c.RevokeDeviceKey(device_id="PV-0001", key_id=new.key_id, confirm=True))
    [revoked] = ingest([Incoming(meter.batch(day("2026-11-23", range(0, 1)), advance=False))])
    assert (revoked.body["rule_id"], revoked.body["field"]) == ("R02", "key_id")
