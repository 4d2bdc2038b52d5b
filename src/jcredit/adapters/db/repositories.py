"""SQLAlchemy Core implementations of the service layer's repositories.

Each repository works on the connection of one unit of work. Statements are Core
constructs (cached compiled forms), not ORM sessions: the ledger's hot path is a handful
of small statements per command, and Core keeps their overhead low.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from jcredit.adapters.db import tables as t
from jcredit.adapters.db.prepared import Prepared
from jcredit.domain.ledger.accounts import Account
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.blocks import Block
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.credits import CreditType
from jcredit.domain.ledger.credits import SchemeCode
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.invalidations import InvalidationApplication
from jcredit.domain.ledger.journal import GENESIS_HASH
from jcredit.domain.ledger.journal import JournalEntry
from jcredit.domain.ledger.journal import canonical_json
from jcredit.domain.ledger.serials import SerialRange
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.domain.organisations import Organisation
from jcredit.service_layer.actors import Role
from jcredit.service_layer.unit_of_work import CredentialUse
from jcredit.service_layer.unit_of_work import JournalFilter
from jcredit.service_layer.unit_of_work import RegistryState
from jcredit.service_layer.unit_of_work import StoredResponse
from jcredit.service_layer.unit_of_work import User


class SqlRegistryStateRepository:
    """The registry counters, read (and on PostgreSQL locked) at the start of a write.

    The journal head and the next block id are derived from the journal's last row and the
    largest block id (both append-only, and writers are serialised); only the counters that
    issuance and account opening move are stored, so a transfer writes no state row.
    """

    def __init__(self, connection: Connection) -> None:
        self.c = connection
        self._stored: tuple[int, int] | None = None

    _LAST_ENTRY = select(t.journal.c.seq, t.journal.c.hash).order_by(t.journal.c.seq.desc())
    _DERIVED = (
        _LAST_ENTRY.with_only_columns(t.journal.c.seq).limit(1).scalar_subquery(),
        _LAST_ENTRY.with_only_columns(t.journal.c.hash).limit(1).scalar_subquery(),
        select(func.max(t.blocks.c.id)).scalar_subquery(),
    )
    _COUNTERS = (t.registry_state.c.next_serial, t.registry_state.c.next_account_seq)
    # SQLite: the write lock is taken by BEGIN IMMEDIATE, so one statement reads it all.
    _READ_ALL = Prepared(select(*_COUNTERS, *_DERIVED).where(t.registry_state.c.id == 1))
    # PostgreSQL: lock the row first, then derive in a second statement. In READ COMMITTED a
    # statement that waited for the lock keeps the snapshot it started with, so subqueries
    # in the locking statement would miss the entry the previous holder just committed.
    _LOCK_ROW = Prepared(select(*_COUNTERS).where(t.registry_state.c.id == 1)
                         .with_for_update())
    _READ_DERIVED = Prepared(select(*_DERIVED))
    _SAVE = Prepared(
        update(t.registry_state)
        .where(t.registry_state.c.id == 1)
        .values(next_serial=bindparam("next_serial"),
                next_account_seq=bindparam("next_account_seq"))
    )

    def _read(self) -> tuple[Any, ...] | None:
        if self.c.dialect.name == "sqlite":
            return self._READ_ALL.fetch_one(self.c)
        counters = self._LOCK_ROW.fetch_one(self.c)
        if counters is None:
            return None
        derived = self._READ_DERIVED.fetch_one(self.c)
        assert derived is not None
        return (*counters, *derived)

    def lock(self) -> RegistryState:
        row = self._read()
        if row is None:
            # First write ever: create the row (the primary key makes a racing insert fail).
            self.c.execute(insert(t.registry_state).values(id=1, next_serial=1,
                                                           next_account_seq=1))
            row = self._read()
            assert row is not None
        next_serial, next_account_seq, head_seq, head_hash, max_block_id = row
        self._stored = (next_serial, next_account_seq)
        return RegistryState(next_serial=next_serial, next_block_id=(max_block_id or 0) + 1,
                             next_account_seq=next_account_seq, head_seq=head_seq or 0,
                             head_hash=head_hash or GENESIS_HASH)

    def save(self, state: RegistryState) -> None:
        if self._stored != (state.next_serial, state.next_account_seq):
            self._SAVE.run(self.c, {"next_serial": state.next_serial,
                                    "next_account_seq": state.next_account_seq})
            self._stored = (state.next_serial, state.next_account_seq)


def _organisation(row: Any) -> Organisation:
    return Organisation(row.id, row.name, row.corporate_number)


class SqlOrganisationRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def add(self, *, name: str, corporate_number: str) -> Organisation:
        result = self.c.execute(
            insert(t.organisations).values(name=name, corporate_number=corporate_number)
        )
        assert result.inserted_primary_key is not None
        return Organisation(result.inserted_primary_key[0], name, corporate_number)

    def get(self, organisation_id: int) -> Organisation | None:
        row = self.c.execute(
            select(t.organisations).where(t.organisations.c.id == organisation_id)
        ).one_or_none()
        return _organisation(row) if row else None

    def by_corporate_number(self, corporate_number: str) -> Organisation | None:
        row = self.c.execute(
            select(t.organisations).where(t.organisations.c.corporate_number == corporate_number)
        ).one_or_none()
        return _organisation(row) if row else None

    def list(self) -> list[Organisation]:
        rows = self.c.execute(select(t.organisations).order_by(t.organisations.c.id))
        return [_organisation(r) for r in rows]


K = TypeVar("K")
V = TypeVar("V")


class ImmutableRows:
    """Records that are written once and never updated or deleted, by key: accounts by
    number and issuance attributes by root block id.

    A unit of work reads through the factory's shared instance and stages what it reads
    from the database in its own; the staged records join the shared ones only when the
    unit has committed (or was a read unit), so a rolled-back insert never stays cached.
    Whoever adds an update or delete of accounts or issuances must drop this cache.
    """

    MAX_RECORDS = 100_000  # cleared when a map grows past this

    __slots__ = ("accounts", "attributes")

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.attributes: dict[int, CreditAttributes] = {}

    def publish(self, staged: ImmutableRows) -> None:
        """Move ``staged``'s records here (``staged`` is left empty, ready for reuse)."""
        _move(staged.accounts, self.accounts, self.MAX_RECORDS)
        _move(staged.attributes, self.attributes, self.MAX_RECORDS)


