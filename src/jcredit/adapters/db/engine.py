"""Engines for the registry database.

SQLite runs in WAL mode with ``synchronous=FULL`` (an acknowledged command survives power
loss, performance.md §6 rule 3) and ``foreign_keys=ON``. Write transactions start with
``BEGIN IMMEDIATE`` so that a writer takes the write lock before it reads balances: two
racing transfers are serialised instead of one failing late with SQLITE_BUSY.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.engine import make_url

WRITE_OPTION = "jcredit_write"
BUSY_TIMEOUT_MS = 60_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def build_engine(url: str, *, pool_size: int = 10) -> Engine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=20,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        driver = connection.connection.dbapi_connection
        if driver.in_transaction:
            return  # the registry writer began it already (unit_of_work.SqliteWriter)
        write = connection.get_execution_options().get(WRITE_OPTION, True)
        driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")
