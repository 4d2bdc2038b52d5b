"""Backups of a registry (its database and the files under the data dir) and their restore.

A backup is a directory (or a ``.tar`` / ``.tar.gz`` archive of one) holding:

- ``database.sqlite3``: a consistent copy of a live SQLite registry, made with SQLite's
  online backup API (one step, so it is one snapshot; in WAL mode the service keeps
  writing meanwhile), or ``database.pgdump``: ``pg_dump --format=custom`` of a PostgreSQL
  registry, taken on a snapshot exported by a repeatable-read transaction, so the journal
  head read in that transaction is exactly the dump's;
- ``data/…``: every other file under the data dir (evidence files, later meter readings),
  copied after the database: a file is written before the row that names it commits, so
  every file the copied database names is there;
- ``manifest.json``, written last: the time, the database kind, the journal head (seq and
  hash) of the copy, and every file with its size and SHA-256.

A restore checks the whole manifest before it touches anything: a file changed, missing or
added makes it refuse. It restores only into an empty registry (no journal entry but the
initialisation) unless forced. The caller then replays the journal (``ledger check``).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from jcredit.adapters.db.engine import build_engine
from jcredit.adapters.db.engine import is_sqlite
from jcredit.config import SECRET_KEY_FILE
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import ValidationError

FORMAT = "jcredit-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
DATA = "data"
INITIALISE = "registry.initialise"
# files beside a SQLite database that belong to it (the writer lock: unit_of_work.py)
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal", ".writer-lock")
_CHUNK = 1 << 20
_ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz)$")


@dataclass(frozen=True)
class Manifest:
    created_at: str
    database_kind: str  # "sqlite" or "postgresql"
    head_seq: int
    head_hash: str
    files: tuple[dict[str, Any], ...]  # {"path", "size", "sha256"}
    server_version: str = ""

    @property
    def database_file(self) -> str:
        return SQLITE_FILE if self.database_kind == "sqlite" else PG_FILE

    def as_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "created_at": self.created_at,
                "database": {"kind": self.database_kind, "file": self.database_file,
                             "server_version": self.server_version},
                "journal": {"head_seq": self.head_seq, "head_hash": self.head_hash},
                "files": list(self.files)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValidationError(f"not a jcredit backup manifest (format {FORMAT} expected)",
                                  field="backup")
        try:
            database, journal = data["database"], data["journal"]
            files = tuple({"path": str(f["path"]), "size": int(f["size"]),
                           "sha256": str(f["sha256"])} for f in data["files"])
            manifest = cls(str(data["created_at"]), str(database["kind"]),
                           int(journal["head_seq"]), str(journal["head_hash"]), files,
                           str(database.get("server_version", "")))
        except (KeyError, TypeError, ValueError) as error:
            raise ValidationError(f"the backup manifest is incomplete: {error}",
                                  field="backup") from None
        if manifest.database_kind not in ("sqlite", "postgresql"):
            raise ValidationError(f"unknown database kind {manifest.database_kind!r}",
                                  field="backup", valid=["sqlite", "postgresql"])
        return manifest


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(root: Path, path: Path) -> dict[str, Any]:
    return {"path": path.relative_to(root).as_posix(), "size": path.stat().st_size,
            "sha256": sha256_file(path)}


def _private(path: Path) -> Any:
    """Open a new file for writing that only its owner can read: a backup holds password
    hashes and evidence (created 0600 whatever the umask)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def _fsync_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with _private(temporary) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def _copy_synced(source: Path, target: Path) -> None:
    """Copy to a temporary name, sync, rename: a crash never leaves half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    with open(source, "rb") as src, _private(temporary) as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(temporary, target)


# -- PostgreSQL tools ----------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump / pg_restore, the password in the environment
    (never on a command line that ``ps`` shows)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    bare: URL = parsed.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), env


def _server_major(conninfo: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    return int(row[0]) // 10000 if row else 0


def pg_tool(name: str, server_major: int) -> str:
    """The ``pg_dump`` / ``pg_restore`` matching the server: Debian's of the same major
    version, else the oldest newer one (they read older servers), else the one on PATH."""
    found = {}
    for path in glob.glob(f"/usr/lib/postgresql/*/bin/{name}"):
        version = Path(path).parent.parent.name
        if version.isdigit():
            found[int(version)] = path
    usable = sorted(v for v in found if v >= server_major)
    if usable:
        return found[usable[0]]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise ConflictError(f"{name} for PostgreSQL {server_major} not found: install the "
                        f"postgresql-client-{server_major} package", field="database")


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ConflictError(f"{Path(args[0]).name} failed: {result.stderr.strip()[:2000]}",
                            field="database")


# -- backup --------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValidationError("an in-memory database cannot be backed up or restored",
                              field="database")
    return Path(database)


def _head(conn: sqlite3.Connection) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def _backup_sqlite(url: str, target: Path) -> tuple[int, str, str]:
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise ValidationError(f"no database at {source_path}", field="database")
    source = sqlite3.connect(source_path, timeout=60)  # reads only
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        seq, head_hash = _head(copy)
        version = sqlite3.sqlite_version
    finally:
        copy.close()
        source.close()
    return seq, head_hash, version


def _backup_postgres(url: str, target: Path) -> tuple[int, str, str]:
    conninfo, env = _libpq(url)
    major = _server_major(conninfo)
    with psycopg.connect(conninfo) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot_row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        row = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
                           ).fetchone()
        version_row = conn.execute("SHOW server_version").fetchone()
        assert snapshot_row is not None and version_row is not None
        # The snapshot lives while this transaction is open: pg_dump reads exactly it.
        _run([pg_tool("pg_dump", major), "--format=custom", "--no-owner", "--no-privileges",
              f"--snapshot={snapshot_row[0]}", f"--file={target}", conninfo], env)
        conn.rollback()
    head = (int(row[0]), str(row[1])) if row else (0, "")
    return head[0], head[1], str(version_row[0])


def _data_files(data_dir: Path, skip: set[Path]) -> Iterator[Path]:
    if not data_dir.is_dir():
        return
    # The development session key signs cookies of this data dir only: it is no registry
    # data, must not travel in an archive, and a restored registry makes its own.
    skip = skip | {(data_dir / SECRET_KEY_FILE).resolve()}
    for path in sorted(data_dir.rglob("*")):
        resolved = path.resolve()
        if (path.is_file() and not path.is_symlink() and resolved not in skip
                and ".tmp-" not in path.name
                and not any(parent in skip for parent in resolved.parents)):
            yield path


def create_backup(database_url: str, data_dir: Path, destination: Path,
                  *, now: datetime | None = None) -> Manifest:
    """Back up the registry at ``database_url`` and the files under ``data_dir``."""
    archive = bool(_ARCHIVE.search(destination.name))
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists() and (archive or not destination.is_dir()
                                 or any(destination.iterdir())):
        raise ConflictError(f"{destination} exists: back up into a new directory or archive",
                            field="destination")
    work = Path(tempfile.mkdtemp(prefix=".jcredit-backup-", dir=destination.parent)
                ) if archive else destination
    try:
        work.mkdir(parents=True, exist_ok=True)
        work.chmod(0o700)
        with _database_errors(database_url):
            manifest = _write_backup(database_url, data_dir, work, destination, now)
        if archive:
            _pack(work, destination)
    except BaseException:
        if archive or destination.exists():
            shutil.rmtree(work, ignore_errors=True)
        raise
    if archive:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _write_backup(database_url: str, data_dir: Path, work: Path, destination: Path,
                  now: datetime | None) -> Manifest:
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    skip = {work.resolve(), destination.resolve()}
    if is_sqlite(database_url):
        kind, name = "sqlite", SQLITE_FILE
        seq, head_hash, version = _backup_sqlite(database_url, work / name)
        live = _sqlite_path(database_url).resolve()
        skip |= {live, *(Path(f"{live}{suffix}") for suffix in SQLITE_COMPANIONS)}
    else:
        kind, name = "postgresql", PG_FILE
        seq, head_hash, version = _backup_postgres(database_url, work / name)
    (work / name).chmod(0o600)
    files = [_entry(work, work / name)]
    for path in _data_files(data_dir, skip):  # after the database: see the module docstring
        target = work / DATA / path.relative_to(data_dir)
        _copy_synced(path, target)
        files.append(_entry(work, target))
    manifest = Manifest(created, kind, seq, head_hash, tuple(files), version)
    _fsync_write(work / MANIFEST, json.dumps(manifest.as_dict(), ensure_ascii=False,
                                             indent=1).encode("utf-8"))
    return manifest


def _pack(work: Path, destination: Path) -> None:
    gzip = destination.name.endswith(("gz", "tgz"))
    temporary = destination.with_name(f".{destination.name}.tmp-{os.getpid()}")
    _private(temporary).close()
    with tarfile.open(temporary, "w:gz" if gzip else "w") as tar:
        for path in sorted(work.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(work).as_posix())
    with open(temporary, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(temporary, destination)


# -- verify and restore --------------------------------------------------------------------


@contextmanager
def _database_errors(database_url: str) -> Iterator[None]:
    """A database that cannot be reached is a clear error naming it, not a traceback."""
    try:
        yield
    except (psycopg.OperationalError, OperationalError) as error:
        where = make_url(database_url).render_as_string(hide_password=True)
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ConflictError(f"cannot use the database {where}: {first_line}",
                            field="database") from None


@contextmanager
def opened_backup(source: Path) -> Iterator[Path]:
    """The backup as a directory: itself, or an archive unpacked into a temporary one."""
    if source.is_dir():
        yield source
        return
    if not source.is_file():
        raise ValidationError(f"no backup at {source}", field="backup")
    work = Path(tempfile.mkdtemp(prefix=".jcredit-restore-"))
    try:
        try:
            with tarfile.open(source) as tar:
                tar.extractall(work, filter="data")  # refuses absolute paths and ../
        except (tarfile.TarError, OSError) as error:
            raise ValidationError(f"{source} is not a readable backup archive: {error}",
                                  field="backup") from None
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def verify_backup(root: Path) -> Manifest:
    """Read the manifest and check every file against it: none changed, missing or added."""
    try:
        manifest = Manifest.from_dict(json.loads((root / MANIFEST).read_text("utf-8")))
    except FileNotFoundError:
        raise ValidationError(f"{root} has no {MANIFEST}: not a jcredit backup",
                              field="backup") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError(f"{MANIFEST} is not valid JSON", field="backup") from None
    listed = {f["path"]: f for f in manifest.files}
    if manifest.database_file not in listed:
        raise ValidationError(f"the manifest does not list {manifest.database_file}",
                              field="backup")
    links = [p for p in root.rglob("*") if p.is_symlink()]
    if links:  # a backup holds files only; a link would make the restore read elsewhere
        raise ValidationError(f"{links[0].relative_to(root)} is a symbolic link: refusing",
                              field="backup")
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    present.discard(MANIFEST)
    unlisted = sorted(present - set(listed))
    if unlisted:
        raise ValidationError(f"{unlisted[0]} is in the backup but not in its manifest: "
                              "refusing a backup that was changed", field="backup")
    for name, wanted in sorted(listed.items()):
        path = root / name
        if ".." in Path(name).parts or Path(name).is_absolute() or name not in present:
            raise ValidationError(f"{name} is listed in the manifest but missing",
                                  field="backup")
        if path.stat().st_size != wanted["size"] or sha256_file(path) != wanted["sha256"]:
            raise ValidationError(f"{name} does not match its SHA-256 in the manifest: "
                                  "refusing a changed or damaged backup", field="backup")
    if manifest.database_kind == "sqlite":
        _check_copy_head(root / SQLITE_FILE, manifest)
    return manifest


def _check_copy_head(copy: Path, manifest: Manifest) -> None:
    """A SQLite copy can be read in place: its journal must end at the manifest's head
    (a PostgreSQL dump is checked once restored)."""
    try:
        conn = sqlite3.connect(f"file:{copy}?mode=ro&immutable=1", uri=True)
        try:
            head = _head(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise ValidationError(f"{SQLITE_FILE} is not a readable registry: {error}",
                              field="backup") from None
    if head != (manifest.head_seq, manifest.head_hash):
        raise ValidationError(f"{SQLITE_FILE} ends at journal entry {head[0]}, the manifest "
                              f"says {manifest.head_seq}: refusing a changed backup",
                              field="backup")


def registry_in_use(database_url: str) -> str | None:
    """Why the target is not an empty registry, or None if it is (no tables, or a journal
    with nothing but the initialisation)."""
    if is_sqlite(database_url) and not _sqlite_path(database_url).exists():
        return None
    engine = build_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if not tables:
                return None
            if "journal" not in tables:
                return f"the database has tables ({', '.join(sorted(tables)[:5])}) but no journal"
            entries = conn.execute(text("SELECT count(*) FROM journal WHERE command != :init"),
                                   {"init": INITIALISE}).scalar_one()
    finally:
        engine.dispose()
    return f"the registry has {entries} journal entries" if entries else None


def restore_backup(source: Path, database_url: str, data_dir: Path,
                   *, force: bool = False) -> Manifest:
    """Verify the backup, then restore it into ``database_url`` and ``data_dir``."""
    with opened_backup(source) as root:
        manifest = verify_backup(root)
        kind = "sqlite" if is_sqlite(database_url) else "postgresql"
        if manifest.database_kind != kind:
            raise ValidationError(f"this is a {manifest.database_kind} backup; the target is "
                                  f"{kind}", field="database", valid=[manifest.database_kind])
        with _database_errors(database_url):
            in_use = registry_in_use(database_url)
        if in_use and not force:
            raise ConflictError(f"{in_use}: restore only into an empty registry, or use "
                                "--force to replace it", field="database")
        data = [f for f in manifest.files if f["path"].startswith(f"{DATA}/")]
        if not force:
            _check_data_files(root, data, data_dir)
        if kind == "sqlite":
            _restore_sqlite(root / SQLITE_FILE, _sqlite_path(database_url))
        else:
            with _database_errors(database_url):
                _restore_postgres(root / PG_FILE, database_url)
        for entry in data:
            target = data_dir / Path(entry["path"]).relative_to(DATA)
            if not (target.is_file() and sha256_file(target) == entry["sha256"]):
                _copy_synced(root / entry["path"], target)
    _check_head(database_url, manifest)
    return manifest


def _check_data_files(root: Path, data: list[dict[str, Any]], data_dir: Path) -> None:
    for entry in data:
        target = data_dir / Path(entry["path"]).relative_to(DATA)
        if target.is_file() and sha256_file(target) != entry["sha256"]:
            raise ConflictError(f"{target} exists with other contents: use --force to "
                                "replace it", field="data_dir")


def _restore_sqlite(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in SQLITE_COMPANIONS[:3]:  # a stale WAL would be replayed into the new file
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    _copy_synced(copy, target)


def _restore_postgres(dump: Path, database_url: str) -> None:
    conninfo, env = _libpq(database_url)
    major = _server_major(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    _run([pg_tool("pg_restore", major), "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", f"--dbname={conninfo}", str(dump)], env)


def _check_head(database_url: str, manifest: Manifest) -> None:
    engine = build_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
                               ).first()
    finally:
        engine.dispose()
    head = (int(row[0]), str(row[1])) if row else (0, "")
    if head != (manifest.head_seq, manifest.head_hash):
        raise ConflictError(f"the restored journal ends at {head}, the manifest says "
                            f"{(manifest.head_seq, manifest.head_hash)}", field="backup")
