"""Evidence uploads keep nothing unless the caller may upload, the file is of an accepted
type and size, and the command recording it committed (ASVS V12.1, V12.2, V12.4)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jcredit.adapters.evidence_store import CHUNK
from jcredit.adapters.evidence_store import MAX_EVIDENCE_BYTES
from jcredit.adapters.evidence_store import LocalEvidenceStore
from jcredit.bootstrap import Registry
from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.demo import DEMO_PASSWORD
from tests.e2e.support import demo_client
from tests.e2e.support import login

URL = "/api/v1/projects/JCP-000001/evidence"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        yield test_client


def web_login(client: TestClient, username: str) -> str:
    """Log in through the form; returns the CSRF token of the session."""
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf": token.group(1)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/projects/new")  # a page with a form, whoever is logged in
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    return token.group(1)


def stored_files(registry: Registry) -> list[Path]:
    """Every file under the evidence directory (temporary ones included)."""
    root = registry.evidence.root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def journal_length(registry: Registry) -> int:
    with registry.uow(write=False) as uow:
        return len(list(uow.journal.iterate()))


def test_an_anonymous_web_upload_stores_nothing(client: TestClient,
                                                sqlite_registry: Registry) -> None:
    response = client.post("/projects/NOPE/evidence", files={"file": ("x.pdf", b"%PDF-1.4 x")},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    response = client.post("/projects/JCP-000001/evidence",
                           files={"file": ("x.pdf", b"%PDF-1.4 x")}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert stored_files(sqlite_registry) == []


def test_a_caller_who_may_not_attach_evidence_stores_nothing(
        client: TestClient, sqlite_registry: Registry) -> None:
    before = journal_length(sqlite_registry)
    for username in ("auditor", "midori"):  # read-only; another organisation
        response = client.post(URL, files={"file": ("meter.pdf", b"%PDF-1.4 meter")},
                               headers=login(client, username) | {"Idempotency-Key": "u1"})
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert stored_files(sqlite_registry) == []
    assert journal_length(sqlite_registry) == before


def test_a_web_upload_to_another_organisations_project_stores_nothing(
        client: TestClient, sqlite_registry: Registry) -> None:
    csrf = web_login(client, "midori")
    response = client.post("/projects/JCP-000001/evidence", data={"csrf": csrf, "idem": "w"},
                           files={"file": ("meter.pdf", b"%PDF-1.4 meter")})
    assert response.status_code == 403
    assert stored_files(sqlite_registry) == []


def _xlsx(macro: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        if macro:
            archive.writestr("xl/vbaProject.bin", b"\x00macro")
    return buffer.getvalue()


REFUSED = [
    ("page.html", b"<html><script>alert(1)</script></html>"),
    ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>"),
    ("tool.exe", b"MZ\x90\x00\x03" + bytes(100)),
    ("report.pdf", b"MZ\x90\x00 an executable named .pdf"),
    ("photo.png", b"%PDF-1.4 a PDF named .png"),
    ("notes.txt", b"<!DOCTYPE html><html><body>page</body></html>"),
    ("readings.csv", b"code,kwh\x00\x01\x02binary"),
    ("book.xlsx", b"PK\x03\x04 not really a zip"),
    ("macro.xlsx", _xlsx(macro=True)),
    ("noextension", b"%PDF-1.4 x"),
]


def test_a_file_of_a_refused_type_is_not_kept(client: TestClient,
                                              sqlite_registry: Registry) -> None:
    before = journal_length(sqlite_registry)
    taiyo = login(client, "taiyo")
    for number, (name, content) in enumerate(REFUSED):
        response = client.post(URL, files={"file": (name, content, "application/pdf")},
                               headers=taiyo | {"Idempotency-Key": f"t{number}"})
        assert response.status_code == 422, (name, response.text)
        problem = response.json()
        assert problem["field"] == "file" and ".pdf" in problem["valid"], name
        assert stored_files(sqlite_registry) == [], name
    assert journal_length(sqlite_registry) == before


def test_an_oversize_file_is_refused_and_not_kept(client: TestClient,
                                                  sqlite_registry: Registry) -> None:
    content = b"%PDF-1.4\n" + b"0" * MAX_EVIDENCE_BYTES
    response = client.post(URL, files={"file": ("big.pdf", content)},
                           headers=login(client, "taiyo") | {"Idempotency-Key": "big"})
    assert response.status_code == 422 and "20 MB" in response.json()["detail"]
    assert stored_files(sqlite_registry) == []


class Endless(io.RawIOBase):
    """A stream that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = CHUNK if size is None or size < 0 else size
        self.read_bytes += size
        return b"%PDF-1.4" + b"0" * (size - 8)


