"""A PostgreSQL server for the tests: the local one if reachable, else one started here.

``JCREDIT_TEST_PG_URL`` names a server explicitly. Otherwise 127.0.0.1:5432 (trust auth,
database ``test``) is tried; failing that, a throw-away cluster is created with Debian's
server binaries (``initdb``/``pg_ctl`` from the ``postgresql`` package, which
``scripts/setup --test`` installs) on a free loopback port, and stopped at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import psycopg

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("select 1")
        return True
    except psycopg.Error:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.admin_url = ""
        self._data_dir: str | None = None
        self._bin: str | None = None
        self._as_user: list[str] = []

    def start(self) -> None:
        explicit = os.environ.get("JCREDIT_TEST_PG_URL")
        if explicit:
            self.admin_url = explicit
            return
        if _reachable(DEFAULT_URL):
            self.admin_url = DEFAULT_URL
            return
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not candidates:
            raise RuntimeError("no PostgreSQL server binaries: run scripts/setup --test")
        self._bin = os.path.dirname(candidates[-1])
        self._data_dir = tempfile.mkdtemp(prefix="jcredit-pg-")
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self._data_dir, "postgres", "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        port = _free_port()
        data = os.path.join(self._data_dir, "data")
        subprocess.run([*self._as_user, f"{self._bin}/initdb", "-D", data, "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--no-locale"], check=True,
                       capture_output=True)
        subprocess.run([*self._as_user, f"{self._bin}/pg_ctl", "-D", data, "-l",
                        os.path.join(self._data_dir, "log"), "-w", "-o",
                        f"-p {port} -k {self._data_dir} -c listen_addresses=127.0.0.1",
                        "start"], check=True, capture_output=True)
        self.admin_url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        for _ in range(50):
            if _reachable(self.admin_url):
                return
            time.sleep(0.2)
        raise RuntimeError("the PostgreSQL server started for the tests does not answer")

    def stop(self) -> None:
        if self._data_dir and self._bin:
            subprocess.run([*self._as_user, f"{self._bin}/pg_ctl", "-D",
                            os.path.join(self._data_dir, "data"), "-m", "fast", "stop"],
                           capture_output=True)
            shutil.rmtree(self._data_dir, ignore_errors=True)

    def create_database(self, template: str | None = None) -> str:
        name = f"jcredit_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            clause = f" TEMPLATE {template}" if template else ""
            conn.execute(f"CREATE DATABASE {name}{clause}")
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def sqlalchemy_url(self, database: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{database}"
