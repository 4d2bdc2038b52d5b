"""Files the API and the web hand out: PDF, CSV, JSON Lines and evidence files.

Every download names its type and how the browser should treat it (docs/ui.md, "Documents
and downloads"):

- a PDF opens in the browser's viewer (``inline``), with its file name for saving;
- CSV is an ``attachment`` in UTF-8 with a BOM (Excel then reads the Japanese right),
  full precision and UTC ISO timestamps (a JST column where people read times);
- JSON Lines (one journal entry per line) is an ``attachment`` too;
- an evidence file keeps the type found in its bytes and is always an ``attachment`` (an
  uploaded HTML or SVG file is never rendered on the registry's origin).

File names may be Japanese: ``filename=`` carries an ASCII stand-in for old clients and
``filename*=UTF-8''…`` (RFC 6266 / RFC 8187) the real name. ``nosniff`` and the content
security policy (a PDF's lets the browser's viewer run) come from
``entrypoints.security_headers``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import Literal
from urllib.parse import quote

from fastapi.responses import Response

CSV_TYPE = "text/csv; charset=utf-8"
JSONL_TYPE = "application/x-ndjson; charset=utf-8"


def content_disposition(filename: str, kind: Literal["inline", "attachment"] = "attachment"
                        ) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…``: an ASCII fallback (every other
    character becomes ``_``) and the UTF-8 name percent-encoded."""
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\;' else "_"
                       for ch in filename) or "download"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(data: bytes, media_type: str, filename: str, *,
                  inline: bool = False, headers: Mapping[str, str] | None = None) -> Response:
    extra = dict(headers or {})
    extra["Content-Disposition"] = content_disposition(
        filename, "inline" if inline else "attachment")
    return Response(data, media_type=media_type, headers=extra)


def pdf_response(data: bytes, filename: str, *, inline: bool = True) -> Response:
    """A PDF the browser shows in its viewer (``inline``) or saves (``attachment``)."""
    return file_response(data, "application/pdf", filename, inline=inline)


def csv_text(rows: Sequence[Mapping[str, Any]], fieldnames: Sequence[str] | None = None) -> str:
    """CSV with a header; values written as they are (full precision)."""
    buffer = io.StringIO()
    names = list(fieldnames or (list(rows[0]) if rows else []))
    writer = csv.DictWriter(buffer, fieldnames=names, extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def csv_response(rows: Sequence[Mapping[str, Any]], filename: str,
                 fieldnames: Sequence[str] | None = None) -> Response:
    """A CSV download: UTF-8 with a BOM (for Excel), ``attachment``."""
    return file_response(("\ufeff" + csv_text(rows, fieldnames)).encode("utf-8"), CSV_TYPE,
                         filename)


def jsonl_response(items: Iterable[Mapping[str, Any]], filename: str) -> Response:
    """One JSON object per line (JSON Lines), UTF-8, ``attachment``."""
    text = "".join(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n"
                   for item in items)
    return file_response(text.encode("utf-8"), JSONL_TYPE, filename)


def results_csv(rows: Sequence[Mapping[str, Any]], project: str, period: int) -> Response:
    """A monitoring period's results (``project_queries.period_results_rows``)."""
    return csv_response(rows, f"{project}-{period:02d}-results.csv",
                        fieldnames=None if rows else ["activity"])
