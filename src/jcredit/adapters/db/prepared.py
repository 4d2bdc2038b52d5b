"""Prepared statements for the ledger's hot path.

Every command runs the same handful of statements: lock the registry state, look up the
idempotency key and the accounts, read the blocks to move, close and add blocks, append
the journal entry, store the response. Executing a Core construct costs ~100 µs of Python
each time (building it, computing its cache key, wrapping the result), which is most of a
transfer's time. A :class:`Prepared` statement is still written as a Core construct (so
SQLAlchemy compiles it correctly for SQLite and for PostgreSQL), but it is compiled once
per dialect and then executed straight on the DBAPI cursor of the unit of work's
connection, inside the same transaction.

Only simple statements qualify: bound parameters by name, no expanding ``IN``, no type
processors (integers and text only).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.expression import Executable


class Prepared:
    """A Core statement compiled once per dialect and run on the raw DBAPI cursor."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, connection: Connection) -> _Compiled:
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            form = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            positions = tuple(form.positiontup) if form.positiontup is not None else None
            # Literals in the construct (``id == 1``) are bound parameters with a value.
            defaults = {k: v for k, v in form.params.items() if v is not None}
            compiled = _Compiled(form.string, positions, defaults)
            self._compiled[dialect.name] = compiled
        return compiled

    @staticmethod
    def _cursor(connection: Connection) -> Any:
        return connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def execute(self, connection: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """Run the statement; returns the DBAPI cursor (rows are plain tuples)."""
        compiled = self._compiled.get(connection.dialect.name) or self._compile(connection)
        cursor = self._cursor(connection)
        cursor.execute(compiled.sql, compiled.bind(params or _NO_PARAMS))
        return cursor

    def fetch_one(self, connection: Connection, params: Mapping[str, Any] | None = None
                  ) -> tuple[Any, ...] | None:
        """The first row (a plain tuple), or None."""
        cursor = self.execute(connection, params)
        try:
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row
        finally:
            cursor.close()

    def run(self, connection: Connection, params: Mapping[str, Any] | None = None) -> int:
        """Run a write; returns the number of rows it changed."""
        cursor = self.execute(connection, params)
        try:
            count: int = cursor.rowcount
            return count
        finally:
            cursor.close()

    def execute_many(self, connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        compiled = self._compile(connection)
        cursor = self._cursor(connection)
        cursor.executemany(compiled.sql, [compiled.bind(row) for row in rows])
        cursor.close()


_NO_PARAMS: Mapping[str, Any] = {}


class _Compiled:
    """The SQL text, and how to turn named parameters into what the DBAPI takes: a tuple in
    placeholder order (SQLite's ``?``) or the mapping itself (psycopg's ``%(name)s``)."""

    __slots__ = ("_pick", "defaults", "sql")

    def __init__(self, sql: str, positions: tuple[str, ...] | None,
                 defaults: dict[str, Any]) -> None:
        self.sql = sql
        self.defaults = defaults
        pick: Callable[[Mapping[str, Any]], Any] | None = None
        if positions is not None:
            if len(positions) == 1:
                name = positions[0]
                pick = lambda values: (values[name],)  # noqa: E731
            elif positions:
                pick = itemgetter(*positions)
            else:
                pick = lambda values: ()  # noqa: E731
        self._pick = pick

    def bind(self, params: Mapping[str, Any]) -> Any:
        values = {**self.defaults, **params} if self.defaults else params
        return values if self._pick is None else self._pick(values)
