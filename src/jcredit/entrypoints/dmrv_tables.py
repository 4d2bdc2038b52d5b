"""The bulk device CSV (docs/dmrv.md §1), read the same way by the web upload, the API and
the CLI: a header line naming the columns, then one device per line.

``project,activity,device_id,capacity_ac_kw,capacity_dc_kw,commissioned_on,latitude,
longitude,tilt,azimuth,serial,certification_expires,channels,public_key``; ``tilt``,
``azimuth``, ``certification_expires`` and ``channels`` may be left out or empty
(``channels`` then means ``generation``); channels are separated by ``;``. The file is
decoded by :func:`jcredit.entrypoints.tables_in.decode_csv` (UTF-8, with or without BOM, or
Shift_JIS). What this module refuses is the file's shape (a header without a needed column,
an unknown column, a line with more cells than the header), every such line at once; the
handler checks each cell and reports every bad line with its line and column.
"""

from __future__ import annotations

from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.tables_in import _extra_cells
from jcredit.entrypoints.tables_in import read_table
from jcredit.service_layer import commands as c
from jcredit.service_layer.handlers.dmrv import DEVICE_COLUMNS

OPTIONAL_COLUMNS = ("tilt", "azimuth", "certification_expires", "channels")
REQUIRED_COLUMNS = tuple(col for col in DEVICE_COLUMNS if col not in OPTIONAL_COLUMNS)
HEADER = ",".join(DEVICE_COLUMNS)


def device_rows(text: str) -> list[tuple[int, dict[str, object]]]:
    """The devices of the file with the line each starts on, or the file's shape refused."""
    header, lines_cells, problems = read_table(text)
    if header is None:
        raise ValidationError(f"the CSV needs a header line: {HEADER}", field="csv",
                              valid=DEVICE_COLUMNS)
    missing = [col for col in REQUIRED_COLUMNS if col not in header]
    unknown = [col for col in header if col not in DEVICE_COLUMNS]
    twice = sorted({col for col in header if header.count(col) > 1})
    if missing or unknown or twice:
        what = "; ".join(part for part in (
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"unknown column(s) {', '.join(repr(u) for u in unknown)}" if unknown else "",
            f"column(s) given twice: {', '.join(twice)}" if twice else "") if part)
        raise ValidationError(f"the CSV header: {what}", field="csv", valid=DEVICE_COLUMNS,
                              errors=[{"line": 1, "column": "header", "value": ",".join(header),
                                       "message": what, "valid": list(DEVICE_COLUMNS)}])
    rows: list[tuple[int, dict[str, object]]] = []
    for line, cells in lines_cells:
        if len(cells) > len(header):
            problems.append(_extra_cells(line, header, cells))
        else:
            rows.append((line, dict(zip(header, (cell.strip() for cell in cells),
                                        strict=False))))
    if problems:
        raise ValidationError(f"{len(problems)} line(s) have more cells than the header: "
                              "nothing was registered", field="csv", errors=problems)
    if not rows:
        raise ValidationError("the CSV has a header but no device line", field="csv")
    return rows


def register_devices_command(text: str) -> c.RegisterDevices:
    """The whole file as one command: all its devices are registered, or none."""
    rows = device_rows(text)
    return c.RegisterDevices(devices=tuple(row for _, row in rows),
                             lines=tuple(line for line, _ in rows))
