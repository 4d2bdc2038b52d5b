"""SQL rows of the case database (活用事例・創出事例) and its Japanese full-text search.

Words are matched in ``cases.search_text`` (folded: ``domain.cases.model.fold``). On SQLite
a word of three characters or more goes through the FTS5 trigram index ``cases_fts``; a
shorter one (森林, 寄付) is matched with LIKE, which a trigram index cannot answer. On
PostgreSQL every word is a LIKE, which the pg_trgm GIN index answers (migration 0016).
"""

from __future__ import annotations

import builtins
import json
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Connection
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from jcredit.adapters.db import tables as t

_TRIGRAM = 3


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _row(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["content"] = json.loads(data["content"])
    data["uses"] = data["uses"].split()
    data["mark"] = bool(data["mark"])
    return data


class SqlCaseRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def next_id(self) -> int:
        return int(self.c.execute(select(func.coalesce(func.max(t.cases.c.id), 0)))
                   .scalar_one()) + 1

    def add(self, row: dict[str, Any]) -> None:
        self.c.execute(insert(t.cases).values(self._values(row)))

    def update(self, case_id: int, row: dict[str, Any]) -> None:
        self.c.execute(update(t.cases).where(t.cases.c.id == case_id)
                       .values(self._values(row)))

    @staticmethod
    def _values(row: dict[str, Any]) -> dict[str, Any]:
        values = dict(row)
        if "content" in values:
            values["content"] = json.dumps(values["content"], ensure_ascii=False,
                                           sort_keys=True)
        if "uses" in values:
            values["uses"] = " " + " ".join(values["uses"]) + " "
        return values

    def get(self, case_id: int) -> dict[str, Any] | None:
        row = self.c.execute(select(t.cases).where(t.cases.c.id == case_id)).first()
        return _row(row) if row else None

    def _word(self, word: str) -> ColumnElement[bool]:
        cases = t.cases
        if self.c.dialect.name == "sqlite" and len(word) >= _TRIGRAM:
            phrase = '"' + word.replace('"', '""') + '"'
            matched: Select[Any] = (select(literal_column("rowid")).select_from(text("cases_fts"))
                       .where(text("cases_fts MATCH :phrase").bindparams(phrase=phrase)))
            return cases.c.id.in_(matched.scalar_subquery())
        return cases.c.search_text.like(_like(word), escape="\\")

    def search(self, *, words: builtins.list[str], statuses: builtins.list[str],
               filters: dict[str, Any], organisation_id: int | None = None,
               offset: int = 0, limit: int = 50) -> tuple[builtins.list[dict[str, Any]], int]:
        """Cases in ``statuses`` with every word (folded) and every filter (kind, use,
        method, mark, prefecture, category, organisation: part of its name), newest
        first; and how many there are."""
        cases = t.cases
        where: builtins.list[ColumnElement[bool]] = [cases.c.status.in_(statuses)]
        where += [self._word(word) for word in words]
        for name in ("kind", "method", "prefecture", "category"):
            if filters.get(name):
                where.append(cases.c[name] == filters[name])
        if filters.get("use"):
            where.append(cases.c.uses.like(_like(f" {filters['use']} "), escape="\\"))
        if filters.get("mark") is not None:
            where.append(cases.c.mark.is_(bool(filters["mark"])))
        if filters.get("organisation"):
            where.append(cases.c.organisation.like(_like(filters["organisation"]),
                                                   escape="\\"))
        if organisation_id is not None:
            where.append(cases.c.organisation_id == organisation_id)
        condition = and_(*where)
        count = int(self.c.execute(select(func.count()).select_from(cases)
                                   .where(condition)).scalar_one())
        rows = self.c.execute(select(cases).where(condition).order_by(cases.c.id.desc())
                              .offset(offset).limit(limit))
        return [_row(r) for r in rows], count

    def facets(self, statuses: builtins.list[str]) -> dict[str, builtins.list[str]]:
        """The values the cases in ``statuses`` have, per filter (for the search form)."""
        cases = t.cases
        found: dict[str, set[str]] = {"prefecture": set(), "category": set(), "use": set(),
                                      "method": set(), "kind": set()}
        rows = self.c.execute(select(cases.c.prefecture, cases.c.category, cases.c.uses,
                                     cases.c.method, cases.c.kind)
                              .where(cases.c.status.in_(statuses)))
        for prefecture, category, uses, method, kind in rows:
            if prefecture:
                found["prefecture"].add(prefecture)
            if category:
                found["category"].add(category)
            found["use"].update(uses.split())
            found["method"].add(method)
            found["kind"].add(kind)
        return {k: sorted(v) for k, v in found.items()}
