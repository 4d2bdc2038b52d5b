"""The SQLAlchemy unit of work: one connection, one transaction."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic
from typing import TypeVar
from typing import overload

from sqlalchemy import Connection
from sqlalchemy import Engine

from jcredit.adapters.db import repositories as r
from jcredit.adapters.db.cases import SqlCaseRepository
from jcredit.adapters.db.dmrv import SqlBatchRepository
from jcredit.adapters.db.engine import BUSY_TIMEOUT_MS
from jcredit.adapters.db.engine import WRITE_OPTION
from jcredit.adapters.db.engine import is_sqlite
from jcredit.adapters.db.offsets import SqlOffsetRepository
from jcredit.adapters.db.projection_rows import SqlProjectionRepository
from jcredit.adapters.db.projects import SqlProjectRepository
from jcredit.adapters.dmrv.device_repository import SqlDeviceRepository
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.unit_of_work import WriterBusyError

_R = TypeVar("_R")


class _Repository(Generic[_R]):
    """A repository attribute of the unit of work, built on first use from its open
    connection and then stored on the instance, which later reads find first (a class
    attribute that only defines ``__get__`` yields to the instance's own)."""

    def __init__(self, factory: Callable[..., _R], *, with_rows: bool = False) -> None:
        self.factory = factory
        self.with_rows = with_rows
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, uow: None, owner: type) -> _Repository[_R]: ...
    @overload
    def __get__(self, uow: SqlAlchemyUnitOfWork, owner: type) -> _R: ...

    def __get__(self, uow: SqlAlchemyUnitOfWork | None, owner: type
                ) -> _R | _Repository[_R]:
        if uow is None:
            return self
        connection = uow._connection
        if connection is None:
            raise AttributeError(f"{self.name}: the unit of work is not open")
        repository = (self.factory(connection, uow._rows, uow._staged) if self.with_rows
                      else self.factory(connection))
        uow.__dict__[self.name] = repository
        return repository


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """A write unit starts ``BEGIN IMMEDIATE`` on SQLite and locks the state row on PostgreSQL
    (through ``RegistryStateRepository.lock``); a read unit on PostgreSQL runs in
    REPEATABLE READ so that a multi-query view (a ledger check) is one consistent snapshot.
    """

    def __init__(self, engine: Engine, *, write: bool,
                 writer: SqliteWriter | None = None, wait: bool = True,
                 lookup: LookupConnection | None = None,
                 rows: r.ImmutableRows | None = None) -> None:
        self.engine = engine
        self._rows = rows or r.ImmutableRows()
        self._staged = r.ImmutableRows()
        self.write = write
        self.writer = writer
        self.wait = wait
        self.lookup = lookup
        self._connection: Connection | None = None
        self._on_lookup = False

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        if self.lookup is not None:
            connection = self.lookup.acquire()
            if connection is not None:  # no transaction: the one statement is its own
                self._on_lookup = True
                self._connection = connection
                return self
        if self.writer is not None:
            connection = self.writer.acquire(wait=self.wait)
        else:
            if self.write and not self.wait:
                # A PostgreSQL write waits on the network and on the server's row lock.
                raise WriterBusyError("this database has no write that never waits")
            options: dict[str, object] = {WRITE_OPTION: self.write}
            if not self.write and self.engine.dialect.name != "sqlite":
                options["isolation_level"] = "REPEATABLE READ"
            connection = self.engine.connect().execution_options(**options)
        try:
            if self.writer is not None:
                self.writer.begin(connection, wait=self.wait)
            else:
                connection.begin()
        except BaseException:
            self._release(connection)
            raise
        self._connection = connection
        return self

    # A repository is built on first use (a transfer needs five of the nine) and kept for
    # the rest of the unit of work (see _Repository).
    registry_state = _Repository(r.SqlRegistryStateRepository)
    organisations = _Repository(r.SqlOrganisationRepository)
    accounts = _Repository(r.SqlAccountRepository, with_rows=True)
    blocks = _Repository(r.SqlBlockRepository, with_rows=True)
    journal = _Repository(r.SqlJournalRepository)
    idempotency = _Repository(r.SqlIdempotencyRepository)
    invalidations = _Repository(r.SqlInvalidationRepository)
    notifications = _Repository(r.SqlNotificationRepository)
    users = _Repository(r.SqlUserRepository)
    projects = _Repository(SqlProjectRepository)
    projections = _Repository(SqlProjectionRepository)
    devices = _Repository(SqlDeviceRepository)
    dmrv = _Repository(SqlBatchRepository)
    offsets = _Repository(SqlOffsetRepository)
    cases = _Repository(SqlCaseRepository)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.write and exc_type is None:
            self._rows.publish(self._staged)  # a read unit sees committed rows only
        if self._on_lookup:
            connection, self._connection, self._on_lookup = self._connection, None, False
            assert self.lookup is not None and connection is not None
            self.lookup.release(connection, failed=exc_type is not None)
            return
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            if self._connection is not None:
                self._release(self._connection)
                self._connection = None

    def _release(self, connection: Connection) -> None:
        if self.writer is not None:
            self.writer.release(connection)
        else:
            connection.close()

    def commit(self) -> None:
        assert self._connection is not None
        if self.writer is not None:
            self.writer.commit(self._connection)
        else:
            self._connection.commit()
        self._rows.publish(self._staged)

    def rollback(self) -> None:
        if self._connection is None:
            return
        if self.writer is not None:
            self.writer.rollback(self._connection)
        elif self._connection.in_transaction():
            self._connection.rollback()