def _move(source: dict[K, V], target: dict[K, V], limit: int) -> None:
    if source:
        if len(target) + len(source) > limit:
            target.clear()
        target.update(source)
        source.clear()


def _account(row: Any) -> Account:
    return Account(row.id, row.number, AccountKind(row.kind), row.organisation_id, row.name)


_ACCOUNT_BY_NUMBER = Prepared(
    select(t.accounts.c.id, t.accounts.c.number, t.accounts.c.kind,
           t.accounts.c.organisation_id, t.accounts.c.name)
    .where(t.accounts.c.number == bindparam("number"))
)


class SqlAccountRepository:
    def __init__(self, connection: Connection, shared: ImmutableRows | None = None,
                 staged: ImmutableRows | None = None) -> None:
        self.c = connection
        self._shared = shared or ImmutableRows()
        self._staged = staged or ImmutableRows()

    def add(self, *, number: str, kind: AccountKind, organisation_id: int | None, name: str,
            opened_at: str) -> Account:
        result = self.c.execute(
            insert(t.accounts).values(
                number=number, kind=kind.value, organisation_id=organisation_id, name=name,
                opened_at=opened_at,
            )
        )
        assert result.inserted_primary_key is not None
        return Account(result.inserted_primary_key[0], number, kind, organisation_id, name)

    def get(self, account_id: int) -> Account | None:
        row = self.c.execute(select(t.accounts).where(t.accounts.c.id == account_id)).one_or_none()
        return _account(row) if row else None

    def by_number(self, number: str) -> Account | None:
        account = self._shared.accounts.get(number) or self._staged.accounts.get(number)
        if account is None:
            row = _ACCOUNT_BY_NUMBER.fetch_one(self.c, {"number": number})
            if row is None:
                return None
            account = Account(row[0], row[1], AccountKind(row[2]), row[3], row[4])
            self._staged.accounts[number] = account
        return account

    def registry_account(self, kind: AccountKind) -> Account:
        row = self.c.execute(
            select(t.accounts)
            .where(t.accounts.c.kind == kind.value, t.accounts.c.organisation_id.is_(None))
            .order_by(t.accounts.c.id)
            .limit(1)
        ).one_or_none()
        if row is None:
            raise RuntimeError(f"the registry has no {kind} account: run `jcredit db upgrade`")
        return _account(row)

    def list(self, *, organisation_id: int | None = None) -> list[Account]:
        query = select(t.accounts).order_by(t.accounts.c.id)
        if organisation_id is not None:
            query = query.where(t.accounts.c.organisation_id == organisation_id)
        return [_account(r) for r in self.c.execute(query)]

    def kinds(self) -> dict[int, AccountKind]:
        rows = self.c.execute(select(t.accounts.c.id, t.accounts.c.kind))
        return {r.id: AccountKind(r.kind) for r in rows}


