"""Evidence files, stored by the SHA-256 of their bytes (content-addressed, local files).

Storing the same bytes twice stores them once; a file is written to a temporary name,
synced and renamed, so a crash never leaves a half-written file under a valid name; every
read re-hashes the bytes, so a changed file is refused, not served.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import NotFoundError

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


class LocalEvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise NotFoundError(f"not a SHA-256: {sha256!r}", field="sha256")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        if path.exists():
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".tmp-{os.getpid()}")
        with open(temporary, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
        return sha256

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        if not path.exists():
            raise NotFoundError(f"no evidence file {sha256}", field="sha256")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ConflictError(f"evidence file {sha256} was changed on disk: refusing to serve "
                                "it", field="sha256")
        return data
