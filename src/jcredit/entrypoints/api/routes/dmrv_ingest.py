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
from jcredit.domain.dmrv.model import CADENCES
from jcredit.domain.dmrv.model import CHANNELS
from jcredit.domain.dmrv.model import QUALITIES
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.service_layer.dmrv.ingest import Incoming

router = APIRouter(prefix="/dmrv", tags=["dmrv"])

_STATUS = {intake.ACCEPTED: 201, intake.HELD: 202, intake.REFUSED: 422}

_READING = {"type": "object", "required": ["start", "channel"], "properties": {
    "start": {"type": "string", "format": "date-time",
              "description": "ISO 8601 with a zone; the interval's start"},
    "channel": {"type": "string", "enum": list(CHANNELS)},
    "register": {"type": ["integer", "string"], "description": "cumulative, at the end"},
    "energy": {"type": ["integer", "string"], "description": "in the interval"},
    "quality": {"type": "string", "enum": list(QUALITIES)}}}
_SERIES = {"type": "object", "required": ["start", "channel"], "properties": {
    "start": {"type": "string", "format": "date-time"},
    "channel": {"type": "string", "enum": list(CHANNELS)},
    "register": {"type": "array", "items": {"type": ["integer", "string", "null"]}},
    "energy": {"type": "array", "items": {"type": ["integer", "string", "null"]}},
    "quality": {"type": ["string", "array"]}}}
_ENVELOPE = {"type": "object", "required": ["batch", "signature"], "properties": {
    "batch": {"type": "object", "required": ["v", "device_id", "seq", "prev", "key_id",
                                             "created_at", "unit", "interval_s"],
              "properties": {
                  "v": {"type": "integer", "enum": [1]},
                  "device_id": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                  "seq": {"type": "integer", "minimum": 1},
                  "prev": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                  "key_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                  "created_at": {"type": "string", "format": "date-time"},
                  "unit": {"type": "string", "enum": ["Wh", "kWh"]},
                  "interval_s": {"type": "integer", "enum": list(CADENCES)},
                  "readings": {"type": "array", "items": _READING},
                  "series": {"type": "array", "items": _SERIES}}},
    "signature": {"type": "string", "description": "base64 Ed25519 signature of the batch's "
                                                   "canonical bytes (docs/dmrv.md §2)"}},
    "example": {"batch": {
        "v": 1, "device_id": "PV-000001-0001", "seq": 1, "prev": "0" * 64,
        "key_id": "3f9a0c1d2e4b5a69", "created_at": "2026-05-02T00:05:03+09:00",
        "unit": "Wh", "interval_s": 1800,
        "series": [{"channel": "generation", "start": "2026-05-01T00:00:00+09:00",
                    "register": [1234567, 1234567], "energy": [0, 0]}]},
        "signature": "base64…"}}
_RECEIPT = {"type": "object", "properties": {
    "batch": {"type": "string"}, "device_id": {"type": "string"}, "seq": {"type": "integer"},
    "status": {"type": "string", "enum": ["ACCEPTED", "HELD"]},
    "received_at": {"type": "string", "format": "date-time"}, "rows": {"type": "integer"},
    "duplicates": {"type": "integer"},
    "receipt": {"type": "string", "description": "SHA-256 of the other fields"}}}
_REFUSAL = {"type": "object", "properties": {
    "status": {"type": "integer", "enum": [422]}, "code": {"type": "string"},
    "outcome": {"type": "string", "enum": ["REFUSED"]},
    "rule_id": {"type": "string"}, "field": {"type": "string"}, "reason": {"type": "string"},
    "reason_ja": {"type": "string"}, "detail": {"type": "string"}}}

_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": _ENVELOPE},
    "text/csv": {"schema": {"type": "string", "description":
                            "A CSV batch with '# key=value' header lines; the signature in "
                            "the X-Jcredit-Signature header"}}}}}


@router.post("/batches", status_code=201, openapi_extra=_BODY, responses={
    200: {"description": "A replay: the first receipt, nothing stored again",
          "content": {"application/json": {"schema": _RECEIPT}}},
    201: {"description": "Accepted: the receipt",
          "content": {"application/json": {"schema": _RECEIPT}}},
    202: {"description": "Held: the batch conflicts with stored readings for the same "
                         "intervals; kept for review, none of its readings stored",
          "content": {"application/json": {"schema": _RECEIPT}}},
    422: {"description": "Refused, with the rule, the field and the reason",
          "content": {"application/problem+json": {"schema": _REFUSAL}}}})
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
