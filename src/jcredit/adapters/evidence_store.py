"""Evidence files, stored by the SHA-256 of their bytes (content-addressed, local files).

An upload is received in two steps so that nothing is kept for a request that fails:
:meth:`LocalEvidenceStore.receive` copies it in chunks to a temporary file in the data
directory (never whole in memory), hashing and counting as it goes, refuses it as soon as
it is too large, and checks its type against an allow-list by its first bytes as well as
its name; :meth:`IncomingFile.keep` renames it into place (atomic, same file system) only
once the command that records it has committed, and :meth:`IncomingFile.discard` removes
it otherwise. Storing the same bytes twice stores them once; every read re-hashes the
bytes, so a changed file is refused, not served.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
CHUNK = 256 * 1024
STALE_SECONDS = 3600.0

# name suffix → (media type, how the content starts); None: text, checked by decoding
_PDF = ("application/pdf", (b"%PDF-",))
_PNG = ("image/png", (b"\x89PNG\r\n\x1a\n",))
_JPEG = ("image/jpeg", (b"\xff\xd8\xff",))
_OOXML = (b"PK\x03\x04",)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": _PDF, ".png": _PNG, ".jpg": _JPEG, ".jpeg": _JPEG,
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _OOXML),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              _OOXML),
    ".csv": ("text/csv", None), ".txt": ("text/plain", None),
}
_OOXML_PART = {".xlsx": "xl/", ".docx": "word/"}
# Text that a browser would run or render as a page: refused even in a .txt or .csv.
_ACTIVE_TEXT = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe")


def allowed_types() -> list[str]:
    return sorted(ALLOWED)


@dataclass
class IncomingFile:
    """An upload waiting in a temporary file for the command that records it."""

    store: LocalEvidenceStore
    path: Path
    sha256: str
    size: int
    media_type: str
    filename: str

    def keep(self) -> None:
        """Move the file into place under its SHA-256 (after the command committed)."""
        target = self.store._path(self.sha256)
        if target.exists():
            self.discard()
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class LocalEvidenceStore:
    def __init__(self, root: Path, incoming: Path | None = None) -> None:
        self.root = root
        self.incoming = incoming or root / ".incoming"
        self.sweep()

    def sweep(self, older_than_seconds: float = STALE_SECONDS) -> int:
        """Remove temporary files left by a process that stopped between receiving an
        upload and keeping or discarding it (an upload in progress is never that old)."""
        if not self.incoming.is_dir():
            return 0
        removed, cutoff = 0, time.time() - older_than_seconds
        for path in self.incoming.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise NotFoundError(f"not a SHA-256: {sha256!r}", field="sha256")
        return self.root / sha256[:2] / sha256

    def receive(self, source: BinaryIO, filename: str) -> IncomingFile:
        """Copy an upload to a temporary file, checking its size and type on the way; the
        temporary file is removed if anything is refused (or fails)."""
        name = " ".join(str(filename or "").split())
        suffix = Path(name).suffix.lower()
        if suffix not in ALLOWED:
            raise ValidationError(f"file {name!r}: {suffix or 'no extension'} files are not "
                                  "accepted as evidence", field="file", valid=allowed_types())
        self.incoming.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.incoming, prefix="upload-")
        path = Path(temporary)
        try:
            with os.fdopen(handle, "wb") as out:
                digest, size, head = _copy(source, out)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise ValidationError("the file is empty", field="file")
            media_type = _check_type(path, name, suffix, head)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return IncomingFile(self, path, digest, size, media_type, name)

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        if not path.exists():
            raise NotFoundError(f"no evidence file {sha256}", field="sha256")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ConflictError(f"evidence file {sha256} was changed on disk: refusing to serve "
                                "it", field="sha256")
        return data


def _copy(source: BinaryIO, out: BinaryIO) -> tuple[str, int, bytes]:
    """Copy in chunks: the SHA-256, the size and the first bytes; refuse at the limit."""
    hasher, size, head = hashlib.sha256(), 0, b""
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > MAX_EVIDENCE_BYTES:
            raise ValidationError(f"the file is larger than {MAX_EVIDENCE_BYTES // 2**20} MB",
                                  field="file")
        if len(head) < 4096:
            head += chunk[:4096 - len(head)]
        hasher.update(chunk)
        out.write(chunk)
    return hasher.hexdigest(), size, head


def _check_type(path: Path, name: str, suffix: str, head: bytes) -> str:
    """The media type the content really is, or a refusal: the first bytes must be what
    the name says (a .pdf starts with %PDF-), text must be text (UTF-8 or cp932, no NUL,
    nothing a browser would render as a page), an Office file must be one."""
    media_type, magic = ALLOWED[suffix]
    if magic is None:
        _check_text(path, name, head)
    elif not head.startswith(magic):
        raise ValidationError(f"file {name!r} is named {suffix} but its content is not "
                              f"{media_type}", field="file", valid=allowed_types())
    elif suffix in _OOXML_PART:
        _check_office(path, name, suffix)
    return media_type


def _check_text(path: Path, name: str, head: bytes) -> None:
    data = path.read_bytes()
    if b"\x00" in data or data.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_ACTIVE_TEXT):
        raise ValidationError(f"file {name!r} is not plain text (binary, HTML, SVG or XML "
                              "content)", field="file", valid=allowed_types())
    for encoding in ("utf-8", "cp932"):
        try:
            data.decode(encoding)
            return
        except UnicodeDecodeError:
            continue
    raise ValidationError(f"file {name!r} is not text in UTF-8 or Shift_JIS (cp932)",
                          field="file", valid=allowed_types())


def _check_office(path: Path, name: str, suffix: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        names = []
    part = _OOXML_PART[suffix]
    macros = any(n.lower().endswith("vbaproject.bin") for n in names)
    if "[Content_Types].xml" not in names or not any(n.startswith(part) for n in names) \
            or macros:
        raise ValidationError(f"file {name!r} is not a {suffix} document without macros",
                              field="file", valid=allowed_types())
