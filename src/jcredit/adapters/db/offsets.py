"""SQL rows of the offsets feature: factor tables, calculations, offsets, certificates."""

from __future__ import annotations

import builtins
import json
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

from jcredit.adapters.db import tables as t
from jcredit.domain.offsets.factors import FactorTable


class SqlOffsetRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    # factor tables ------------------------------------------------------------------
    def factor_table(self, version: int | None = None) -> FactorTable | None:
        """The stored version (the latest if None), or None when none is stored."""
        f = t.offset_factor_tables
        query = select(f.c.version, f.c.note, f.c.factors)
        query = (query.where(f.c.version == version) if version is not None
                 else query.order_by(f.c.version.desc()).limit(1))
        row = self.c.execute(query).first()
        if row is None:
            return None
        return FactorTable.from_rows(row.version, json.loads(row.factors), note=row.note)

    def factor_versions(self) -> builtins.list[dict[str, Any]]:
        f = t.offset_factor_tables
        rows = self.c.execute(select(f.c.version, f.c.note, f.c.published_at, f.c.published_by,
                                     f.c.journal_seq).order_by(f.c.version))
        return [dict(r._mapping) for r in rows]

    def add_factor_table(self, table: FactorTable, *, published_at: str, published_by: str,
                         journal_seq: int) -> None:
        self.c.execute(insert(t.offset_factor_tables).values(
            version=table.version, note=table.note, factors=json.dumps(table.rows(),
                                                                       ensure_ascii=False),
            published_at=published_at, published_by=published_by, journal_seq=journal_seq))

    # calculations -------------------------------------------------------------------
    def next_calculation_id(self) -> int:
        return int(self.c.execute(select(func.coalesce(func.max(t.offset_calculations.c.id),
                                                       0))).scalar_one()) + 1

    def add_calculation(self, row: dict[str, Any]) -> None:
        self.c.execute(insert(t.offset_calculations).values(
            row | {"inputs": json.dumps(row["inputs"], ensure_ascii=False),
                   "result": json.dumps(row["result"], ensure_ascii=False)}))

    def calculation(self, *, token: str | None = None, calculation_id: int | None = None
                    ) -> dict[str, Any] | None:
        c = t.offset_calculations
        where = c.c.token == token if token is not None else c.c.id == calculation_id
        row = self.c.execute(select(c).where(where)).first()
        return _calculation(row) if row is not None else None

    def calculations(self, *, organisation_id: int | None, created_by: str | None = None,
                     limit: int = 50) -> builtins.list[dict[str, Any]]:
        c = t.offset_calculations
        query = select(c).order_by(c.c.id.desc()).limit(limit)
        if organisation_id is not None:
            query = query.where(c.c.organisation_id == organisation_id)
        elif created_by is not None:
            query = query.where(c.c.created_by == created_by)
        return [_calculation(r) for r in self.c.execute(query)]

    # offsets ------------------------------------------------------------------------
    def add_offset(self, row: dict[str, Any]) -> None:
        self.c.execute(insert(t.offsets).values(**row))

    def offset(self, application_id: int) -> dict[str, Any] | None:
        row = self.c.execute(select(t.offsets).where(
            t.offsets.c.application_id == application_id)).first()
        return dict(row._mapping) if row is not None else None

    def offsets_of_calculation(self, calculation_id: int) -> builtins.list[dict[str, Any]]:
        """The offsets filed for a calculation, with their application's status."""
        o, a = t.offsets, t.invalidation_applications
        rows = self.c.execute(select(o.c.application_id, a.c.status, a.c.quantity)
                              .join(a, a.c.id == o.c.application_id)
                              .where(o.c.calculation_id == calculation_id))
        return [dict(r._mapping) for r in rows]

    def offsets_of_accounts(self, account_ids: builtins.list[int]
                            ) -> builtins.list[dict[str, Any]]:
        """The OFFSET applications of the accounts, with what they offset when filed as
        an offset (an OFFSET invalidation filed directly has no offsets row)."""
        o, a = t.offsets, t.invalidation_applications
        rows = self.c.execute(
            select(a.c.id.label("application_id"), o.c.calculation_id,
                   func.coalesce(o.c.subject, a.c.purpose_details).label("subject"),
                   func.coalesce(o.c.created_at, a.c.applied_at).label("created_at"),
                   a.c.status, a.c.quantity, a.c.offset_purpose, a.c.credit_user_name,
                   a.c.notice_number)
            .outerjoin(o, o.c.application_id == a.c.id)
            .where(a.c.account_id.in_(account_ids), a.c.use == "OFFSET")
            .order_by(a.c.id.desc()))
        return [dict(r._mapping) for r in rows]

    # certificates -------------------------------------------------------------------
    def next_certificate_id(self) -> int:
        return int(self.c.execute(select(func.coalesce(func.max(t.offset_certificates.c.id),
                                                       0))).scalar_one()) + 1

    def add_certificate(self, row: dict[str, Any]) -> None:
        self.c.execute(insert(t.offset_certificates).values(
            row | {"third_party": int(bool(row["third_party"]))}))

    def certificate(self, token: str) -> dict[str, Any] | None:
        row = self.c.execute(select(t.offset_certificates).where(
            t.offset_certificates.c.token == token)).first()
        return _certificate(row) if row is not None else None

    def certificates(self, application_id: int) -> builtins.list[dict[str, Any]]:
        c = t.offset_certificates
        rows = self.c.execute(select(c).where(c.c.application_id == application_id)
                              .order_by(c.c.id))
        return [_certificate(r) for r in rows]


def _calculation(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["inputs"] = json.loads(data["inputs"])
    data["result"] = json.loads(data["result"])
    return data


def _certificate(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["third_party"] = bool(data["third_party"])
    return data
