"""The journal: append-only, hash-chained record of every command.

Each entry holds who, when, the request and idempotency key, the command with its
arguments, and the postings (the blocks created and superseded). Its hash is the SHA-256 of
a canonical JSON form that includes the previous entry's hash, so changing or removing any
entry breaks every hash after it. ``ledger check`` recomputes the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import c_make_encoder  # type: ignore[attr-defined]
from json.encoder import encode_basestring
from typing import Any

GENESIS_HASH = "0" * 64


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _not_json(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json's C encoder with the options of _CANONICAL, built once: JSONEncoder.encode builds a
# new one on every call, which costs as much as encoding a journal entry's postings. It does
# not look for cycles (journal values are trees; a cycle would end in RecursionError).
_ENCODE = (c_make_encoder(None, _not_json, encode_basestring, None, ":", ",", True, False, True)
           if c_make_encoder is not None else None)


def canonical_json(value: object) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text kept as is.

    Exactly what ``json.dumps(value, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` gives (a property test checks it), without building an encoder
    on every call."""
    if _ENCODE is None:  # a Python without json's C accelerator
        return _CANONICAL.encode(value)
    return "".join(_ENCODE(value, 0))


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal entry.

    Attributes:
        seq: position in the journal, from 1, without gaps.
        recorded_at: UTC timestamp, ISO 8601.
        actor: who ran the command (``user:NAME`` or ``cli:NAME``).
        request_id: id of the request that carried the command.
        idempotency_key: the client's key, if any.
        command: command name, e.g. ``credits.transfer``.
        payload: the command's arguments and results (JSON-safe).
        postings: blocks issued (``op: issue``) and superseded (``op: move``).
        prev_hash: hash of entry ``seq - 1`` (zeros for the first).
        hash: SHA-256 of the canonical form of all the fields above.
    """

    seq: int
    recorded_at: str
    actor: str
    request_id: str
    idempotency_key: str | None
    command: str
    payload: Mapping[str, Any]
    postings: Sequence[Mapping[str, Any]]
    prev_hash: str
    hash: str

    def canonical_body(self) -> str:
        return canonical_json(
            {
                "seq": self.seq,
                "recorded_at": self.recorded_at,
                "actor": self.actor,
                "request_id": self.request_id,
                "idempotency_key": self.idempotency_key,
                "command": self.command,
                "payload": self.payload,
                "postings": list(self.postings),
                "prev_hash": self.prev_hash,
            }
        )

    def computed_hash(self) -> str:
        return hashlib.sha256(self.canonical_body().encode("utf-8")).hexdigest()


def sealed_body(*, seq: int, recorded_at: str, actor: str, request_id: str,
                idempotency_key: str | None, command: str, payload_json: str,
                postings_json: str, prev_hash: str) -> str:
    """The canonical body of an entry from its already-encoded payload and postings.

    It is exactly :meth:`JournalEntry.canonical_body` (keys in sorted order, the same
    separators), assembled without encoding the payload a second time; ``ledger check``
    recomputes every hash the slow way, so any difference would show there.
    """
    def text(value: str | None) -> str:
        # json's own string encoder (the one canonical_json uses, ensure_ascii=False)
        return "null" if value is None else encode_basestring(value)

    return (f'{{"actor":{text(actor)},"command":{text(command)},'
            f'"idempotency_key":{text(idempotency_key)},"payload":{payload_json},'
            f'"postings":{postings_json},"prev_hash":{text(prev_hash)},'
            f'"recorded_at":{text(recorded_at)},"request_id":{text(request_id)},'
            f'"seq":{seq}}}')


def make_entry(
    *,
    seq: int,
    recorded_at: str,
    actor: str,
    request_id: str,
    idempotency_key: str | None,
    command: str,
    payload: Mapping[str, Any],
    postings: Sequence[Mapping[str, Any]],
    prev_hash: str,
    payload_json: str | None = None,
    postings_json: str | None = None,
) -> JournalEntry:
    """Build an entry and seal it with its hash (encoded payload and postings may be given)."""
    body = sealed_body(
        seq=seq, recorded_at=recorded_at, actor=actor, request_id=request_id,
        idempotency_key=idempotency_key, command=command,
        payload_json=payload_json if payload_json is not None else canonical_json(payload),
        postings_json=(postings_json if postings_json is not None
                       else canonical_json(list(postings))),
        prev_hash=prev_hash)
    # positional, in field order: a frozen dataclass takes keywords at twice the cost
    return JournalEntry(seq, recorded_at, actor, request_id, idempotency_key, command, payload,
                        postings, prev_hash, hashlib.sha256(body.encode("utf-8")).hexdigest())
