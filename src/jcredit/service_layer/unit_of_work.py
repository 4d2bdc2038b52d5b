"""The unit of work and the repositories it offers (ports; adapters implement them).

One unit of work is one database transaction. Write units begin by locking the registry
state row (:meth:`RegistryStateRepository.lock`): that serialises writers, which the hash
chain needs anyway (each entry names the one before), and gives every command a consistent
view of balances, so two transfers racing on one account can never overdraw it.
The unit rolls back unless the handler commits.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any
from typing import Protocol

from jcredit.domain.dmrv.devices import Device
from jcredit.domain.dmrv.devices import DeviceKey
from jcredit.domain.ledger.accounts import Account
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.blocks import Block
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.invalidations import InvalidationApplication
from jcredit.domain.ledger.journal import JournalEntry
from jcredit.domain.ledger.serials import SerialRange
from jcredit.domain.organisations import Organisation
from jcredit.domain.projects.model import Activity
from jcredit.domain.projects.model import MonitoringPeriod
from jcredit.domain.projects.model import Project
from jcredit.service_layer.actors import Role


@dataclass
class RegistryState:
    """Registry-wide counters and the head of the journal, updated under the write lock."""

    next_serial: int
    next_block_id: int
    next_account_seq: int
    head_seq: int
    head_hash: str


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """What an idempotency key returned the first time.

    ``body`` is None when the response was journal entry ``journal_seq``'s payload plus that
    sequence number: the entry holds it already, and a replay rebuilds the same bytes.
    """

    fingerprint: str
    status_code: int
    body: str | None
    journal_seq: int | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    password_hash: str


@dataclass(frozen=True)
class JournalFilter:
    """What the auditor's journal is narrowed to: command names, the actor (``user:NAME``),
    UTC ISO bounds (``since`` inclusive, ``until`` exclusive) and a text the payload names
    as a whole JSON string (an account or project number)."""

    commands: tuple[str, ...] = ()
    actor: str | None = None
    since: str | None = None
    until: str | None = None
    mentions: str | None = None


class RegistryStateRepository(Protocol):
    def lock(self) -> RegistryState: ...
    def save(self, state: RegistryState) -> None: ...


class OrganisationRepository(Protocol):
    def add(self, *, name: str, corporate_number: str) -> Organisation: ...
    def get(self, organisation_id: int) -> Organisation | None: ...
    def by_corporate_number(self, corporate_number: str) -> Organisation | None: ...
    def list(self) -> list[Organisation]: ...


class AccountRepository(Protocol):
    def add(
        self, *, number: str, kind: AccountKind, organisation_id: int | None, name: str,
        opened_at: str,
    ) -> Account: ...
    def get(self, account_id: int) -> Account | None: ...
    def by_number(self, number: str) -> Account | None: ...
    def registry_account(self, kind: AccountKind) -> Account: ...
    def list(self, *, organisation_id: int | None = None) -> list[Account]: ...
    def kinds(self) -> dict[int, AccountKind]: ...


class BlockRepository(Protocol):
    def add_issuance(self, *, root_id: int, attributes: CreditAttributes, issued_seq: int,
                     start: int, end: int) -> None: ...
    def issuance(self, root_id: int) -> tuple[CreditAttributes, SerialRange] | None: ...
    def issued_certification(self, certification_number: str) -> int | None: ...
    def add(self, blocks: Sequence[Block], *, created_seq: int) -> None: ...
    def close(self, block_ids: Sequence[int], *, closed_seq: int) -> None: ...
    def available(self, account_id: int, *, serials: SerialRange | None = None
                  ) -> Iterable[Block]:
        """Live, unreserved blocks of an account: those overlapping ``serials`` in serial
        order, or (no serials) all of them in allocation order, read lazily."""
        ...
    def reserved_for(self, application_id: int) -> list[Block]: ...
    def live_in_account(self, account_id: int) -> list[Block]: ...
    def balances(self) -> dict[int, int]: ...
    def seqs_touching(self, account_id: int) -> list[int]: ...
    def placements(self, block_ids: Sequence[int]) -> dict[int, tuple[int, int | None]]: ...


class ProjectionRepository(Protocol):
    def rows(self, table: str) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        """The stored rows of a journal-determined table (``domain.ledger.projection``):
        ``(key, row)`` with the fields of ``TABLE_FIELDS[table]``, in key order, streamed."""
        ...
    def issuances(self, *, root_ids: Sequence[int] | None = None,
                  certification_number: str | None = None,
                  organisation_id: int | None = None,
                  ) -> list[tuple[int, CreditAttributes, int, int, int]]: ...
    def account_kinds(self) -> dict[int, AccountKind]: ...
    def live_quantities(self, root_ids: Sequence[int] | None = None
                        ) -> list[tuple[int, str, bool, int]]: ...
    def removed_from(self, account_id: int, account_number: str) -> dict[str, int]: ...


class JournalRepository(Protocol):
    def add(self, entry: JournalEntry, *, payload_json: str | None = None,
            postings_json: str | None = None) -> None: ...
    def iterate(self) -> Iterator[JournalEntry]: ...
    def page(self, *, limit: int, before_seq: int | None = None,
             filters: JournalFilter | None = None) -> list[JournalEntry]: ...
    def get(self, seq: int) -> JournalEntry | None: ...
    def entries(self, seqs: Sequence[int]) -> list[JournalEntry]: ...


class IdempotencyRepository(Protocol):
    def get(self, actor_key: str, key: str) -> StoredResponse | None: ...
    def add(self, actor_key: str, key: str, response: StoredResponse, *, created_at: str
            ) -> None: ...


class InvalidationRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, application: InvalidationApplication) -> None: ...
    def get(self, application_id: int) -> InvalidationApplication | None: ...
    def update(self, application: InvalidationApplication) -> None: ...
    def list(self, *, status: ApplicationStatus | None = None,
             account_ids: Sequence[int] | None = None) -> list[InvalidationApplication]: ...


@dataclass(frozen=True, slots=True)
class CredentialUse:
    """A user found through an API token or a web session: which one, and when it was last
    used (the lookup refreshes that at most once a minute)."""

    user: User
    key: int | str  # the token's id, or the session's id hash
    last_used: str | None


class UserRepository(Protocol):
    def add(self, *, username: str, display_name: str, role: Role,
            organisation_id: int | None, password_hash: str) -> User: ...
    def get(self, user_id: int) -> User | None: ...
    def by_username(self, username: str) -> User | None: ...
    def list(self) -> list[User]: ...
    def set_password(self, user_id: int, password_hash: str) -> None: ...
    def add_token(self, *, user_id: int, token_hash: str, created_at: str,
                  expires_at: str) -> None: ...
    def user_for_token(self, token_hash: str, *, now: str) -> CredentialUse | None: ...
    def touch_token(self, token_id: int, at: str) -> None: ...
    def tokens_of(self, user_id: int, *, now: str) -> builtins.list[dict[str, Any]]: ...
    def delete_token(self, user_id: int, token_id: int) -> bool: ...
    def delete_token_hash(self, token_hash: str) -> bool: ...
    def add_session(self, *, id_hash: str, user_id: int, created_at: str,
                    expires_at: str) -> None: ...
    def user_for_session(self, id_hash: str, *, now: str,
                         idle_since: str) -> CredentialUse | None: ...
    def touch_session(self, id_hash: str, at: str) -> None: ...
    def delete_session(self, id_hash: str) -> bool: ...
    def purge_expired(self, *, now: str, idle_since: str) -> None: ...
    def revoke_all(self, user_id: int, *, keep: str | None = None) -> tuple[int, int]:
        """Delete the user's tokens and sessions except the one whose hash is ``keep``;
        returns (tokens, sessions) deleted."""
        ...


@dataclass(frozen=True, slots=True)
class ProjectEvent:
    """One step of a project's timeline (mirrors its journal entry)."""

    project_id: int
    period_number: int | None
    action: str
    from_state: str | None
    to_state: str | None
    actor: str
    at: str
    comment: str
    journal_seq: int


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A version of a structured document (plan, monitoring report, reports, decision)."""

    project_id: int
    period_number: int | None
    kind: str
    version: int
    content: str  # canonical JSON
    sha256: str
    created_by: str
    created_at: str


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """An evidence file, named by the SHA-256 of its bytes."""

    sha256: str
    project_id: int
    filename: str
    media_type: str
    size: int
    uploaded_by: str
    uploaded_at: str


class ProjectRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, project: Project) -> None: ...
    def update(self, project: Project) -> None: ...
    def get(self, project_id: int) -> Project | None: ...
    def by_number(self, number: str) -> Project | None: ...
    def find(self, *, organisation_id: int | None = None, verifier_org_id: int | None = None,
             states: tuple[str, ...] | None = None) -> list[Project]: ...
    def next_activity_id(self) -> int: ...
    def add_activity(self, activity: Activity) -> None: ...
    def add_activities(self, activities: list[Activity]) -> None: ...
    def update_activity(self, activity: Activity) -> None: ...
    def remove_activity(self, activity_id: int) -> None: ...
    def activities(self, project_id: int) -> list[Activity]: ...
    def site_registrations(self, site_keys: list[str]) -> dict[str, str]: ...
    def add_external(self, *, site_key: str, scheme: str, reference: str, address: str,
                     imported_at: str) -> bool: ...
    def external_matches(self, site_keys: list[str]) -> dict[str, str]: ...
    def next_period_id(self) -> int: ...
    def add_period(self, period: MonitoringPeriod) -> None: ...
    def update_period(self, period: MonitoringPeriod) -> None: ...
    def periods(self, project_id: int) -> list[MonitoringPeriod]: ...
    def add_period_issuance(self, *, period_id: int, vintage: int, root_id: int,
                            quantity: int) -> None: ...
    def period_issuances(self, period_id: int) -> list[dict[str, int]]: ...
    def add_event(self, event: ProjectEvent) -> None: ...
    def add_events(self, events: list[ProjectEvent]) -> None: ...
    def events(self, project_id: int) -> list[ProjectEvent]: ...
    def add_document(self, document: DocumentRecord) -> None: ...
    def document_versions(self, project_id: int, kind: str,
                          period_number: int | None) -> int: ...
    def documents(self, project_id: int) -> list[DocumentRecord]: ...
    def add_evidence(self, evidence: EvidenceRecord) -> None: ...
    def evidence(self, project_id: int) -> list[EvidenceRecord]: ...
    def accredit(self, organisation_id: int, scope: str, *, granted_at: str) -> None: ...
    def scopes(self, organisation_id: int) -> list[str]: ...


class NotificationRepository(Protocol):
    """Notices to an organisation about something done to its accounts by someone else
    (a registry correction): each names the journal entry that says what and why."""

    def add(self, *, organisation_id: int, account_number: str, kind: str, journal_seq: int,
            created_at: str) -> None: ...
    def for_organisation(self, organisation_id: int, *, limit: int = 20
                         ) -> builtins.list[dict[str, Any]]: ...


class DeviceRepository(Protocol):
    """The dMRV device registry (docs/dmrv.md §1). ``get`` answers batch ingestion: the
    device with its site, channels and every key (raw bytes, status and times)."""

    def add(self, device: Device) -> None: ...
    def add_many(self, devices: Sequence[Device]) -> None: ...
    def get(self, device_id: str) -> Device | None: ...
    def of_project(self, project_id: int) -> builtins.list[Device]: ...
    def of_activity(self, activity_id: int) -> builtins.list[Device]: ...
    def registered(self, device_ids: Sequence[str]) -> dict[str, str]:
        """Which of ``device_ids`` exist already: device id → its site."""
        ...
    def key_owners(self, public_keys: Sequence[bytes]) -> dict[bytes, str]:
        """Which of ``public_keys`` are already a device's key: key → device id."""
        ...
    def public_keys(self) -> dict[str, bytes]:
        """Every key ever registered, key id → raw public key (for the parsing workers)."""
        ...
    def add_key(self, device_id: str, key: DeviceKey) -> None: ...
    def retire_key(self, device_id: str, key_id: str, at: datetime) -> None: ...
    def revoke_key(self, device_id: str, key_id: str, at: datetime) -> None: ...
    def remove_of_activity(self, activity_id: int) -> builtins.list[str]:
        """Delete the devices of an activity taken out of a draft, and their keys; their
        ids."""
        ...


