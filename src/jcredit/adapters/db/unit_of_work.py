"""The SQLAlchemy unit of work: one connection, one transaction."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection
from sqlalchemy import Engine

from jcredit.adapters.db import repositories as r
from jcredit.adapters.db.engine import WRITE_OPTION
from jcredit.adapters.db.engine import is_sqlite
from jcredit.adapters.db.projects import SqlProjectRepository
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """A write unit starts ``BEGIN IMMEDIATE`` on SQLite and locks the state row on PostgreSQL
    (through ``RegistryStateRepository.lock``); a read unit on PostgreSQL runs in
    REPEATABLE READ so that a multi-query view (a ledger check) is one consistent snapshot.
    """

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self.engine = engine
        self.write = write
        self._connection: Connection | None = None

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        options: dict[str, object] = {WRITE_OPTION: self.write}
        if not self.write and not is_sqlite(str(self.engine.url)):
            options["isolation_level"] = "REPEATABLE READ"
        connection = self.engine.connect().execution_options(**options)
        connection.begin()
        self._connection = connection
        self.registry_state = r.SqlRegistryStateRepository(connection)
        self.organisations = r.SqlOrganisationRepository(connection)
        self.accounts = r.SqlAccountRepository(connection)
        self.blocks = r.SqlBlockRepository(connection)
        self.journal = r.SqlJournalRepository(connection)
        self.idempotency = r.SqlIdempotencyRepository(connection)
        self.invalidations = r.SqlInvalidationRepository(connection)
        self.users = r.SqlUserRepository(connection)
        self.projects = SqlProjectRepository(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def commit(self) -> None:
        assert self._connection is not None
        self._connection.commit()

    def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction():
            self._connection.rollback()


class SqlAlchemyUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *, write: bool) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine, write=write)
