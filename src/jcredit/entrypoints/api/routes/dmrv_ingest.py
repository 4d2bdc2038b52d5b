"""Devices send batches of readings over HTTP (docs/dmrv.md §2).

A device authenticates by its Ed25519 signature, not by a user's token: the batch names the
device and its key, and the pipeline refuses any batch whose signature the registered key
does not verify. The same pipeline serves MQTT and file import.
"""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi import Request
from fastapi import Response
from starlette.concurrency import run_in_threadpool

from jcredit.domain.dmrv import intake
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.service_layer.dmrv.ingest import Incoming

router = APIRouter(prefix="/dmrv", tags=["dmrv"])

_STATUS = {intake.ACCEPTED: 201, intake.HELD: 202, intake.REFUSED: 422}

_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "required": ["batch", "signature"],
                                    "description": "A signed batch envelope (docs/dmrv.md §2)"}},
    "text/csv": {"schema": {"type": "string", "description":
                            "A CSV batch with '# key=value' header lines; the signature in "
                            "the X-Jcredit-Signature header"}}}}}


@router.post("/batches", status_code=201, openapi_extra=_BODY, responses={
    200: {"description": "A replay: the first receipt, nothing stored again"},
    201: {"description": "Accepted: the receipt"},
    202: {"description": "Held: the batch conflicts with stored readings for the same "
                         "intervals; kept for review, none of its readings stored"},
    422: {"description": "Refused, with the rule, the field and the reason"}})
async def post_batch(request: Request, registry: RegistryDep) -> Response:
    """Receive one signed batch of readings (JSON envelope or CSV)."""
    body = await request.body()
    media = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if media == "text/csv":
        item = Incoming(body, "csv", request.headers.get("x-jcredit-signature"), "http")
    else:
        item = Incoming(body, "json", None, "http")
    [outcome] = await run_in_threadpool(registry.ingestor.ingest, [item])
    if outcome.status == intake.REFUSED:
        detail = outcome.body["reason"]
        # problem+json (its "status" is the HTTP status); the refusal's own fields beside it
        content = {k: v for k, v in outcome.body.items() if k != "status"} | {
            "type": "about:blank", "title": "Batch refused", "status": 422, "detail": detail,
            "code": "batch_refused", "outcome": intake.REFUSED}
        return Response(json.dumps(content, ensure_ascii=False), status_code=422,
                        media_type="application/problem+json")
    status = 200 if outcome.replayed else _STATUS[outcome.status]
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return Response(json.dumps(outcome.body, ensure_ascii=False), status_code=status,
                    media_type="application/json", headers=headers)
