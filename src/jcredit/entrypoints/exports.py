"""The daily open-data export file (issue 16): ``<data_dir>/exports/jcredit-public-<JST
date>.zip``, written by ``jcredit public export`` or by the first request of the JST day to
``GET /api/v1/public/export``; a file once written is served as it is for the rest of that
day (the manifest names the journal head it was read at)."""

from __future__ import annotations

import os
import tempfile
import threading
from datetime import timedelta
from datetime import timezone
from pathlib import Path

from jcredit.bootstrap import Registry
from jcredit.service_layer import public_export

JST = timezone(timedelta(hours=9))
_LOCK = threading.Lock()


def export_path(registry: Registry) -> Path:
    day = registry.clock().astimezone(JST).date().isoformat()
    return Path(registry.settings.data_dir) / "exports" / f"jcredit-public-{day}.zip"


def write_daily_export(registry: Registry, out: Path | None = None) -> Path:
    """Build the export now and write it (atomically) to ``out`` or today's file."""
    target = out or export_path(registry)
    target.parent.mkdir(parents=True, exist_ok=True)
    with registry.uow(write=False) as uow:
        data = public_export.build(uow, generated_at=registry.clock().isoformat())
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    os.replace(temporary, target)
    return target


def daily_export(registry: Registry) -> Path:
    """Today's export file, built if it is not there yet (one builder at a time)."""
    path = export_path(registry)
    if path.exists():
        return path
    with _LOCK:
        if not path.exists():
            write_daily_export(registry, path)
    return path
