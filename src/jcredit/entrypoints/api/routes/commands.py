"""Write routes: each parses its body, builds a command, sends it on the bus and returns the
stored response verbatim (so a replay with the same Idempotency-Key is byte-identical)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request
from fastapi import Response

from jcredit.entrypoints.api import schemas as s
from jcredit.entrypoints.api.deps import AdminDep
from jcredit.entrypoints.api.deps import IdempotencyKeyDep
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.api.deps import WriterDep
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor

router = APIRouter()


def _send(request: Request, registry: RegistryDep, command: c.Command, actor: Actor,
          key: str, status_code: int = 200) -> Response:
    result = registry.bus.handle(command, actor=actor, idempotency_key=key,
                                 request_id=request.headers.get("x-request-id"),
                                 status_code=status_code)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    return Response(result.body, status_code=result.status_code,
                    media_type="application/json", headers=headers)


@router.post("/organisations", status_code=201, tags=["organisations"])
def create_organisation(body: s.OrganisationCreate, request: Request, registry: RegistryDep,
                        actor: AdminDep, key: IdempotencyKeyDep) -> Response:
    """Register an organisation (法人) with its 法人番号."""
    return _send(request, registry, c.CreateOrganisation(name=body.name,
                 corporate_number=body.corporate_number), actor, key, 201)


@router.post("/accounts", status_code=201, tags=["accounts"])
def open_account(body: s.AccountCreate, request: Request, registry: RegistryDep,
                 actor: AdminDep, key: IdempotencyKeyDep) -> Response:
    """Open a holding account (保有口座) for an organisation."""
    return _send(request, registry, c.OpenAccount(organisation=body.organisation,
                 account_name=body.name, kind=body.kind), actor, key, 201)


@router.post("/users", status_code=201, tags=["users"])
def create_user(body: s.UserCreate, request: Request, registry: RegistryDep, actor: AdminDep,
                key: IdempotencyKeyDep) -> Response:
    return _send(request, registry, c.CreateUser(**body.model_dump()), actor, key, 201)


@router.post("/credits/issue", status_code=201, tags=["credits"])
def issue(body: s.CreditsIssue, request: Request, registry: RegistryDep, actor: AdminDep,
          key: IdempotencyKeyDep) -> Response:
    """Issue a new contiguous serial block into a holding account (administrator)."""
    return _send(request, registry, c.IssueCredits(**body.model_dump()), actor, key, 201)


@router.post("/credits/transfer", tags=["credits"])
def transfer(body: s.TransferCreate, request: Request, registry: RegistryDep,
             actor: WriterDep, key: IdempotencyKeyDep) -> Response:
    """Transfer by total quantity (oldest vintage first) or by serial range."""
    return _send(request, registry, c.TransferCredits(**body.model_dump()), actor, key)


@router.post("/credits/retire", tags=["credits"])
def retire(body: s.RemovalCreate, request: Request, registry: RegistryDep, actor: WriterDep,
           key: IdempotencyKeyDep) -> Response:
    """償却 of legacy 国内クレジット (KC, KCP). Irreversible: needs ``confirm: true``."""
    return _send(request, registry, c.RetireCredits(**body.model_dump()), actor, key)


@router.post("/credits/cancel", tags=["credits"])
def cancel(body: s.RemovalCreate, request: Request, registry: RegistryDep, actor: AdminDep,
           key: IdempotencyKeyDep) -> Response:
    """取消 by the administrator. Irreversible: needs ``confirm: true``."""
    return _send(request, registry, c.CancelCredits(**body.model_dump()), actor, key)


@router.post("/invalidations", status_code=201, tags=["invalidations"])
def apply_invalidation(body: s.InvalidationCreate, request: Request, registry: RegistryDep,
                       actor: WriterDep, key: IdempotencyKeyDep) -> Response:
    """File an invalidation application (無効化申請); its credits are reserved."""
    return _send(request, registry, c.ApplyInvalidation(**body.model_dump()), actor, key, 201)


@router.post("/invalidations/execute", tags=["invalidations"])
def execute_invalidations(body: s.InvalidationExecute, request: Request,
                          registry: RegistryDep, actor: AdminDep,
                          key: IdempotencyKeyDep) -> Response:
    """Execute named applications, or the batch of all pending ones (irreversible)."""
    return _send(request, registry, c.ExecuteInvalidations(
        application_ids=tuple(body.application_ids), confirm=body.confirm), actor, key)


@router.post("/invalidations/{application_id}/withdraw", tags=["invalidations"])
def withdraw_invalidation(application_id: int, request: Request, registry: RegistryDep,
                          actor: WriterDep, key: IdempotencyKeyDep) -> Response:
    """Withdraw a pending application (取下げ); its credits become available again."""
    return _send(request, registry, c.WithdrawInvalidation(application_id=application_id),
                 actor, key)