_ATTRIBUTE_COLUMNS = (
    t.issuances.c.scheme,
    t.issuances.c.credit_type,
    t.issuances.c.category,
    t.issuances.c.project_id,
    t.issuances.c.methodology_id,
    t.issuances.c.methodology_version,
    t.issuances.c.certification_number,
    t.issuances.c.vintage,
)


def _credit_attributes(values: Sequence[Any]) -> CreditAttributes:
    """Credit attributes from the values of ``_ATTRIBUTE_COLUMNS``, in that order."""
    (scheme, credit_type, category, project_id, methodology_id, methodology_version,
     certification_number, vintage) = values
    return CreditAttributes(
        scheme=SchemeCode(scheme), credit_type=CreditType(credit_type),
        category=Category(category), project_id=project_id, methodology_id=methodology_id,
        methodology_version=methodology_version, certification_number=certification_number,
        vintage=vintage)


_BLOCK_COLUMNS = (
    t.blocks.c.id,
    t.blocks.c.root_id,
    t.blocks.c.account_id,
    t.blocks.c.serial_start,
    t.blocks.c.serial_end,
    t.blocks.c.reservation_id,
    *_ATTRIBUTE_COLUMNS,
)
_LIVE_BLOCKS = select(*_BLOCK_COLUMNS).join_from(
    t.blocks, t.issuances, t.blocks.c.root_id == t.issuances.c.root_id
)
# A move reads blocks without their issuance: its attributes are cached (ImmutableRows) or
# read once (SqlBlockRepository.issuance).
_AVAILABLE = select(*_BLOCK_COLUMNS[:6]).where(
    t.blocks.c.account_id == bindparam("account_id"),
    t.blocks.c.closed_seq.is_(None),
    t.blocks.c.reservation_id.is_(None),
)
# Allocation order (domain.ledger.blocks.allocation_order): oldest vintage, lowest serial,
# read in that order from ix_blocks_account_live (migration 0006), so no sort.
_AVAILABLE_IN_ORDER = Prepared(_AVAILABLE.order_by(t.blocks.c.vintage, t.blocks.c.serial_start))
_AVAILABLE_OVERLAPPING = Prepared(
    _AVAILABLE.where(
        t.blocks.c.serial_end >= bindparam("start"), t.blocks.c.serial_start <= bindparam("end")
    ).order_by(t.blocks.c.serial_start)
)
_ISSUANCE = Prepared(
    select(*_ATTRIBUTE_COLUMNS, t.issuances.c.serial_start, t.issuances.c.serial_end)
    .where(t.issuances.c.root_id == bindparam("root_id")))
_ADD_BLOCKS = Prepared(insert(t.blocks))
_CLOSE_BLOCK = Prepared(
    update(t.blocks)
    .where(t.blocks.c.id == bindparam("block_id"), t.blocks.c.closed_seq.is_(None))
    .values(closed_seq=bindparam("closed_seq"))
)
# A move usually needs the first block or two: fetch a few rows, then larger chunks.
_FIRST_CHUNK = 4
_FETCH_CHUNK = 64


