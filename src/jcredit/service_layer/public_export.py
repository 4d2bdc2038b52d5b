"""The daily full export of the open data (issue 16): every public table in one ZIP file,
CSV (UTF-8 with BOM, for Excel) and JSON, with a manifest naming the journal head the
export was read at and each file's SHA-256 and row count. Built by ``jcredit public
export`` (run it daily, e.g. from cron) or on the first request of the JST day to
``GET /api/v1/public/export``; the same rows the public pages and the paginated API show."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

from jcredit.service_layer import case_queries
from jcredit.service_layer import public_queries
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork

PROJECT_FIELDS = ("no", "source", "applied_on", "implementer", "implementer_corporate_number",
                  "location", "prefecture", "holder", "holder_corporate_number", "summary",
                  "start_date", "methodology_id", "methodology_version")
ISSUANCE_FIELDS = ("root_id", "project_id", "serials", "scheme", "credit_type", "category",
                   "methodology", "certification_number", "vintage", "issued", "held",
                   "reserved", "invalidated", "retired", "cancelled")
HOLDING_FIELDS = ("root_id", "block_id", "serials", "first_serial", "last_serial",
                  "quantity", "event", "state", "live", "recorded_at", "journal_seq",
                  "closed_seq", "holder", "use", "offset_purpose", "invalidation_id")
EXPORT_LINEAGE_LIMIT = 1_000_000


def _pages(fetch: Callable[[int], dict[str, Any]], key: str) -> Iterator[dict[str, Any]]:
    page = 1
    while True:
        data = fetch(page)
        yield from data[key]
        if page >= data["pages"]:
            return
        page += 1


def _csv(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: " ".join(map(str, v)) if isinstance(v, list) else v
                         for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True,
                      default=str).encode("utf-8")


def tables(uow: AbstractUnitOfWork) -> dict[str, tuple[list[dict[str, Any]], Sequence[str]]]:
    """Every public table: name → (rows, columns)."""
    projects = list(_pages(lambda n: public_queries.projects(uow, page=n), "projects"))
    invalidations = list(_pages(lambda n: public_queries.invalidations(uow, page=n),
                                "invalidations"))
    cases = list(_pages(lambda n: case_queries.search(uow, page=n), "cases"))
    issuances: list[dict[str, Any]] = []
    holdings: list[dict[str, Any]] = []
    for row in public_queries.issuance_rows(uow):
        issuances.append(row)
        lineage = public_queries.credit_lineage(uow, row["root_id"],
                                                limit=EXPORT_LINEAGE_LIMIT)
        holdings += [{"root_id": row["root_id"], **h} for h in lineage["holdings"]]
    statistics = public_queries.statistics(uow)
    by_dimension = {f"statistics-by-{dim}": (
        [{dim: key} | totals for key, totals in statistics["by"][dim].items()],
        (dim, *statistics["totals"])) for dim in statistics["by"]}
    return {"projects": (projects, PROJECT_FIELDS),
            "issuances": (issuances, ISSUANCE_FIELDS),
            "holdings": (holdings, HOLDING_FIELDS),
            "invalidations": (invalidations, public_queries.INVALIDATION_FIELDS),
            "cases": (cases, case_queries.FIELDS), **by_dimension}


def build(uow: AbstractUnitOfWork, *, generated_at: str) -> bytes:
    """The export as a ZIP: ``<table>.csv`` and ``<table>.json`` for each table,
    ``statistics.json`` and ``manifest.json``."""
    head = uow.journal.page(limit=1)
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for name, (rows, fields) in tables(uow).items():
        files[f"{name}.csv"] = _csv(rows, fields)
        files[f"{name}.json"] = _json([{k: r.get(k) for k in fields} for r in rows])
        counts[name] = len(rows)
    files["statistics.json"] = _json(public_queries.statistics(uow))
    manifest = {"generated_at": generated_at,
                "journal_head": {"seq": head[0].seq, "hash": head[0].hash} if head else None,
                "rows": counts,
                "files": {name: hashlib.sha256(data).hexdigest()
                          for name, data in sorted(files.items())}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr("manifest.json", _json(manifest))
    return buffer.getvalue()
