"""The stored rows of the journal-determined tables, for ``ledger check`` to compare.

Each table is read as ``(key, row)`` with the fields of
``domain.ledger.projection.TABLE_FIELDS`` in order. The large tables are read in key order a
chunk at a time (keyset pagination), so a check holds one chunk of stored rows at once.
References are read through outer joins (an application's account number, a period
issuance's project and period numbers): a row pointing nowhere shows as a difference
instead of vanishing from the comparison.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import Select
from sqlalchemy import select

from jcredit.adapters.db import tables as t
from jcredit.domain.ledger.projection import TABLE_FIELDS
from jcredit.domain.ledger.projection import Key
from jcredit.domain.ledger.projection import Row

_CHUNK = 5000


def _columns(table: Any, name: str) -> list[Column[Any]]:
    return [table.c[f] for f in TABLE_FIELDS[name]]


class SqlProjectionRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def rows(self, table: str) -> Iterator[tuple[Key, Row]]:
        """The stored rows of ``table`` (one of ``TABLE_FIELDS``), in key order."""
        if table == "issuances":
            yield from self._chunked(select(t.issuances.c.root_id,
                                            *_columns(t.issuances, table)), t.issuances.c.root_id)
        elif table == "blocks":
            yield from self._chunked(select(t.blocks.c.id, *_columns(t.blocks, table)),
                                     t.blocks.c.id)
        elif table == "accounts":
            yield from self._chunked(select(t.accounts.c.number, *_columns(t.accounts, table)),
                                     t.accounts.c.number)
        elif table == "invalidation_applications":
            apps = t.invalidation_applications
            query = select(apps.c.id, t.accounts.c.number,
                           *(apps.c[f] for f in TABLE_FIELDS[table][1:])).outerjoin(
                t.accounts, t.accounts.c.id == apps.c.account_id)
            yield from self._chunked(query, apps.c.id)
        elif table == "period_issuances":
            issued = t.period_issuances
            query = (select(t.projects.c.number, t.monitoring_periods.c.number, issued.c.vintage,
                            issued.c.root_id, issued.c.quantity)
                     .outerjoin(t.monitoring_periods,
                                t.monitoring_periods.c.id == issued.c.period_id)
                     .outerjoin(t.projects, t.projects.c.id == t.monitoring_periods.c.project_id)
                     .order_by(issued.c.period_id, issued.c.vintage))
            for row in self.c.execute(query):
                yield (row[0], row[1], row[2]), tuple(row[3:])
        else:
            raise ValueError(f"{table} is not a journal-determined table")

    def _chunked(self, query: Select[Any], key: Column[Any]) -> Iterator[tuple[Key, Row]]:
        last: Any = None
        while True:
            page = query if last is None else query.where(key > last)
            rows = self.c.execute(page.order_by(key).limit(_CHUNK)).all()
            for row in rows:
                yield row[0], tuple(row[1:])
            if len(rows) < _CHUNK:
                return
            last = rows[-1][0]