class BatchRepository(Protocol):
    """The batches devices sent (docs/dmrv.md §3): receipts for replays, the head of each
    device's hash chain, the accepted batches a new one overlaps, refusals."""

    def receipts(self, hashes: Iterable[str]) -> dict[str, str]: ...
    def head(self, device_id: str) -> tuple[int, str] | None: ...
    def heads(self, device_ids: Iterable[str]) -> dict[str, tuple[int, str]]: ...
    def accepted_spans(self, device_ids: Iterable[str], since: int
                       ) -> builtins.list[tuple[str, str, str, int, int]]: ...
    def raw_locations(self, hashes: Iterable[str]) -> dict[str, str]: ...
    def add_many(self, rows: builtins.list[dict[str, Any]]) -> None: ...
    def add_refusals(self, rows: builtins.list[dict[str, Any]]) -> None: ...
    def groups(self) -> set[str]: ...
    def decisions(self, project_id: int, period: int) -> dict[str, dict[str, Any]]: ...
    def decide(self, row: dict[str, Any]) -> None: ...
    def of_device(self, device_id: str, *, limit: int = 50) -> builtins.list[dict[str, Any]]: ...
    def of_sites(self, sites: Iterable[str], *, status: str | None = None,
                 limit: int = 200) -> builtins.list[dict[str, Any]]: ...
    def get(self, digest: str) -> dict[str, Any] | None: ...
    def refusals(self, device_ids: Iterable[str], *, limit: int = 50
                 ) -> builtins.list[dict[str, Any]]: ...
    def counts(self, sites: Iterable[str]) -> dict[str, int]: ...
    def extent(self, sites: Iterable[str]) -> tuple[int, int] | None:
        """First start and last end (epoch s) of the sites' accepted batches."""
        ...


class AbstractUnitOfWork(abc.ABC):
    """A transaction with the repositories bound to it; rolls back unless committed."""

    registry_state: RegistryStateRepository
    organisations: OrganisationRepository
    accounts: AccountRepository
    blocks: BlockRepository
    journal: JournalRepository
    idempotency: IdempotencyRepository
    invalidations: InvalidationRepository
    users: UserRepository
    projects: ProjectRepository
    projections: ProjectionRepository
    notifications: NotificationRepository
    devices: DeviceRepository
    dmrv: BatchRepository

    def __enter__(self) -> AbstractUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


class WriterBusyError(Exception):
    """A write unit of work asked not to wait (``wait=False``) found the writer busy, or
    the database cannot promise a write without waiting. Nothing was read or written."""


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool, wait: bool = True,
                 one_statement: bool = False) -> AbstractUnitOfWork:
        """``wait=False`` (write units only): raise :class:`WriterBusyError` on entry instead
        of waiting for another writer, so that an event loop can run a short command
        itself when the writer is free and hand it to a thread otherwise.

        ``one_statement=True`` (read units only): the unit runs a single read statement, so
        it needs no snapshot shared between statements (and may skip the transaction)."""
        ...


JsonDict = dict[str, Any]
