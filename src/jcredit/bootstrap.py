"""Composition root: the one place that picks implementations and wires them together."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from jcredit.adapters.db.engine import build_engine
from jcredit.adapters.db.migrate import upgrade
from jcredit.adapters.db.unit_of_work import SqlAlchemyUnitOfWorkFactory
from jcredit.adapters.dmrv.signing import verify as verify_signature
from jcredit.adapters.dmrv.site_readings import StoredSiteReadings
from jcredit.adapters.dmrv.stores import RawBatchStore
from jcredit.adapters.dmrv.stores import ReadingsStore
from jcredit.adapters.evidence_store import LocalEvidenceStore
from jcredit.adapters.passwords import Argon2PasswordHasher
from jcredit.adapters.process_pool import ProcessPool
from jcredit.adapters.process_pool import default_processes
from jcredit.config import Settings
from jcredit.domain.errors import AuthenticationError
from jcredit.domain.errors import NotFoundError
from jcredit.service_layer import commands
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.dmrv.ingest import Ingestor
from jcredit.service_layer.handlers import HANDLERS
from jcredit.service_layer.login_throttle import LoginThrottle
from jcredit.service_layer.messagebus import MessageBus
from jcredit.service_layer.messagebus import Policy
from jcredit.service_layer.unit_of_work import User
from jcredit.service_layer.unit_of_work import WriterBusyError

SYSTEM_ACTOR = Actor(name="system", role=Role.ADMIN, via="system")
TOUCH_EVERY = timedelta(minutes=1)  # how often a token's or session's last use is written


@dataclass
class Registry:
    """Everything an entrypoint needs: settings, the bus, units of work, auth helpers."""

    settings: Settings
    engine: Engine
    bus: MessageBus
    uow: SqlAlchemyUnitOfWorkFactory
    passwords: Argon2PasswordHasher
    clock: Callable[[], datetime]
    evidence: LocalEvidenceStore
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    _readings: ReadingsStore | None = None
    _ingestor: Ingestor | None = None
    _pool: ProcessPool | None = None

    @property
    def readings(self) -> ReadingsStore:
        """The Parquet readings store (docs/dmrv.md §3), opened on first use."""
        if self._readings is None:
            store = ReadingsStore(self.settings.readings_url)
            store.upgrade()  # a store an older version wrote gains what this one reads
            self._readings = store
        return self._readings

    @property
    def raw_batches(self) -> RawBatchStore:
        return RawBatchStore(self.settings.data_dir / "batches")

    def raw_batch(self, digest: str) -> tuple[bytes, str]:
        """A received batch's signed bytes and signature, re-hashed (docs/dmrv.md §3)."""
        with self.uow(write=False) as uow:
            location = uow.dmrv.raw_locations([digest]).get(digest)
        if location is None:
            raise NotFoundError(f"no batch {digest}", field="batch")
        return self.raw_batches.get(digest, location)

    @property
    def ingestor(self) -> Ingestor:
        """The one ingestion pipeline for HTTP, MQTT and file import; on first use it
        finishes what a crash between commit and publication left."""
        if self._ingestor is None:
            processes = self.settings.ingest_processes
            self._pool = ProcessPool(default_processes() if processes is None else processes,
                                     preload=["jcredit.service_layer.dmrv.ingest",
                                              "jcredit.adapters.dmrv.signing"])
            self._ingestor = Ingestor(self.uow, self.raw_batches, self.readings,
                                      verify_signature, self.clock, pool=self._pool,
                                      all_keys=lambda uow: uow.devices.public_keys())
            self._ingestor.recover()
        return self._ingestor

    def energy(self, engine: str = "duckdb", *, master: str = "local[2]") -> Any:
        """The settlement engine over the readings store (docs/dmrv.md §9): ``duckdb``
        (embedded) or ``spark`` (``master``: ``local[N]`` or a cluster's URL)."""
        from jcredit.adapters.dmrv.settlement import ReadingsEnergy
        from jcredit.adapters.dmrv.settlement import engine as make_engine

        return ReadingsEnergy(self.readings, make_engine(engine, master=master))

    @property
    def site_readings(self) -> StoredSiteReadings:
        """A site's readings and their physics context, for its page (docs/dmrv.md §8)."""
        return StoredSiteReadings(self.readings)

    def read(self) -> object:
        return self.uow(write=False)

    def authenticate(self, username: str, password: str) -> User:
        with self.uow(write=False) as uow:
            user = uow.users.by_username(username.strip().lower())
        # An unknown user costs one Argon2 verification too (timing tells nothing).
        password_hash = user.password_hash if user is not None else self.passwords.dummy_hash
        if not self.passwords.verify(password_hash, password) or user is None:
            raise AuthenticationError("wrong username or password")
        return user

    def issue_token(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.uow(write=True) as uow:
            uow.users.purge_expired(now=now.isoformat(), idle_since=self._idle_since(now))
            uow.users.add_token(
                user_id=user.id,
                token_hash=hash_token(token),
                created_at=now.isoformat(),
                expires_at=(now + timedelta(hours=self.settings.token_lifetime_hours)).isoformat(),
            )
            uow.commit()
        return token

    def user_for_token(self, token: str) -> User | None:
        """The token's user, if it is neither expired nor revoked: one indexed read (the hot
        path), plus a write of ``last_used_at`` at most once a minute."""
        now = self.clock()
        with self.uow(write=False, one_statement=True) as uow:
            use = uow.users.user_for_token(hash_token(token), now=now.isoformat())
        if use is None:
            return None
        if use.last_used is None or use.last_used < (now - TOUCH_EVERY).isoformat():
            self._touch(lambda uow: uow.users.touch_token(int(use.key), now.isoformat()))
        return use.user

    def revoke_token(self, token: str) -> bool:
        with self.uow(write=True) as uow:
            done = uow.users.delete_token_hash(hash_token(token))
            uow.commit()
        return done

    def tokens_of(self, user_id: int, *, current: str | None = None) -> list[dict[str, Any]]:
        """A user's live tokens, never the token itself: its id, dates and whether it is the
        one presented now."""
        now = self.clock()
        with self.uow(write=False) as uow:
            tokens = uow.users.tokens_of(user_id, now=now.isoformat())
        current_id = None
        if current is not None:
            with self.uow(write=False, one_statement=True) as uow:
                use = uow.users.user_for_token(hash_token(current), now=now.isoformat())
            current_id = use.key if use is not None else None
        return [token | {"current": token["id"] == current_id} for token in tokens]

    def revoke_token_id(self, user_id: int, token_id: int) -> bool:
        with self.uow(write=True) as uow:
            done = uow.users.delete_token(user_id, token_id)
            uow.commit()
        return done

    def open_session(self, user: User) -> str:
        """A new web session: a random id for the signed cookie; only its hash is stored."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self.uow(write=True) as uow:
            uow.users.purge_expired(now=now.isoformat(), idle_since=self._idle_since(now))
            uow.users.add_session(
                id_hash=hash_token(session_id), user_id=user.id, created_at=now.isoformat(),
                expires_at=(now + timedelta(hours=self.settings.session_absolute_hours))
                .isoformat())
            uow.commit()
        return session_id

    def user_for_session(self, session_id: str) -> User | None:
        """The session's user unless it ended: logged out, revoked, idle for longer than
        ``session_idle_minutes`` or older than ``session_absolute_hours``."""
        now = self.clock()
        with self.uow(write=False, one_statement=True) as uow:
            use = uow.users.user_for_session(hash_token(session_id), now=now.isoformat(),
                                             idle_since=self._idle_since(now))
        if use is None:
            return None
        if use.last_used is None or use.last_used < (now - TOUCH_EVERY).isoformat():
            self._touch(lambda uow: uow.users.touch_session(str(use.key), now.isoformat()))
        return use.user

    def end_session(self, session_id: str) -> None:
        with self.uow(write=True) as uow:
            uow.users.delete_session(hash_token(session_id))
            uow.commit()

    def _idle_since(self, now: datetime) -> str:
        return (now - timedelta(minutes=self.settings.session_idle_minutes)).isoformat()

    def _touch(self, write: Callable[[Any], None]) -> None:
        """Record a use; on SQLite only if the writer is free at once (a busy writer means
        the next request records it): a lookup never waits behind a ledger write."""
        try:
            with self.uow(write=True, wait=not self.settings.is_sqlite) as uow:
                write(uow)
                uow.commit()
        except WriterBusyError:
            pass

    def user(self, user_id: int) -> User | None:
        with self.uow(write=False, one_statement=True) as uow:
            return uow.users.get(user_id)

    def dispose(self) -> None:
        if self._pool is not None:
            self._pool.close()
        self.uow.close()
        self.engine.dispose()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_for(user: User) -> Actor:
    return Actor(name=user.username, role=user.role, user_id=user.id,
                 organisation_id=user.organisation_id)


def bootstrap(
    settings: Settings | None = None,
    *,
    migrate: bool = True,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Registry:
    settings = settings or Settings()
    engine = build_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    passwords = Argon2PasswordHasher(fast=settings.environment == "test")
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    bus = MessageBus(uow_factory=uow, handlers=HANDLERS, password_hasher=passwords, clock=clock,
                     policy=Policy(crediting_period_cap=settings.crediting_period_cap))
    registry = Registry(settings, engine, bus, uow, passwords, clock,
                        LocalEvidenceStore(settings.data_dir / "evidence"))
    if migrate:
        bus.handle(commands.InitialiseRegistry(), actor=SYSTEM_ACTOR)
    return registry
