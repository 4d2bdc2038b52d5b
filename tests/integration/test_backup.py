"""Backup and restore (``adapters/backup.py``, ``jcredit backup`` / ``jcredit restore``).

A backup taken while a thread keeps transferring restores, on SQLite and on PostgreSQL,
into a registry whose journal ends where the manifest says and whose ledger check is
clean; a backup changed after the fact is refused before anything is touched; a registry
in use is replaced only with ``--force`` and a confirmation.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from jcredit.adapters.backup import MANIFEST
from jcredit.adapters.backup import create_backup
from jcredit.adapters.backup import restore_backup
from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.cli.app import app
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries
from tests.conftest import issue
from tests.conftest import setup_two_orgs
from tests.pg_server import PostgresServer

SUPPLY = 100_000


@pytest.fixture
def empty_target(database_url: str, request: pytest.FixtureRequest,
                 tmp_path: Path) -> Iterator[str]:
    """A database of the same kind as ``database_url`` with nothing in it."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'jcredit.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = server.create_database()
    yield server.sqlalchemy_url(name)
    server.drop_database(name)


def journal_head(registry: Registry) -> tuple[int, str]:
    with registry.engine.connect() as conn:
        row = conn.execute(text("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
                           ).one()
    return int(row[0]), str(row[1])


class Transfers(threading.Thread):
    """Transfers one credit at a time from ``a`` to ``b`` until stopped."""

    def __init__(self, registry: Registry, a: str, b: str) -> None:
        super().__init__(daemon=True)
        self.registry, self.a, self.b = registry, a, b
        self.done = 0
        self.errors: list[BaseException] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.registry.bus.handle(c.TransferCredits(
                    from_account=self.a, to_account=self.b, quantity=1), actor=SYSTEM_ACTOR)
            except BaseException as error:  # reported by the test
                self.errors.append(error)
                return
            self.done += 1

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while self.done < count and not self.errors and time.monotonic() < deadline:
            time.sleep(0.005)
        assert self.done >= count, self.errors


def keep_evidence(registry: Registry, data: bytes, name: str) -> str:
    """An evidence file stored as an upload is: received, checked, then kept."""
    incoming = registry.evidence.receive(io.BytesIO(data), name)
    incoming.keep()
    return incoming.sha256


def test_backup_during_writes_restores_a_consistent_registry(
        registry: Registry, database_url: str, empty_target: str, tmp_path: Path) -> None:
    accounts = setup_two_orgs(registry)
    issue(registry, accounts["a"], SUPPLY)
    evidence = keep_evidence(registry, b"%PDF-1.4 verification report", "report.pdf")
    writer = Transfers(registry, accounts["a"], accounts["b"])
    writer.start()
    try:
        writer.wait_for(20)
        before = journal_head(registry)[0]
        manifest = create_backup(database_url, tmp_path, tmp_path / "backup")
        writer.wait_for(writer.done + 20)  # and it keeps writing after the copy
    finally:
        writer.stop.set()
        writer.join()
    assert writer.errors == []
    assert before <= manifest.head_seq < journal_head(registry)[0]

    restore_backup(tmp_path / "backup", empty_target, tmp_path / "restored")

    restored = bootstrap(Settings(database_url=empty_target, data_dir=tmp_path / "restored",
                                  environment="test"))
    try:
        assert journal_head(restored) == (manifest.head_seq, manifest.head_hash)
        with restored.uow(write=False) as uow:
            result = queries.check_ledger(uow)
            balances = [queries.account_detail(uow, SYSTEM_ACTOR, accounts[x])["balance"]
                        for x in "ab"]
        assert result.ok, result.issues
        assert sum(balances) == SUPPLY and balances[1] > 0
        assert restored.evidence.get(evidence) == b"%PDF-1.4 verification report"
    finally:
        restored.dispose()


def _flip_database_byte(backup: Path) -> None:
    path = backup / "database.sqlite3"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _change_evidence(backup: Path) -> None:
    for path in (backup / "data" / "evidence").rglob("*"):
        if path.is_file():
            path.write_bytes(b"another report")


def _add_file(backup: Path) -> None:
    (backup / "data" / "evidence" / "extra").write_bytes(b"slipped in")


def _remove_evidence(backup: Path) -> None:
    for path in (backup / "data" / "evidence").rglob("*"):
        if path.is_file():
            path.unlink()


def _link_evidence(backup: Path) -> None:
    for path in (backup / "data" / "evidence").rglob("*"):
        if path.is_file():
            outside = backup.parent / "elsewhere"
            outside.write_bytes(path.read_bytes())  # same bytes: only the link is wrong
            path.unlink()
            path.symlink_to(outside)


def _edit_manifest_head(backup: Path) -> None:
    manifest = json.loads((backup / MANIFEST).read_text("utf-8"))
    manifest["journal"]["head_seq"] += 1
    (backup / MANIFEST).write_text(json.dumps(manifest), "utf-8")


@pytest.mark.parametrize(("tamper", "fragment"), [
    (_flip_database_byte, "database.sqlite3 does not match its SHA-256"),
    (_change_evidence, "does not match its SHA-256"),
    (_add_file, "extra is in the backup but not in its manifest"),
    (_remove_evidence, "listed in the manifest but missing"),
    (_link_evidence, "is a symbolic link"),
    (_edit_manifest_head, r"ends at journal entry (\d+), the manifest says (?!\1)\d+"),
])
def test_a_changed_backup_is_refused(sqlite_registry: Registry, sqlite_url: str,
                                     tmp_path: Path, tamper: object, fragment: str) -> None:
    accounts = setup_two_orgs(sqlite_registry)
    issue(sqlite_registry, accounts["a"], 10)
    keep_evidence(sqlite_registry, b"monitoring report", "report.txt")
    create_backup(sqlite_url, tmp_path, tmp_path / "backup")
    tamper(tmp_path / "backup")  # type: ignore[operator]
    target = tmp_path / "restored" / "jcredit.sqlite3"
    with pytest.raises(ValidationError, match=fragment):
        restore_backup(tmp_path / "backup", f"sqlite:///{target}", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()  # refused before anything was written


def cli(*args: str) -> tuple[int, dict[str, object] | str]:
    result = CliRunner().invoke(app, [*args, "--json"])
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.stdout + result.stderr


def test_cli_backup_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live, fresh = tmp_path / "live", tmp_path / "fresh"
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(live))
    assert cli("org", "create", "--name", "株式会社テスト", "--corporate-number",
               "7000012050002")[0] == 0
    code, made = cli("backup", str(tmp_path / "registry.tar.gz"))
    assert code == 0 and isinstance(made, dict), made
    assert cli("backup", str(tmp_path / "registry.tar.gz"))[0] == 5  # never overwritten

    # the live registry is not empty: refused, then --force needs a confirmation
    code, refused = cli("restore", str(tmp_path / "registry.tar.gz"))
    assert code == 5 and "journal entries" in str(refused)
    code, unconfirmed = cli("restore", str(tmp_path / "registry.tar.gz"), "--force")
    assert code == 4 and "--yes" in str(unconfirmed)
    code, replaced = cli("restore", str(tmp_path / "registry.tar.gz"), "--force", "--yes")
    assert code == 0 and isinstance(replaced, dict) and replaced["ledger_ok"] is True

    monkeypatch.setenv("JCREDIT_DATA_DIR", str(fresh))
    code, restored = cli("restore", str(tmp_path / "registry.tar.gz"))
    assert code == 0 and isinstance(restored, dict), restored
    assert restored["ledger_ok"] is True
    assert (restored["journal_head_seq"], restored["journal_head_hash"]) == (
        made["journal_head_seq"], made["journal_head_hash"])
    code, orgs = cli("org", "list")
    assert code == 0 and "株式会社テスト" in str(orgs)


@pytest.mark.postgres
def test_an_unreachable_database_is_a_clear_error(pg_server: PostgresServer,
                                                  tmp_path: Path) -> None:
    missing = pg_server.sqlalchemy_url("jcredit_no_such_database")
    with pytest.raises(ConflictError, match=r"cannot use the database .*jcredit_no_such_database"):
        create_backup(missing, tmp_path, tmp_path / "backup")
    assert not (tmp_path / "backup").exists()


def test_the_readme_restore_into_a_fresh_development_data_dir(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by a tester: a development start writes its own secret_key into the fresh data
    dir, and the restore refused it as a file 'with other contents'; the archive and the
    restored files were readable by everyone, and the archive carried the signing key."""
    import stat
    import tarfile

    live, fresh = tmp_path / "live", tmp_path / "fresh"
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "development")
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(live))
    assert cli("org", "create", "--name", "株式会社テスト", "--corporate-number",
               "7000012050002")[0] == 0
    assert (live / "secret_key").is_file()
    (live / "evidence" / "ab").mkdir(parents=True)
    (live / "evidence" / "ab" / "notes").write_bytes(b"monitoring notes")
    archive = tmp_path / "registry.tar.gz"
    code, made = cli("backup", str(archive))
    assert code == 0, made
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert all(stat.S_IMODE(m.mode) & 0o077 == 0 for m in tar.getmembers() if m.isfile())
    assert "data/evidence/ab/notes" in names and not any("secret_key" in n for n in names)

    monkeypatch.setenv("JCREDIT_DATA_DIR", str(fresh))
    code, restored = cli("restore", str(archive))
    assert code == 0 and isinstance(restored, dict), restored
    assert restored["ledger_ok"] is True
    notes = fresh / "evidence" / "ab" / "notes"
    assert notes.read_bytes() == b"monitoring notes"
    assert stat.S_IMODE(notes.stat().st_mode) == 0o600
    assert (fresh / "secret_key").read_text() != (live / "secret_key").read_text()
