"""Crash trials on SQLite and PostgreSQL: ``kill -9`` the service mid-traffic, restart it,
retry with the same Idempotency-Keys; nothing acknowledged is lost, nothing is doubled,
balances add up and ``jcredit ledger check`` is clean (see ``crash_harness.py`` and
docs/reliability.md).

CI runs 10 trials per backend. ``JCREDIT_CRASH_TRIALS=100`` runs more (the longer mode,
marked ``slow``: ``pytest -m slow tests/reliability``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_server import PostgresServer
from tests.reliability.crash_harness import CrashRun
from tests.reliability.crash_harness import Launcher

CI_TRIALS = 10
TRIALS = int(os.environ.get("JCREDIT_CRASH_TRIALS", CI_TRIALS))
LONG = pytest.mark.skipif(TRIALS <= CI_TRIALS,
                          reason="the longer mode: set JCREDIT_CRASH_TRIALS, e.g. 100")


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    """One helper process that imported the service, shared by both backends."""
    launcher = Launcher(tmp_path_factory.mktemp("crash") / "serve.log", exec_each=bool(
        os.environ.get("JCREDIT_CRASH_EXEC")))
    yield launcher
    launcher.close()


def crash_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'jcredit.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = server.create_database(template=request.getfixturevalue("pg_template"))
    yield server.sqlalchemy_url(name)
    server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crash_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    for url in crash_url(request.param, request, tmp_path):
        yield request.param, url


def run_trials(backend: str, url: str, tmp_path: Path, launcher: Launcher, trials: int) -> None:
    run = CrashRun(backend, url, tmp_path, launcher=launcher)
    report = run.run(trials)
    summary = json.dumps(report.summary() | {"seed": run.seed}, ensure_ascii=False)
    print(summary)  # the figures, for docs/reliability.md (pytest -s)
    assert report.trials == trials, summary
    assert report.acknowledged + report.pending > 0, summary  # traffic did flow
    assert report.unexpected_responses == [], summary
    assert (report.lost, report.doubled, report.orphans) == (0, 0, 0), summary
    assert report.journal_entries == report.distinct_keys_ok, summary
    assert report.balance_mismatches == 0, summary
    assert report.ledger_check_failures == 0, summary


@pytest.mark.timeout(240)
def test_crash_trials(crash_database: tuple[str, str], tmp_path: Path,
                      launcher: Launcher) -> None:
    backend, url = crash_database
    run_trials(backend, url, tmp_path, launcher, min(TRIALS, CI_TRIALS))


@pytest.mark.slow
@LONG
@pytest.mark.timeout(0)
def test_crash_trials_long(crash_database: tuple[str, str], tmp_path: Path,
                           launcher: Launcher) -> None:
    backend, url = crash_database
    run_trials(backend, url, tmp_path, launcher, TRIALS)
