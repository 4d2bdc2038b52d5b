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

from sqlalchemy import Engine

from jcredit.adapters.db.engine import build_engine
from jcredit.adapters.db.migrate import upgrade
from jcredit.adapters.db.unit_of_work import SqlAlchemyUnitOfWorkFactory
from jcredit.adapters.evidence_store import LocalEvidenceStore
from jcredit.adapters.passwords import Argon2PasswordHasher
from jcredit.config import Settings
from jcredit.domain.errors import AuthenticationError
from jcredit.service_layer import commands
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.handlers import HANDLERS
from jcredit.service_layer.login_throttle import LoginThrottle
from jcredit.service_layer.messagebus import MessageBus
from jcredit.service_layer.messagebus import Policy
from jcredit.service_layer.unit_of_work import User

SYSTEM_ACTOR = Actor(name="system", role=Role.ADMIN, via="system")


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
            uow.users.add_token(
                user_id=user.id,
                token_hash=hash_token(token),
                created_at=now.isoformat(),
                expires_at=(now + timedelta(hours=self.settings.token_lifetime_hours)).isoformat(),
            )
            uow.commit()
        return token

    def user_for_token(self, token: str) -> User | None:
        with self.uow(write=False, one_statement=True) as uow:
            return uow.users.user_for_token(hash_token(token), now=self.clock().isoformat())

    def user(self, user_id: int) -> User | None:
        with self.uow(write=False, one_statement=True) as uow:
            return uow.users.get(user_id)

    def dispose(self) -> None:
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
    passwords = Argon2PasswordHasher()
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    bus = MessageBus(uow_factory=uow, handlers=HANDLERS, password_hasher=passwords, clock=clock,
                     policy=Policy(crediting_period_cap=settings.crediting_period_cap))
    registry = Registry(settings, engine, bus, uow, passwords, clock,
                        LocalEvidenceStore(settings.data_dir / "evidence"))
    if migrate:
        bus.handle(commands.InitialiseRegistry(), actor=SYSTEM_ACTOR)
    return registry
