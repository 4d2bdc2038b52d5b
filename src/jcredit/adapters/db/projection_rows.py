"""The stored rows of the journal-determined tables, for ``ledger check`` to compare.

Each table is read as ``(key, row)`` with the fields of
``domain.ledger.projection.TABLE_FIELDS`` in order. The large tables are read in key order a
chunk at a time (keyset pagination), so a check holds one chunk of stored rows at once.
References are read through outer joins (an application's account number, a period
issuance's project and period numbers): a row pointing nowhere shows as a difference
instead of vanishing from the comparison.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select

from jcredit.adapters.db import tables as t
from jcredit.adapters.db.repositories import _ATTRIBUTE_COLUMNS
from jcredit.adapters.db.repositories import _credit_attributes
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.invalidations import ApplicationStatus
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
        elif table == "offsets":
            yield from self._chunked(select(t.offsets.c.application_id,
                                            *_columns(t.offsets, table)),
                                     t.offsets.c.application_id)
        elif table == "cases":
            mark = TABLE_FIELDS[table].index("mark")
            for key, case in self._chunked(select(t.cases.c.id, *_columns(t.cases, table)),
                                           t.cases.c.id):
                yield key, (*case[:mark], bool(case[mark]) if case[mark] is not None else None,
                            *case[mark + 1:])
        elif table == "registered_projects":
            yield from self._chunked(select(t.registered_projects.c.no,
                                            *_columns(t.registered_projects, table)),
                                     t.registered_projects.c.no)
        elif table == "offset_certificates":
            certificates = t.offset_certificates
            yield from self._chunked(select(certificates.c.id,
                                            *_columns(certificates, table)), certificates.c.id)
        else:
            raise ValueError(f"{table} is not a journal-determined table")

    def account_kinds(self) -> dict[int, AccountKind]:
        """Each account's kind as stored, leaving out a kind that is not one (a tampered
        row: the check reports it as a difference instead of failing to read it)."""
        valid = {kind.value: kind for kind in AccountKind}
        return {row[0]: valid[row[1]]
                for row in self.c.execute(select(t.accounts.c.id, t.accounts.c.kind))
                if row[1] in valid}

    def issuances(self, *, root_ids: Sequence[int] | None = None,
                  certification_number: str | None = None,
                  organisation_id: int | None = None,
                  ) -> list[tuple[int, CreditAttributes, int, int, int]]:
        """Issuances (root id, attributes, first and last serial, issued seq) by root id,
        optionally only those named, of one 認証番号, or of which an organisation's accounts
        hold live blocks."""
        i = t.issuances
        query = select(i.c.root_id, *_ATTRIBUTE_COLUMNS, i.c.serial_start, i.c.serial_end,
                       i.c.issued_seq).order_by(i.c.root_id)
        if root_ids is not None:
            query = query.where(i.c.root_id.in_(list(root_ids)))
        if certification_number is not None:
            query = query.where(i.c.certification_number == certification_number)
        if organisation_id is not None:
            held = (select(t.blocks.c.root_id)
                    .join(t.accounts, t.accounts.c.id == t.blocks.c.account_id)
                    .where(t.accounts.c.organisation_id == organisation_id,
                           t.blocks.c.closed_seq.is_(None)))
            query = query.where(i.c.root_id.in_(held))
        return [(row[0], _credit_attributes(row[1:9]), row[9], row[10], row[11])
                for row in self.c.execute(query)]

    def live_quantities(self, root_ids: Sequence[int] | None = None
                        ) -> list[tuple[int, str, bool, int]]:
        """Live credits per issuance, account kind (as stored) and reservation: (root id,
        kind, reserved, quantity)."""
        b = t.blocks
        reserved = b.c.reservation_id.isnot(None)
        # Every issuance: read the live blocks through the partial index of live blocks
        # (ix_blocks_account_live, 10^5 entries at 10^6 journal entries) — grouping by
        # ``root_id + 0`` keeps SQLite from walking the lineage index ix_blocks_root over all
        # 1.1 million live and closed blocks to save a sort (1.0 s against 60 ms,
        # benchmarks/public.py). Some issuances: their blocks through ix_blocks_root.
        root = b.c.root_id if root_ids is not None else (b.c.root_id + 0).label("root_id")
        query = (select(root, t.accounts.c.kind, reserved,
                        func.sum(b.c.serial_end - b.c.serial_start + 1))
                 .join(t.accounts, t.accounts.c.id == b.c.account_id)
                 .where(b.c.closed_seq.is_(None))
                 .group_by(root, t.accounts.c.kind, reserved))
        if root_ids is not None:
            query = query.where(b.c.root_id.in_(list(root_ids)))
        return [(row[0], str(row[1]), bool(row[2]), int(row[3]))
                for row in self.c.execute(query)]

    def lineage(self, root_id: int, *, start: int | None = None, end: int | None = None,
                limit: int = 1000) -> list[tuple[Any, ...]]:
        """The blocks of one issuance, live and closed, oldest first — or only those holding
        a serial in ``start``..``end``: (block id, account id, kind, organisation id, first
        serial, last serial, reservation id, created seq, closed seq, the creating entry's
        command and time). At most ``limit`` rows."""
        b, a, j = t.blocks, t.accounts, t.journal
        query = (select(b.c.id, b.c.account_id, a.c.kind, a.c.organisation_id, b.c.serial_start,
                        b.c.serial_end, b.c.reservation_id, b.c.created_seq, b.c.closed_seq,
                        j.c.command, j.c.recorded_at)
                 .join(a, a.c.id == b.c.account_id)
                 .outerjoin(j, j.c.seq == b.c.created_seq)
                 .where(b.c.root_id == root_id)
                 .order_by(b.c.created_seq, b.c.serial_start).limit(limit))
        if start is not None and end is not None:
            query = query.where(b.c.serial_start <= end, b.c.serial_end >= start)
        return [tuple(row) for row in self.c.execute(query)]

    def block(self, block_id: int) -> tuple[int, int, int] | None:
        """A block's (root id, first serial, last serial), live or closed."""
        row = self.c.execute(select(t.blocks.c.root_id, t.blocks.c.serial_start,
                                    t.blocks.c.serial_end)
                             .where(t.blocks.c.id == block_id)).first()
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    def created_in(self, seqs: Sequence[int], kind: AccountKind
                   ) -> list[tuple[int, int, int, int, int]]:
        """The blocks the entries ``seqs`` put into accounts of ``kind``: (created seq,
        block id, root id, first serial, last serial)."""
        if not seqs:
            return []
        b = t.blocks
        kinds = select(t.accounts.c.id).where(t.accounts.c.kind == kind.value)
        query = (select(b.c.created_seq, b.c.id, b.c.root_id, b.c.serial_start,
                        b.c.serial_end)
                 .where(b.c.created_seq.in_(list(seqs)), b.c.account_id.in_(kinds))
                 .order_by(b.c.created_seq, b.c.root_id, b.c.serial_start))
        return [tuple(int(v) for v in row) for row in self.c.execute(query)]  # type: ignore[misc]

    def removed_from(self, account_id: int, account_number: str) -> dict[str, int]:
        """Credits that left an account for good [t-CO2]: invalidated (its executed
        applications), retired and cancelled (the retirement and cancellation entries that
        name it, found through the live blocks of the registry's terminal accounts)."""
        apps = t.invalidation_applications
        invalidated = self.c.execute(
            select(func.coalesce(func.sum(apps.c.quantity), 0))
            .where(apps.c.account_id == account_id,
                   apps.c.status == ApplicationStatus.EXECUTED.value)).scalar()
        terminal = select(t.accounts.c.id).where(t.accounts.c.kind.in_(
            [AccountKind.RETIREMENT.value, AccountKind.CANCELLATION.value]))
        seqs = select(t.blocks.c.created_seq).where(t.blocks.c.account_id.in_(terminal),
                                                    t.blocks.c.closed_seq.is_(None))
        entries = self.c.execute(
            select(t.journal.c.command, t.journal.c.payload)
            .where(t.journal.c.seq.in_(seqs),
                   t.journal.c.command.in_(["credits.retire", "credits.cancel"])))
        totals = {"invalidated": int(invalidated or 0), "retired": 0, "cancelled": 0}
        for command, payload in entries:
            data = json.loads(payload)
            if data.get("from_account") == account_number:
                state = "retired" if command == "credits.retire" else "cancelled"
                totals[state] += sum(int(b["quantity"]) for b in data.get("blocks", []))
        return totals

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