class SqlBlockRepository:
    def __init__(self, connection: Connection, shared: ImmutableRows | None = None,
                 staged: ImmutableRows | None = None) -> None:
        self.c = connection
        # Attributes are shared by every block of an issuance: build each object once.
        self._shared = shared or ImmutableRows()
        self._staged = staged or ImmutableRows()

    def _block(self, row: Sequence[Any]) -> Block:
        """A block from a row of ``_BLOCK_COLUMNS`` (a Core row or a plain DBAPI tuple), or of
        its first six (the issuance's attributes are then cached or read)."""
        block_id, root_id, account_id, serial_start, serial_end, reservation_id = row[:6]
        attributes = self._shared.attributes.get(root_id) or self._staged.attributes.get(root_id)
        if attributes is None:
            if row[6:]:
                attributes = _credit_attributes(row[6:])
            else:
                issuance = self.issuance(root_id)
                if issuance is None:
                    raise RuntimeError(f"block {block_id} names issuance {root_id}, which "
                                       "does not exist")
                attributes = issuance[0]
            self._staged.attributes[root_id] = attributes
        return Block(block_id, root_id, account_id, SerialRange(serial_start, serial_end),
                     attributes, reservation_id)  # positional: see domain.ledger.blocks

    def add_issuance(self, *, root_id: int, attributes: CreditAttributes, issued_seq: int,
                     start: int, end: int) -> None:
        self._staged.attributes[root_id] = attributes
        self.c.execute(
            insert(t.issuances).values(
                root_id=root_id,
                scheme=attributes.scheme.value,
                credit_type=attributes.credit_type.value,
                category=attributes.category.value,
                project_id=attributes.project_id,
                methodology_id=attributes.methodology_id,
                methodology_version=attributes.methodology_version,
                certification_number=attributes.certification_number,
                vintage=attributes.vintage,
                serial_start=start,
                serial_end=end,
                issued_seq=issued_seq,
            )
        )

    def issuance(self, root_id: int) -> tuple[CreditAttributes, SerialRange] | None:
        """The attributes and serial range an issuance was made with."""
        row = _ISSUANCE.fetch_one(self.c, {"root_id": root_id})
        if row is None:
            return None
        return _credit_attributes(row[:8]), SerialRange(row[8], row[9])

    def issued_certification(self, certification_number: str) -> int | None:
        """The first issuance (root block id) made under a 認証番号, if any."""
        return self.c.execute(
            select(func.min(t.issuances.c.root_id))
            .where(t.issuances.c.certification_number == certification_number)).scalar()

    def add(self, blocks: Sequence[Block], *, created_seq: int) -> None:
        if not blocks:
            return
        _ADD_BLOCKS.execute_many(
            self.c,
            [
                {
                    "id": b.id,
                    "root_id": b.root_id,
                    "account_id": b.account_id,
                    "serial_start": b.serials.start,
                    "serial_end": b.serials.end,
                    "reservation_id": b.reservation_id,
                    "created_seq": created_seq,
                    "closed_seq": None,
                    "vintage": b.attributes.vintage,
                }
                for b in blocks
            ],
        )

    def close(self, block_ids: Sequence[int], *, closed_seq: int) -> None:
        for block_id in block_ids:
            if _CLOSE_BLOCK.run(self.c, {"block_id": block_id, "closed_seq": closed_seq}) != 1:
                raise RuntimeError(
                    f"block {block_id} to supersede is no longer live (concurrent change)")

    def available(self, account_id: int, *, serials: SerialRange | None = None
                  ) -> Iterator[Block]:
        if serials is None:
            cursor = _AVAILABLE_IN_ORDER.execute(self.c, {"account_id": account_id})
        else:
            cursor = _AVAILABLE_OVERLAPPING.execute(
                self.c, {"account_id": account_id, "start": serials.start, "end": serials.end})
        try:
            chunk = _FIRST_CHUNK
            while rows := cursor.fetchmany(chunk):
                for row in rows:
                    yield self._block(row)
                chunk = _FETCH_CHUNK
        finally:
            cursor.close()

    def reserved_for(self, application_id: int) -> list[Block]:
        rows = self.c.execute(
            _LIVE_BLOCKS.where(
                t.blocks.c.reservation_id == application_id, t.blocks.c.closed_seq.is_(None)
            ).order_by(t.blocks.c.serial_start)
        )
        return [self._block(r) for r in rows]

    def live_in_account(self, account_id: int) -> list[Block]:
        rows = self.c.execute(
            _LIVE_BLOCKS.where(
                t.blocks.c.account_id == account_id, t.blocks.c.closed_seq.is_(None)
            ).order_by(t.blocks.c.serial_start)
        )
        return [self._block(r) for r in rows]

    def balances(self) -> dict[int, int]:
        rows = self.c.execute(
            select(
                t.blocks.c.account_id,
                func.sum(t.blocks.c.serial_end - t.blocks.c.serial_start + 1).label("total"),
            )
            .where(t.blocks.c.closed_seq.is_(None))
            .group_by(t.blocks.c.account_id)
        )
        return {r.account_id: int(r.total) for r in rows}

    def seqs_touching(self, account_id: int) -> list[int]:
        """The journal seqs that created or closed a block of the account, oldest first."""
        blocks = t.blocks.c
        created = select(blocks.created_seq.label("seq")).where(blocks.account_id == account_id)
        closed = select(blocks.closed_seq.label("seq")).where(
            blocks.account_id == account_id, blocks.closed_seq.isnot(None))
        return sorted({int(r.seq) for r in self.c.execute(created.union(closed))})

    def placements(self, block_ids: Sequence[int]) -> dict[int, tuple[int, int | None]]:
        """Account and reservation of each block (closed or live), by block id."""
        found: dict[int, tuple[int, int | None]] = {}
        ids = sorted(set(block_ids))
        for start in range(0, len(ids), 500):
            rows = self.c.execute(select(t.blocks.c.id, t.blocks.c.account_id,
                                         t.blocks.c.reservation_id)
                                  .where(t.blocks.c.id.in_(ids[start:start + 500])))
            found |= {int(r.id): (int(r.account_id), r.reservation_id) for r in rows}
        return found