def test_the_store_stops_reading_at_the_limit_and_keeps_nothing(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    source = Endless()
    with pytest.raises(ValidationError) as refused:
        store.receive(source, "endless.pdf")  # type: ignore[arg-type]
    assert refused.value.field == "file"
    assert source.read_bytes <= MAX_EVIDENCE_BYTES + CHUNK
    assert [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()] == []


def test_a_file_whose_command_fails_is_not_kept(client: TestClient,
                                                sqlite_registry: Registry) -> None:
    taiyo = login(client, "taiyo")
    first = client.post(URL, files={"file": ("a.pdf", b"%PDF-1.4 first")},
                        headers=taiyo | {"Idempotency-Key": "same-key"})
    assert first.status_code == 201, first.text
    kept = stored_files(sqlite_registry)
    # the same key for another file: the bus refuses the command, the new file goes
    again = client.post(URL, files={"file": ("b.pdf", b"%PDF-1.4 second")},
                        headers=taiyo | {"Idempotency-Key": "same-key"})
    assert again.status_code == 422 and again.json()["code"] == "idempotency_key_reused"
    assert stored_files(sqlite_registry) == kept


def test_a_proper_upload_is_kept_with_the_type_its_content_is(
        client: TestClient, sqlite_registry: Registry) -> None:
    taiyo = login(client, "taiyo")
    response = client.post(URL, files={"file": ("meter.png", PNG, "text/html")},
                           headers=taiyo | {"Idempotency-Key": "png"})
    assert response.status_code == 201, response.text
    sha = hashlib.sha256(PNG).hexdigest()
    assert response.json()["media_type"] == "image/png"
    assert stored_files(sqlite_registry) == [sqlite_registry.evidence._path(sha)]
    assert stat.S_IMODE(sqlite_registry.evidence._path(sha).stat().st_mode) == 0o600
    download = client.get(f"{URL}/{sha}", headers=taiyo)
    assert download.content == PNG and download.headers["content-type"] == "image/png"
    for name, content in (("book.xlsx", _xlsx()), ("読み取り.csv", "月,kWh\n12,120\n".encode(
            "cp932")), ("memo.txt", "メモ".encode()), ("photo.jpg", b"\xff\xd8\xff\xe0 jpeg")):
        added = client.post(URL, files={"file": (name, content)},
                            headers=taiyo | {"Idempotency-Key": f"k{len(content)}"})
        assert added.status_code == 201, (name, added.text)
    assert len(stored_files(sqlite_registry)) == 5


def test_a_web_upload_by_the_implementer_is_kept(client: TestClient,
                                                 sqlite_registry: Registry) -> None:
    csrf = web_login(client, "taiyo")
    response = client.post("/projects/JCP-000001/evidence", data={"csrf": csrf, "idem": "w1"},
                           files={"file": ("invoice.pdf", b"%PDF-1.4 invoice")},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    assert len(stored_files(sqlite_registry)) == 1
    refused = client.post("/projects/JCP-000001/evidence", data={"csrf": csrf, "idem": "w2"},
                          files={"file": ("page.html", b"<html></html>")})
    assert refused.status_code == 422 and "page.html" in refused.text
    assert len(stored_files(sqlite_registry)) == 1


def test_temporary_files_left_by_a_stopped_process_are_swept(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    incoming = store.receive(io.BytesIO(b"%PDF-1.4 left behind"), "a.pdf")
    fresh = store.receive(io.BytesIO(b"%PDF-1.4 in progress"), "b.pdf")
    os.utime(incoming.path, (time.time() - 7200, time.time() - 7200))
    LocalEvidenceStore(tmp_path / "evidence")  # the next start
    assert not incoming.path.exists() and fresh.path.exists()
