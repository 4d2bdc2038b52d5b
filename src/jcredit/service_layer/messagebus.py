"""The message bus: runs each command in one transaction, exactly once per idempotency key.

For every command it opens a write unit of work, locks the registry state, looks up the
idempotency key (a replay returns the stored response and changes nothing; the same key
with a different request is refused), runs the handler, stores the response under the key,
saves the registry counters and commits. Anything raised rolls everything back.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any
from typing import Protocol

from jcredit.domain.errors import IdempotencyKeyReusedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.journal import JournalEntry
from jcredit.domain.ledger.journal import canonical_json
from jcredit.domain.ledger.journal import make_entry
from jcredit.domain.ledger.serials import SerialRange
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.commands import Command
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.unit_of_work import RegistryState
from jcredit.service_layer.unit_of_work import StoredResponse
from jcredit.service_layer.unit_of_work import UnitOfWorkFactory
from jcredit.service_layer.validation import validated


@dataclass(frozen=True)
class Policy:
    """Configurable scheme rules (set from the environment by the composition root).

    Attributes:
        crediting_period_cap: the 2031-03-31 limit of older texts, if it applies to new
            registrations (jcredit-rules.md §1.5: unverified, so off by default).
    """

    crediting_period_cap: date | None = None


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...


@dataclass
class CommandContext:
    """What a handler gets besides its command: the open unit of work and the caller."""

    uow: AbstractUnitOfWork
    actor: Actor
    state: RegistryState
    now: datetime
    request_id: str
    idempotency_key: str | None
    password_hasher: PasswordHasher
    policy: Policy = Policy()
    # the last entry recorded, its payload and the payload's canonical JSON
    _recorded: tuple[JournalEntry, Mapping[str, Any], str] | None = field(
        default=None, init=False, repr=False)
    now_iso: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self.now_iso = self.now.isoformat(timespec="microseconds")

    def next_block_id(self) -> int:
        value = self.state.next_block_id
        self.state.next_block_id += 1
        return value

    def allocate_serials(self, quantity: int) -> SerialRange:
        """The next ``quantity`` serials of the registry-wide sequence."""
        start = self.state.next_serial
        self.state.next_serial += quantity
        return SerialRange(start, start + quantity - 1)

    def next_account_seq(self) -> int:
        value = self.state.next_account_seq
        self.state.next_account_seq += 1
        return value

    def record(
        self, command: str, payload: dict[str, Any], postings: list[dict[str, Any]] | None = None
    ) -> JournalEntry:
        """Append a journal entry chained to the current head."""
        if SEQ_KEY in payload:
            raise ValueError(f"a journal payload cannot carry {SEQ_KEY!r}")
        postings = postings or []
        payload_json = canonical_json(payload)
        postings_json = canonical_json(postings)
        entry = make_entry(
            seq=self.state.head_seq + 1,
            recorded_at=self.now_iso,
            actor=self.actor.key,
            request_id=self.request_id,
            idempotency_key=self.idempotency_key,
            command=command,
            payload=payload,
            postings=postings,
            prev_hash=self.state.head_hash,
            payload_json=payload_json,
            postings_json=postings_json,
        )
        self.uow.journal.add(entry, payload_json=payload_json, postings_json=postings_json)
        self.state.head_seq = entry.seq
        self.state.head_hash = entry.hash
        self._recorded = (entry, payload, payload_json)
        return entry

    def response_body(self, data: Mapping[str, Any]) -> tuple[str, int | None]:
        """The response's JSON, and the journal seq it can be rebuilt from.

        When the handler answered with the payload it recorded plus ``journal_seq`` (the
        ledger commands do), the body is the payload already encoded, behind the sequence
        number (:func:`response_json`), and an idempotency record needs to keep only that
        number. Any other answer is encoded as canonical JSON and kept whole.
        """
        recorded = self._recorded
        if recorded is not None:
            entry, payload, payload_json = recorded
            if (data.get(SEQ_KEY) == entry.seq and len(data) == len(payload) + 1
                    and all(data.get(k) is v for k, v in payload.items())):
                return response_json(entry.seq, payload_json), entry.seq
        return canonical_json(data), None


Handler = Callable[[Any, CommandContext], dict[str, Any]]

SEQ_KEY = "journal_seq"


def response_json(seq: int, payload_json: str) -> str:
    """The response of a command that answered with its journal payload plus ``journal_seq``:
    ``{"journal_seq":N,`` and then the payload's members, as the journal stores them.

    (Until the fourth session the sequence number was sorted in among the members; a key
    recorded then replays in this form: the same JSON object, its keys in another order.)"""
    members = payload_json[1:-1]
    return f'{{"{SEQ_KEY}":{seq}{"," if members else ""}{members}}}'


def response_from_entry(entry: JournalEntry) -> str:
    """The response a command gave when it was its entry's payload plus ``journal_seq``."""
    return response_json(entry.seq, canonical_json(entry.payload))


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command's response: the body is stored verbatim for idempotent replays."""

    status_code: int
    body: str
    replayed: bool

    @property
    def data(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.body)
        return result


def fingerprint(command: Command) -> str:
    """SHA-256 of what the command asks, to tell a retry from a different request.

    Commands whose fields are all scalars (the frequent ledger commands) are hashed from
    their repr, which is exact for str, int, bool, None and Decimal; commands carrying
    mappings are hashed from canonical JSON, so key order does not matter.
    """
    values = _field_values(type(command))(command)
    if _SCALARS.issuperset(map(type, values)):
        body = f"{command.NAME}{values!r}"
    else:
        args = dict(zip(_field_names(type(command)), values, strict=True))
        body = canonical_json({"command": command.NAME, "args": _jsonable(args)})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


_SCALARS = frozenset({str, int, bool, Decimal, type(None)})


_FIELD_NAMES: dict[type[Command], tuple[str, ...]] = {}
_FIELD_VALUES: dict[type[Command], Callable[[Command], tuple[Any, ...]]] = {}


def _field_names(command_type: type[Command]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(command_type)
    if names is None:
        names = _FIELD_NAMES[command_type] = tuple(f.name for f in fields(command_type))
    return names


def _field_values(command_type: type[Command]) -> Callable[[Command], tuple[Any, ...]]:
    """A function giving a command's field values as a tuple, in declaration order."""
    getter = _FIELD_VALUES.get(command_type)
    if getter is None:
        names = _field_names(command_type)
        secret = command_type.SECRET_FIELDS
        if secret:
            getter = lambda command: tuple(  # noqa: E731
                "<secret>" if n in secret else getattr(command, n) for n in names)
        elif len(names) > 1:
            getter = attrgetter(*names)
        else:
            getter = lambda command: tuple(getattr(command, n) for n in names)  # noqa: E731
        _FIELD_VALUES[command_type] = getter
    return getter


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)


MAX_IDEMPOTENCY_KEY_LENGTH = 200

_request_prefix = os.urandom(8).hex()
_request_numbers = itertools.count(1)


def _reseed_request_ids() -> None:
    global _request_prefix, _request_numbers
    _request_prefix, _request_numbers = os.urandom(8).hex(), itertools.count(1)


os.register_at_fork(after_in_child=_reseed_request_ids)


def new_request_id() -> str:
    """An id for a command that came without one: 32 hex digits, a random prefix of this
    process (a forked child draws its own) and a counter, with no system call per id."""
    return f"{_request_prefix}{next(_request_numbers):016x}"


class MessageBus:
    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        handlers: dict[type[Command], Handler],
        password_hasher: PasswordHasher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        policy: Policy | None = None,
    ) -> None:
        self.policy = policy or Policy()
        self.uow_factory = uow_factory
        self.handlers = handlers
        self.password_hasher = password_hasher
        self.clock = clock

    def preview(self, command: Command, *, actor: Actor) -> dict[str, Any]:
        """Run a command and roll it back: the exact result, with nothing written.

        This is the in-app pre-check (事前確認) before an irreversible step: the applicant
        sees the serials that would be designated and every error the real run would raise.
        """
        handler = self.handlers[type(command)]
        command = validated(command)
        with self.uow_factory(write=True) as uow:
            state = uow.registry_state.lock()
            context = CommandContext(
                uow=uow, actor=actor, state=state, now=self.clock(),
                request_id="preview", idempotency_key=None,
                password_hasher=self.password_hasher,
                policy=self.policy,
            )
            return handler(command, context)  # the unit of work rolls back on exit

    def handle(
        self,
        command: Command,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        status_code: int = 200,
        wait: bool = True,
    ) -> CommandResult:
        """Run ``command`` in one transaction, or replay what its idempotency key returned.

        ``wait=False``: raise :class:`WriterBusyError` before doing anything if another
        writer holds the database (see :class:`UnitOfWorkFactory`).
        """
        if idempotency_key is not None and not (1 <= len(idempotency_key) <= 200
                                                and idempotency_key.isprintable()):
            raise ValidationError(
                "Idempotency-Key must be 1-200 printable characters", field="Idempotency-Key"
            )
        if request_id is not None and not (len(request_id) <= 200 and request_id.isprintable()):
            raise ValidationError("X-Request-ID must be at most 200 printable characters",
                                  field="X-Request-ID")
        handler = self.handlers[type(command)]
        command = validated(command)  # text and integers the databases store, or an error
        print_ = fingerprint(command) if idempotency_key else ""
        with self.uow_factory(write=True, wait=wait) as uow:
            state = uow.registry_state.lock()
            if idempotency_key:
                stored = uow.idempotency.get(actor.key, idempotency_key)
                if stored is not None:
                    if stored.fingerprint != print_:
                        raise IdempotencyKeyReusedError(
                            f"Idempotency-Key {idempotency_key!r} was already used for a "
                            "different request; use a new key for a new request",
                            field="Idempotency-Key",
                        )
                    return CommandResult(stored.status_code, self._stored_body(uow, stored),
                                         replayed=True)
            context = CommandContext(
                uow=uow,
                actor=actor,
                state=state,
                now=self.clock(),
                request_id=request_id or new_request_id(),
                idempotency_key=idempotency_key,
                password_hasher=self.password_hasher,
                policy=self.policy,
            )
            data = handler(command, context)
            body, journal_seq = context.response_body(data)
            if idempotency_key:
                uow.idempotency.add(
                    actor.key,
                    idempotency_key,
                    StoredResponse(print_, status_code,
                                   None if journal_seq else body, journal_seq),
                    created_at=context.now_iso,
                )
            uow.registry_state.save(state)
            uow.commit()
        return CommandResult(status_code, body, replayed=False)

    @staticmethod
    def _stored_body(uow: AbstractUnitOfWork, stored: StoredResponse) -> str:
        if stored.body is not None:
            return stored.body
        entry = uow.journal.get(stored.journal_seq) if stored.journal_seq else None
        if entry is None:
            raise RuntimeError(f"idempotency record names journal entry {stored.journal_seq}, "
                               "which does not exist")
        return response_from_entry(entry)