def _entry(row: Any) -> JournalEntry:
    return JournalEntry(
        seq=row.seq,
        recorded_at=row.recorded_at,
        actor=row.actor,
        request_id=row.request_id,
        idempotency_key=row.idempotency_key,
        command=row.command,
        payload=json.loads(row.payload),
        postings=json.loads(row.postings),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class SqlJournalRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    _ADD = Prepared(insert(t.journal))

    def add(self, entry: JournalEntry, *, payload_json: str | None = None,
            postings_json: str | None = None) -> None:
        self._ADD.run(self.c, {
            "seq": entry.seq,
            "recorded_at": entry.recorded_at,
            "actor": entry.actor,
            "request_id": entry.request_id,
            "idempotency_key": entry.idempotency_key,
            "command": entry.command,
            "payload": payload_json if payload_json is not None
            else canonical_json(entry.payload),
            "postings": postings_json if postings_json is not None
            else canonical_json(list(entry.postings)),
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
        })

    def iterate(self) -> Iterator[JournalEntry]:
        last = 0
        while True:
            rows = self.c.execute(
                select(t.journal).where(t.journal.c.seq > last).order_by(t.journal.c.seq)
                .limit(5000)
            ).all()
            if not rows:
                return
            for row in rows:
                yield _entry(row)
            last = rows[-1].seq

    def page(self, *, limit: int, before_seq: int | None = None,
             filters: JournalFilter | None = None) -> list[JournalEntry]:
        query = select(t.journal).order_by(t.journal.c.seq.desc()).limit(limit)
        if before_seq is not None:
            query = query.where(t.journal.c.seq < before_seq)
        if filters is not None:
            j = t.journal.c
            if filters.commands:
                query = query.where(j.command.in_(filters.commands))
            if filters.actor:
                query = query.where(j.actor == filters.actor)
            if filters.since:
                query = query.where(j.recorded_at >= filters.since)
            if filters.until:
                query = query.where(j.recorded_at < filters.until)
            if filters.mentions:  # a quoted JSON string in the payload: an account number
                text = "".join(ch for ch in filters.mentions if ch not in '\\%"')
                pattern = '%"' + text.replace("_", "\\_") + '"%'
                query = query.where(j.payload.like(pattern, escape="\\"))
        return [_entry(r) for r in self.c.execute(query)]

    def entries(self, seqs: Sequence[int]) -> list[JournalEntry]:
        """The entries with these seqs, oldest first."""
        found: list[JournalEntry] = []
        ordered = sorted(set(seqs))
        for start in range(0, len(ordered), 500):
            query = select(t.journal).where(t.journal.c.seq.in_(ordered[start:start + 500])) \
                .order_by(t.journal.c.seq)
            found.extend(_entry(r) for r in self.c.execute(query))
        return found

    def get(self, seq: int) -> JournalEntry | None:
        row = self.c.execute(select(t.journal).where(t.journal.c.seq == seq)).one_or_none()
        return _entry(row) if row else None


class SqlIdempotencyRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    _GET = Prepared(
        select(t.idempotency_keys.c.fingerprint, t.idempotency_keys.c.status_code,
               t.idempotency_keys.c.body, t.idempotency_keys.c.journal_seq)
        .where(t.idempotency_keys.c.actor_key == bindparam("actor_key"),
               t.idempotency_keys.c.key == bindparam("key"))
    )
    _ADD = Prepared(insert(t.idempotency_keys))

    def get(self, actor_key: str, key: str) -> StoredResponse | None:
        row = self._GET.fetch_one(self.c, {"actor_key": actor_key, "key": key})
        return StoredResponse(*row) if row else None

    def add(self, actor_key: str, key: str, response: StoredResponse, *, created_at: str
            ) -> None:
        self._ADD.run(self.c, {
            "actor_key": actor_key, "key": key, "fingerprint": response.fingerprint,
            "status_code": response.status_code, "body": response.body,
            "journal_seq": response.journal_seq, "created_at": created_at,
        })


def _application(row: Any) -> InvalidationApplication:
    serials = (
        SerialRange(row.serial_start, row.serial_end) if row.serial_start is not None else None
    )
    return InvalidationApplication(
        id=row.id,
        account_id=row.account_id,
        quantity=row.quantity,
        serials=serials,
        use=InvalidationUse(row.use),
        offset_purpose=OffsetPurpose(row.offset_purpose) if row.offset_purpose else None,
        purpose_details=row.purpose_details,
        credit_user_name=row.credit_user_name,
        credit_user_corporate_number=row.credit_user_corporate_number,
        reporting_fiscal_year=row.reporting_fiscal_year,
        status=ApplicationStatus(row.status),
        applied_at=row.applied_at,
        applied_by=row.applied_by,
        executed_at=row.executed_at,
        executed_by=row.executed_by,
        notice_number=row.notice_number,
        executed_seq=row.executed_seq,
        published=bool(row.published),
    )


def _application_values(app: InvalidationApplication) -> dict[str, Any]:
    return {
        "id": app.id,
        "account_id": app.account_id,
        "quantity": app.quantity,
        "serial_start": app.serials.start if app.serials else None,
        "serial_end": app.serials.end if app.serials else None,
        "use": app.use.value,
        "offset_purpose": app.offset_purpose.value if app.offset_purpose else None,
        "purpose_details": app.purpose_details,
        "credit_user_name": app.credit_user_name,
        "credit_user_corporate_number": app.credit_user_corporate_number,
        "reporting_fiscal_year": app.reporting_fiscal_year,
        "status": app.status.value,
        "applied_at": app.applied_at,
        "applied_by": app.applied_by,
        "executed_at": app.executed_at,
        "executed_by": app.executed_by,
        "notice_number": app.notice_number,
        "executed_seq": app.executed_seq,
        "published": app.published,
    }


class SqlNotificationRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def add(self, *, organisation_id: int, account_number: str, kind: str, journal_seq: int,
            created_at: str) -> None:
        self.c.execute(insert(t.notifications).values(
            organisation_id=organisation_id, account_number=account_number, kind=kind,
            journal_seq=journal_seq, created_at=created_at))

    def for_organisation(self, organisation_id: int, *, limit: int = 20
                         ) -> builtins.list[dict[str, Any]]:
        n = t.notifications
        rows = self.c.execute(
            select(n.c.account_number, n.c.kind, n.c.journal_seq, n.c.created_at)
            .where(n.c.organisation_id == organisation_id).order_by(n.c.id.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]


class SqlInvalidationRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def next_id(self) -> int:
        # Safe: called only under the registry write lock.
        current = self.c.execute(select(func.max(t.invalidation_applications.c.id))).scalar()
        return int(current or 0) + 1

    def add(self, application: InvalidationApplication) -> None:
        self.c.execute(insert(t.invalidation_applications).values(
            **_application_values(application)))

    def get(self, application_id: int) -> InvalidationApplication | None:
        row = self.c.execute(
            select(t.invalidation_applications).where(
                t.invalidation_applications.c.id == application_id
            )
        ).one_or_none()
        return _application(row) if row else None

    def update(self, application: InvalidationApplication) -> None:
        values = _application_values(application)
        values.pop("id")
        result = self.c.execute(
            update(t.invalidation_applications)
            .where(
                t.invalidation_applications.c.id == application.id,
                # An executed application is never written again.
                t.invalidation_applications.c.status == ApplicationStatus.PENDING.value,
            )
            .values(**values)
        )
        if result.rowcount != 1:
            raise RuntimeError(f"application {application.id} is no longer pending")

    def list(self, *, status: ApplicationStatus | None = None,
             account_ids: Sequence[int] | None = None, published: bool | None = None
             ) -> list[InvalidationApplication]:
        query = select(t.invalidation_applications).order_by(t.invalidation_applications.c.id)
        if published is not None:
            query = query.where(t.invalidation_applications.c.published.is_(published))
        if status is not None:
            query = query.where(t.invalidation_applications.c.status == status.value)
        if account_ids is not None:
            query = query.where(t.invalidation_applications.c.account_id.in_(list(account_ids)))
        return [_application(r) for r in self.c.execute(query)]


def _user(row: Any) -> User:
    return User(row.id, row.username, row.display_name, Role(row.role), row.organisation_id,
                row.password_hash)


class SqlUserRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def add(self, *, username: str, display_name: str, role: Role, organisation_id: int | None,
            password_hash: str) -> User:
        result = self.c.execute(
            insert(t.users).values(
                username=username, display_name=display_name, role=role.value,
                organisation_id=organisation_id, password_hash=password_hash,
            )
        )
        assert result.inserted_primary_key is not None
        return User(result.inserted_primary_key[0], username, display_name, role,
                    organisation_id, password_hash)

    def get(self, user_id: int) -> User | None:
        row = self.c.execute(select(t.users).where(t.users.c.id == user_id)).one_or_none()
        return _user(row) if row else None

    def by_username(self, username: str) -> User | None:
        row = self.c.execute(select(t.users).where(t.users.c.username == username)).one_or_none()
        return _user(row) if row else None

    def list(self) -> list[User]:
        return [_user(r) for r in self.c.execute(select(t.users).order_by(t.users.c.id))]

    def add_token(self, *, user_id: int, token_hash: str, created_at: str, expires_at: str
                  ) -> None:
        self.c.execute(insert(t.api_tokens).values(
            token_hash=token_hash, user_id=user_id, created_at=created_at, expires_at=expires_at))

    def set_password(self, user_id: int, password_hash: str) -> None:
        self.c.execute(update(t.users).where(t.users.c.id == user_id)
                       .values(password_hash=password_hash))

    _USER_COLUMNS = (t.users.c.id, t.users.c.username, t.users.c.display_name, t.users.c.role,
                     t.users.c.organisation_id, t.users.c.password_hash)

    # Every API request authenticates: a prepared statement keeps this off the hot path.
    _FOR_TOKEN = Prepared(
        select(*_USER_COLUMNS, t.api_tokens.c.id, t.api_tokens.c.last_used_at)
        .join(t.api_tokens, t.api_tokens.c.user_id == t.users.c.id)
        .where(t.api_tokens.c.token_hash == bindparam("token_hash"),
               t.api_tokens.c.expires_at > bindparam("now"))
    )

    def user_for_token(self, token_hash: str, *, now: str) -> CredentialUse | None:
        row = self._FOR_TOKEN.fetch_one(self.c, {"token_hash": token_hash, "now": now})
        if row is None:
            return None
        user_id, username, display_name, role, organisation_id, password_hash, key, used = row
        return CredentialUse(User(user_id, username, display_name, Role(role), organisation_id,
                                  password_hash), key, used)

    def touch_token(self, token_id: int, at: str) -> None:
        self.c.execute(update(t.api_tokens).where(t.api_tokens.c.id == token_id)
                       .values(last_used_at=at))

    def tokens_of(self, user_id: int, *, now: str) -> builtins.list[dict[str, Any]]:
        tokens = t.api_tokens
        rows = self.c.execute(
            select(tokens.c.id, tokens.c.created_at, tokens.c.expires_at, tokens.c.last_used_at)
            .where(tokens.c.user_id == user_id, tokens.c.expires_at > now)
            .order_by(tokens.c.id))
        return [dict(row._mapping) for row in rows]

    def delete_token(self, user_id: int, token_id: int) -> bool:
        tokens = t.api_tokens
        return bool(self.c.execute(tokens.delete().where(
            tokens.c.id == token_id, tokens.c.user_id == user_id)).rowcount)

    def delete_token_hash(self, token_hash: str) -> bool:
        tokens = t.api_tokens
        return bool(self.c.execute(
            tokens.delete().where(tokens.c.token_hash == token_hash)).rowcount)

    def add_session(self, *, id_hash: str, user_id: int, created_at: str,
                    expires_at: str) -> None:
        self.c.execute(insert(t.web_sessions).values(
            id_hash=id_hash, user_id=user_id, created_at=created_at, last_seen_at=created_at,
            expires_at=expires_at))

    _FOR_SESSION = Prepared(
        select(*_USER_COLUMNS, t.web_sessions.c.last_seen_at)
        .join(t.web_sessions, t.web_sessions.c.user_id == t.users.c.id)
        .where(t.web_sessions.c.id_hash == bindparam("id_hash"),
               t.web_sessions.c.expires_at > bindparam("now"),
               t.web_sessions.c.last_seen_at > bindparam("idle_since"))
    )

    def user_for_session(self, id_hash: str, *, now: str, idle_since: str
                         ) -> CredentialUse | None:
        row = self._FOR_SESSION.fetch_one(
            self.c, {"id_hash": id_hash, "now": now, "idle_since": idle_since})
        if row is None:
            return None
        user_id, username, display_name, role, organisation_id, password_hash, seen = row
        return CredentialUse(User(user_id, username, display_name, Role(role), organisation_id,
                                  password_hash), id_hash, seen)

    def touch_session(self, id_hash: str, at: str) -> None:
        self.c.execute(update(t.web_sessions).where(t.web_sessions.c.id_hash == id_hash)
                       .values(last_seen_at=at))

    def delete_session(self, id_hash: str) -> bool:
        sessions = t.web_sessions
        return bool(self.c.execute(
            sessions.delete().where(sessions.c.id_hash == id_hash)).rowcount)

    def purge_expired(self, *, now: str, idle_since: str) -> None:
        """Forget tokens and sessions that can no longer be used (small tables: a scan)."""
        tokens, sessions = t.api_tokens, t.web_sessions
        self.c.execute(tokens.delete().where(tokens.c.expires_at <= now))
        self.c.execute(sessions.delete().where(
            (sessions.c.expires_at <= now) | (sessions.c.last_seen_at <= idle_since)))

    def revoke_all(self, user_id: int, *, keep: str | None = None) -> tuple[int, int]:
        tokens, sessions = t.api_tokens, t.web_sessions
        token_rows = self.c.execute(tokens.delete().where(
            tokens.c.user_id == user_id, tokens.c.token_hash != (keep or ""))).rowcount
        session_rows = self.c.execute(sessions.delete().where(
            sessions.c.user_id == user_id, sessions.c.id_hash != (keep or ""))).rowcount
        return token_rows, session_rows