class _KeptConnection:
    """One connection kept open between units of work and handed out under a lock; it is
    reopened when it was closed or invalidated (a broken connection is replaced)."""

    def __init__(self, engine: Engine, options: dict[str, object]) -> None:
        self.engine = engine
        self._options = options
        self._lock = threading.Lock()
        self._connection: Connection | None = None

    def _open(self) -> Connection:
        if self._connection is None or self._connection.closed or \
                self._connection.invalidated:
            self._connection = self.engine.connect().execution_options(**self._options)
        return self._connection

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class SqliteWriter(_KeptConnection):
    """The one connection that writes to an SQLite registry, kept open between commands.

    SQLite has one writer at a time anyway (``BEGIN IMMEDIATE`` still guards against other
    processes); holding the connection saves the pool checkout, the reset and the event
    set-up of a fresh connection on every command. Write units of work in this process take
    turns on a lock; a connection left unusable by an error is replaced.

    Writers in *other* processes (a second server worker, the CLI) queue on an exclusive
    ``flock`` of ``<database>.writer-lock``: the kernel wakes the next one as soon as the
    holder is done, where SQLite's busy handler would poll with sleeps of 1 ms and more. The
    kernel drops the lock of a process that dies.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, {WRITE_OPTION: True})
        database = engine.url.database
        self._lock_path = (f"{database}.writer-lock"
                           if database and database != ":memory:" else None)
        self._lock_fd: int | None = None

    def acquire(self, *, wait: bool = True) -> Connection:
        """The writer connection, with the thread lock and the file lock held; ``wait=False``
        raises :class:`WriterBusyError` at once if either is taken."""
        if not (self._lock.acquire(timeout=120) if wait else self._lock.acquire(False)):
            if not wait:
                raise WriterBusyError("another command is writing")
            raise TimeoutError("the registry writer has been busy for 120 s")
        try:
            if self._lock_path is not None:
                if self._lock_fd is None:
                    self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(self._lock_fd,
                                fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise WriterBusyError("another process is writing") from None
            try:
                return self._open()
            except BaseException:
                self._unlock_file()
                raise
        except BaseException:
            self._lock.release()
            raise

    def _unlock_file(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    # The transaction is begun and ended on the driver connection: SQLAlchemy's own
    # begin/commit bookkeeping costs about as much as a ledger statement, on every command.
    # Statements run through SQLAlchemy (the less frequent commands) autobegin its
    # transaction inside ours (the "begin" listener sees the driver already in one and
    # emits nothing), and then commit and rollback go through SQLAlchemy.

    @staticmethod
    def begin(connection: Connection, *, wait: bool = True) -> None:
        driver = connection.connection.dbapi_connection
        assert driver is not None
        if wait:
            driver.execute("BEGIN IMMEDIATE")
            return
        # Not waiting: a process that writes without our file lock (an sqlite3 shell) may
        # hold SQLite's write lock; fail at once instead of in the busy handler.
        driver.execute("PRAGMA busy_timeout=0")
        try:
            driver.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            raise WriterBusyError("another process holds the database's write lock") from None
        finally:
            driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    @staticmethod
    def commit(connection: Connection) -> None:
        if connection.in_transaction():
            connection.commit()
        else:
            connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]

    @staticmethod
    def rollback(connection: Connection) -> None:
        if connection.in_transaction():
            connection.rollback()
        else:
            driver = connection.connection.dbapi_connection
            if driver is not None and driver.in_transaction:
                driver.rollback()

    def release(self, connection: Connection) -> None:
        try:
            self.rollback(connection)
        except Exception:  # a broken connection is replaced on the next acquire
            connection.invalidate()
        finally:
            try:
                self._unlock_file()
            finally:
                self._lock.release()

    def close(self) -> None:
        with self._lock:
            self._close_connection()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


class LookupConnection(_KeptConnection):
    """A connection kept open for units of work of one read statement (the token lookup of
    every API request): a pooled connection costs a checkout, a BEGIN, a rollback and a
    reset around that one statement, several times the statement itself.

    The statement runs outside any transaction (SQLite: the driver begins none; PostgreSQL:
    AUTOCOMMIT), so it reads the latest committed state, as a statement of its own. Whoever
    finds the connection in use gets a pooled one instead; nobody waits.
    """

    def __init__(self, engine: Engine) -> None:
        options: dict[str, object] = {WRITE_OPTION: False}
        if not is_sqlite(str(engine.url)):
            options["isolation_level"] = "AUTOCOMMIT"
        super().__init__(engine, options)

    def acquire(self) -> Connection | None:
        if not self._lock.acquire(False):
            return None
        try:
            return self._open()
        except BaseException:
            self._lock.release()
            raise

    def release(self, connection: Connection, *, failed: bool) -> None:
        try:
            if failed:  # the connection may be broken: open a fresh one next time
                connection.invalidate()
            elif connection.in_transaction():  # a Core statement began one
                connection.rollback()
        except Exception:
            connection.invalidate()
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            self._close_connection()


class SqlAlchemyUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.writer = SqliteWriter(engine) if is_sqlite(str(engine.url)) else None
        self.lookup = LookupConnection(engine)
        self.rows = r.ImmutableRows()

    def __call__(self, *, write: bool, wait: bool = True,
                 one_statement: bool = False) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(
            self.engine, write=write, writer=self.writer if write else None, wait=wait,
            lookup=self.lookup if one_statement and not write else None, rows=self.rows)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.lookup.close()
