"""Write routes: each parses its body, builds a command, sends it on the bus and returns the
stored response verbatim (so a replay with the same Idempotency-Key is byte-identical).

A short command runs on the event loop itself when the registry's writer is free (SQLite:
one writer, a transfer takes well under a millisecond): the hop to a worker thread and back
cost more than the command. When the writer is busy, or on PostgreSQL (which waits on the
network), or for a command that may take long (password hashing, a batch), the command
runs in the thread pool, so the event loop never waits for a lock.
"""

from __future__ import annotations

from contextlib import suppress
from functools import partial

from fastapi import APIRouter
from fastapi import Request
from fastapi import Response
from starlette.concurrency import run_in_threadpool

from jcredit.bootstrap import Registry
from jcredit.entrypoints.api import schemas as s
from jcredit.entrypoints.api.deps import AdminWrite
from jcredit.entrypoints.api.deps import HolderWrite
from jcredit.entrypoints.api.deps import WriteRequest
from jcredit.entrypoints.params import ApplicationId
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.unit_of_work import WriterBusyError

router = APIRouter()


async def send_command(request: Request, registry: Registry, command: c.Command, actor: Actor,
                       key: str, status_code: int = 200, *, short: bool = True) -> Response:
    handle = partial(registry.bus.handle, command, actor=actor, idempotency_key=key,
                     request_id=request.headers.get("x-request-id"), status_code=status_code)
    result = None
    if short:
        # WriterBusyError: another writer holds the database; wait for it in a worker thread
        with suppress(WriterBusyError):
            result = handle(wait=False)
    if result is None:
        result = await run_in_threadpool(handle)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    return Response(result.body, status_code=result.status_code,
                    media_type="application/json", headers=headers)


async def _send(request: Request, caller: WriteRequest, command: c.Command,
                status_code: int = 200, *, short: bool = True) -> Response:
    return await send_command(request, caller.registry, command, caller.actor, caller.key,
                              status_code, short=short)


@router.post("/organisations", status_code=201, tags=["organisations"])
async def create_organisation(body: s.OrganisationCreate, request: Request,
                              caller: AdminWrite) -> Response:
    """Register an organisation (法人) with its 法人番号."""
    return await _send(request, caller, c.CreateOrganisation(
        name=body.name, corporate_number=body.corporate_number), 201)


@router.post("/accounts", status_code=201, tags=["accounts"])
async def open_account(body: s.AccountCreate, request: Request, caller: AdminWrite) -> Response:
    """Open a holding account (保有口座) for an organisation."""
    return await _send(request, caller, c.OpenAccount(
        organisation=body.organisation, account_name=body.name, kind=body.kind), 201)


@router.post("/users", status_code=201, tags=["users"])
async def create_user(body: s.UserCreate, request: Request, caller: AdminWrite) -> Response:
    # argon2 takes tens of milliseconds: a worker thread, not the event loop
    return await _send(request, caller, c.CreateUser(**body.model_dump()), 201, short=False)


@router.post("/credits/issue", status_code=201, tags=["credits"])
async def issue(body: s.CreditsIssue, request: Request, caller: AdminWrite) -> Response:
    """Issue a new contiguous serial block into a holding account (administrator)."""
    return await _send(request, caller, c.IssueCredits(**body.model_dump()), 201)


@router.post("/credits/transfer", tags=["credits"])
async def transfer(body: s.TransferCreate, request: Request, caller: HolderWrite) -> Response:
    """Transfer by total quantity (oldest vintage first) or by serial range."""
    return await _send(request, caller, c.TransferCredits(**body.model_dump()))


@router.post("/credits/correct", tags=["credits"])
async def correct(body: s.CorrectionCreate, request: Request, caller: AdminWrite) -> Response:
    """登録簿の訂正 by the secretariat: move a holder's credits for a court order, an error
    of the registry or a succession (``reason_code``, ``reason``), confirmed by typing the
    source account number again (``confirm_account``). Journaled; the holders are notified.
    An ordinary transfer out of another organisation's account is refused for every role."""
    return await _send(request, caller, c.CorrectHolding(**body.model_dump()))


@router.post("/credits/retire", tags=["credits"])
async def retire(body: s.RemovalCreate, request: Request, caller: HolderWrite) -> Response:
    """償却 of legacy 国内クレジット (KC, KCP). Irreversible: needs ``confirm: true``."""
    return await _send(request, caller, c.RetireCredits(**body.model_dump()))


@router.post("/credits/cancel", tags=["credits"])
async def cancel(body: s.RemovalCreate, request: Request, caller: AdminWrite) -> Response:
    """取消 by the administrator. Irreversible: needs ``confirm: true``."""
    return await _send(request, caller, c.CancelCredits(**body.model_dump()))


@router.post("/invalidations", status_code=201, tags=["invalidations"])
async def apply_invalidation(body: s.InvalidationCreate, request: Request,
                             caller: HolderWrite) -> Response:
    """File an invalidation application (無効化申請); its credits are reserved."""
    return await _send(request, caller, c.ApplyInvalidation(**body.model_dump()), 201)


@router.post("/invalidations/execute", tags=["invalidations"])
async def execute_invalidations(body: s.InvalidationExecute, request: Request,
                                caller: AdminWrite) -> Response:
    """Execute named applications, or the batch of all pending ones (irreversible)."""
    command = c.ExecuteInvalidations(application_ids=tuple(body.application_ids),
                                     confirm=body.confirm)
    # The batch may hold many applications: a worker thread, not the event loop.
    return await _send(request, caller, command, short=False)


@router.post("/invalidations/{application_id}/withdraw", tags=["invalidations"])
async def withdraw_invalidation(application_id: ApplicationId, request: Request,
                                caller: HolderWrite) -> Response:
    """Withdraw a pending application (取下げ); its credits become available again."""
    return await _send(request, caller, c.WithdrawInvalidation(application_id=application_id))
