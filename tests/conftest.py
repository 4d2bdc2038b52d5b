"""Shared fixtures: databases (SQLite and a real PostgreSQL), a registry, a clock, actors."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from jcredit.adapters.db.engine import build_engine
from jcredit.adapters.db.migrate import upgrade
from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.service_layer import commands as c
from tests.mqtt_broker import MqttBroker
from tests.pg_server import PostgresServer


class Clock:
    """A settable clock: tests decide what day it is in Japan."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))  # 12:00 JST, FY2026


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[MqttBroker]:
    """A real Mosquitto broker: the machine's, or one started for the session."""
    broker = MqttBroker()
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> Iterator[str]:
    """A migrated database that each test copies (CREATE DATABASE … TEMPLATE)."""
    name = pg_server.create_database()
    engine = build_engine(pg_server.sqlalchemy_url(name))
    upgrade(engine)
    engine.dispose()
    yield name
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = build_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def fresh_sqlite_url(template: Path, directory: Path) -> str:
    target = directory / "registry.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated registry database: SQLite and PostgreSQL in turn."""
    if request.param == "sqlite":
        yield fresh_sqlite_url(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = server.create_database(template=request.getfixturevalue("pg_template"))
    yield server.sqlalchemy_url(name)
    server.drop_database(name)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return fresh_sqlite_url(sqlite_template, tmp_path)


def make_registry(url: str, tmp_path: Path, clock: Clock) -> Registry:
    settings = Settings(database_url=url, data_dir=tmp_path, environment="test")
    return bootstrap(settings, clock=clock)


@pytest.fixture
def registry(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Registry]:
    reg = make_registry(database_url, tmp_path, clock)
    yield reg
    reg.dispose()


@pytest.fixture
def sqlite_registry(sqlite_url: str, tmp_path: Path, clock: Clock) -> Iterator[Registry]:
    reg = make_registry(sqlite_url, tmp_path, clock)
    yield reg
    reg.dispose()


ORG_A = "7000012050002"  # 国税庁's 法人番号: a real, valid check digit
ORG_B = "1180301018771"  # valid check digit


def setup_two_orgs(registry: Registry) -> dict[str, str]:
    """Two organisations with one holding account each; returns the account numbers."""
    run = lambda cmd: registry.bus.handle(cmd, actor=SYSTEM_ACTOR).data  # noqa: E731
    run(c.CreateOrganisation(name="株式会社エー", corporate_number=ORG_A))
    run(c.CreateOrganisation(name="株式会社ビー", corporate_number=ORG_B))
    a = run(c.OpenAccount(organisation=ORG_A, account_name="環境部"))["number"]
    b = run(c.OpenAccount(organisation=ORG_B, account_name="購買部"))["number"]
    return {"a": a, "b": b}


def issue(registry: Registry, account: str, quantity: int, *, category: str = "RENEWABLE_POWER",
          scheme: str = "JC", credit_type: str = "ER", vintage: int = 2024,
          project: str = "P-1") -> dict[str, object]:
    return registry.bus.handle(c.IssueCredits(
        to_account=account, quantity=quantity, scheme=scheme, credit_type=credit_type,
        category=category, project_id=project, vintage=vintage), actor=SYSTEM_ACTOR).data


def race(attempt: Callable[[int], str], threads: int = 8) -> list[str]:
    """Run ``attempt(0)`` … ``attempt(threads - 1)`` in threads released at the same instant
    by a barrier; returns what each attempt returned, in the order they finished."""
    outcomes: list[str] = []
    barrier = threading.Barrier(threads)

    def run(i: int) -> None:
        barrier.wait()
        outcomes.append(attempt(i))

    started = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return outcomes
