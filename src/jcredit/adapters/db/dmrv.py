"""SQL rows of the dMRV pipeline: received batches and refusals (docs/dmrv.md §3)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

from jcredit.adapters.db import tables as t

_IN_CHUNK = 500  # keeps IN lists well under SQLite's variable limit


def _chunks(values: Iterable[str]) -> Iterator[builtins.list[str]]:
    """The distinct values, in order, a chunk at a time for ``IN (...)``."""
    wanted = list(dict.fromkeys(values))
    for i in range(0, len(wanted), _IN_CHUNK):
        yield wanted[i:i + _IN_CHUNK]


class SqlBatchRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def receipts(self, hashes: Iterable[str]) -> dict[str, str]:
        """The stored receipt (JSON text) of each known batch hash."""
        return self._by_hash(t.dmrv_batches.c.receipt, hashes)

    def raw_locations(self, hashes: Iterable[str]) -> dict[str, str]:
        """Where each known batch's signed bytes are in the raw store."""
        return self._by_hash(t.dmrv_batches.c.raw, hashes)

    def _by_hash(self, column: Any, hashes: Iterable[str]) -> dict[str, str]:
        b, found = t.dmrv_batches, {}
        for chunk in _chunks(hashes):
            rows = self.c.execute(select(b.c.hash, column).where(b.c.hash.in_(chunk)))
            found.update({row[0]: row[1] for row in rows})
        return found

    def head(self, device_id: str) -> tuple[int, str] | None:
        """The device's last recorded batch: its seq and hash (the chain's head)."""
        b = t.dmrv_batches
        row = self.c.execute(select(b.c.seq, b.c.hash).where(b.c.device_id == device_id)
                             .order_by(b.c.seq.desc()).limit(1)).first()
        return (int(row.seq), row.hash) if row is not None else None

    def heads(self, device_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
        """The chain head of each device that has one (one query per 500 devices)."""
        b, found = t.dmrv_batches, {}
        for chunk in _chunks(device_ids):
            top = (select(b.c.device_id, func.max(b.c.seq).label("seq"))
                   .where(b.c.device_id.in_(chunk)).group_by(b.c.device_id).subquery())
            rows = self.c.execute(select(b.c.device_id, b.c.seq, b.c.hash).join(
                top, (b.c.device_id == top.c.device_id) & (b.c.seq == top.c.seq)))
            found.update({row.device_id: (int(row.seq), row.hash) for row in rows})
        return found

    def accepted_spans(self, device_ids: Iterable[str], since: int
                       ) -> builtins.list[tuple[str, str, str, int, int]]:
        """Accepted batches of these devices ending after ``since``: (device, hash, raw
        location, first start, last end), for the overlap check of a group."""
        b = t.dmrv_batches
        found: builtins.list[tuple[str, str, str, int, int]] = []
        for chunk in _chunks(device_ids):
            rows = self.c.execute(select(b.c.device_id, b.c.hash, b.c.raw, b.c.first_start,
                                         b.c.last_end).where(
                b.c.device_id.in_(chunk), b.c.status == "ACCEPTED",
                b.c.last_end > since).order_by(b.c.seq))
            found.extend((r.device_id, r.hash, r.raw, int(r.first_start), int(r.last_end))
                         for r in rows)
        return found

    def sources(self, sites: Iterable[str]) -> dict[str, set[str]]:
        """How each site's accepted batches came: http, mqtt, file."""
        b = t.dmrv_batches
        found: dict[str, set[str]] = {}
        for chunk in _chunks(sites):
            for row in self.c.execute(select(b.c.site, b.c.source).distinct()
                                      .where(b.c.site.in_(chunk))):
                found.setdefault(row.site, set()).add(row.source)
        return found

    def decisions(self, project_id: int, period: int) -> dict[str, dict[str, Any]]:
        """The verifier's latest decision on each HOLD finding of a period, by its key."""
        d = t.dmrv_hold_decisions
        rows = self.c.execute(select(d).where(d.c.project_id == project_id,
                                              d.c.period_number == period))
        return {row.finding_key: dict(row._mapping) for row in rows}

    def decide(self, row: dict[str, Any]) -> None:
        """Record a decision, replacing an earlier one on the same finding."""
        d = t.dmrv_hold_decisions
        self.c.execute(delete(d).where(d.c.project_id == row["project_id"],
                                       d.c.period_number == row["period_number"],
                                       d.c.finding_key == row["finding_key"]))
        self.c.execute(insert(d).values(**row))

    def add(self, **row: Any) -> None:
        self.c.execute(insert(t.dmrv_batches).values(**row))

    def add_many(self, rows: builtins.list[dict[str, Any]]) -> None:
        if rows:
            self.c.execute(insert(t.dmrv_batches), rows)

    def add_refusals(self, rows: builtins.list[dict[str, Any]]) -> None:
        if rows:
            self.c.execute(insert(t.dmrv_refusals), rows)

    def groups(self) -> set[str]:
        b = t.dmrv_batches
        rows = self.c.execute(select(b.c.parquet_group).distinct()
                              .where(b.c.parquet_group.is_not(None)))
        return {row.parquet_group for row in rows}

    def of_device(self, device_id: str, *, limit: int = 50) -> builtins.list[dict[str, Any]]:
        b = t.dmrv_batches
        rows = self.c.execute(select(*_COLUMNS).where(b.c.device_id == device_id)
                              .order_by(b.c.seq.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]

    def of_sites(self, sites: Iterable[str], *, status: str | None = None,
                 limit: int = 200) -> builtins.list[dict[str, Any]]:
        b = t.dmrv_batches
        query = select(*_COLUMNS).where(b.c.site.in_(list(sites)))
        if status is not None:
            query = query.where(b.c.status == status)
        rows = self.c.execute(query.order_by(b.c.received_at.desc(), b.c.first_start.desc(),
                                             b.c.seq.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]

    def get(self, digest: str) -> dict[str, Any] | None:
        b = t.dmrv_batches
        row = self.c.execute(select(*_COLUMNS, b.c.conflicts, b.c.raw)
                             .where(b.c.hash == digest)).first()
        return dict(row._mapping) if row is not None else None

    def refusals(self, device_ids: Iterable[str], *, limit: int = 50
                 ) -> builtins.list[dict[str, Any]]:
        f = t.dmrv_refusals
        rows = self.c.execute(select(f.c.device_id, f.c.batch_hash, f.c.seq, f.c.rule_id,
                                     f.c.field, f.c.reason, f.c.reason_ja, f.c.source,
                                     f.c.received_at)
                              .where(f.c.device_id.in_(list(device_ids)))
                              .order_by(f.c.id.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]

    def counts(self, sites: Iterable[str]) -> dict[str, int]:
        b = t.dmrv_batches
        rows = self.c.execute(select(b.c.status, func.count()).where(
            b.c.site.in_(list(sites))).group_by(b.c.status))
        return {status: int(n) for status, n in rows}

    def extent(self, sites: Iterable[str]) -> tuple[int, int] | None:
        """The first start and the last end (epoch seconds) of these sites' accepted
        batches: where their stored readings lie, without reading Parquet."""
        b = t.dmrv_batches
        row = self.c.execute(select(func.min(b.c.first_start), func.max(b.c.last_end)).where(
            b.c.site.in_(list(sites)), b.c.status == "ACCEPTED")).first()
        if row is None or row[0] is None:
            return None
        return int(row[0]), int(row[1])


_b = t.dmrv_batches
_COLUMNS = (_b.c.hash, _b.c.device_id, _b.c.site, _b.c.seq, _b.c.key_id, _b.c.form,
            _b.c.source, _b.c.first_start, _b.c.last_end, _b.c.rows, _b.c.duplicates,
            _b.c.status, _b.c.received_at, _b.c.receipt)
