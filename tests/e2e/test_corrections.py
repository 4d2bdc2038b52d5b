"""Ordinary transfers out of another organisation's account are refused for every role; the
secretariat's registry correction needs a reason and a second confirmation, is journaled
with both, and notifies the holder (API and CLI)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from jcredit.domain.errors import PermissionDeniedError
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from tests.e2e.support import demo_client
from tests.e2e.support import login

MIDORI = "H-0000006-7"  # 株式会社みどり商事's account in the demo
HINOKI = "H-0000008-3"


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        yield test_client


@pytest.mark.parametrize("user", ["admin", "auditor", "hinoki", "shoji", "taiyo", "shinsa",
                                  "iinkai"])
def test_a_transfer_out_of_another_organisations_account_is_refused(
        client: TestClient, user: str) -> None:
    body = {"from_account": MIDORI, "to_account": HINOKI, "quantity": 1}
    response = client.post("/api/v1/credits/transfer", json=body,
                           headers=login(client, user) | {"Idempotency-Key": f"t-{user}"})
    assert response.status_code == 403, response.text
    balance = client.get(f"/api/v1/accounts/{MIDORI}", headers=login(client, "midori"))
    assert balance.json()["balance"] == 2400


def test_the_service_layer_refuses_every_role_but_the_holders_own(
        sqlite_registry: Registry) -> None:
    from jcredit.entrypoints.demo import seed_demo

    seed_demo(sqlite_registry)
    command = c.TransferCredits(from_account=MIDORI, to_account=HINOKI, quantity=1)
    for role in Role:
        for organisation in (None, 2):  # none, or another organisation (hinoki's)
            actor = Actor(name=f"x-{role}", role=role, organisation_id=organisation, via="cli")
            with pytest.raises(PermissionDeniedError, match="does not belong"):
                sqlite_registry.bus.handle(command, actor=actor)
    own = Actor(name="midori", role=Role.HOLDER, organisation_id=1)
    assert sqlite_registry.bus.handle(command, actor=own).data["quantity"] == 1


def test_a_correction_needs_a_reason_and_a_second_confirmation(client: TestClient) -> None:
    admin = login(client, "admin")
    body = {"from_account": MIDORI, "to_account": HINOKI, "quantity": 5,
            "reason_code": "COURT_ORDER", "reason": "東京地裁 令和8年(ワ)第123号 判決",
            "confirm_account": MIDORI}
    refused = {
        "reason": ({"reason": "  "}, 422),
        "reason_code": ({"reason_code": "BECAUSE"}, 422),
        "confirm_account": ({"confirm_account": ""}, 428),
    }
    for field, (change, status) in refused.items():
        response = client.post("/api/v1/credits/correct", json=body | change,
                               headers=admin | {"Idempotency-Key": f"bad-{field}"})
        assert response.status_code == status, response.text
        assert response.json()["field"] == field
    wrong = client.post("/api/v1/credits/correct", json=body | {"confirm_account": HINOKI},
                        headers=admin | {"Idempotency-Key": "wrong-account"})
    assert wrong.status_code == 428
    holder = client.post("/api/v1/credits/correct", json=body,
                         headers=login(client, "midori") | {"Idempotency-Key": "holder"})
    assert holder.status_code == 403

    done = client.post("/api/v1/credits/correct", json=body,
                       headers=admin | {"Idempotency-Key": "court-order"})
    assert done.status_code == 200, done.text
    seq = done.json()["journal_seq"]
    entry = next(e for e in client.get("/api/v1/journal", headers=admin).json()["data"]
                 if e["seq"] == seq)
    assert entry["command"] == "credits.correct"
    assert entry["payload"]["reason_code"] == "COURT_ORDER"
    assert entry["payload"]["reason"] == body["reason"]
    assert entry["actor"] == "user:admin"

    midori = login(client, "midori")
    notes = client.get(f"/api/v1/accounts/{MIDORI}/notifications", headers=midori).json()
    assert [(n["journal_seq"], n["quantity"], n["reason_code"], n["direction"])
            for n in notes["data"]] == [(seq, 5, "COURT_ORDER", "out")]
    assert client.get(f"/api/v1/accounts/{MIDORI}", headers=midori).json()["balance"] == 2395
    received = client.get(f"/api/v1/accounts/{HINOKI}/notifications",
                          headers=login(client, "hinoki")).json()["data"]
    assert [(n["journal_seq"], n["direction"]) for n in received] == [(seq, "in")]
    other = client.get(f"/api/v1/accounts/{MIDORI}/notifications",
                       headers=login(client, "hinoki"))
    assert other.status_code == 403
    check = client.get("/api/v1/ledger/check", headers=admin).json()
    assert check["ok"] is True
