"""Crash trials: ``kill -9`` the running service mid-traffic, restart it, retry, check.

One run works on one registry database (SQLite file or PostgreSQL database):

1. set up, in-process: one organisation, per client a source account (credits issued) and a
   destination account, and their holder with an API token;
2. start the real service (``jcredit serve --no-demo``, uvicorn) on a free port;
3. per trial: a few client threads send transfers, invalidation applications and their
   executions over HTTP, each with its own ``Idempotency-Key``; after a random short delay
   the server process gets SIGKILL; every request whose response did not arrive is
   *pending*;
4. restart the service, then check that every *acknowledged* operation is in the journal
   (lost = 0), retry every pending operation with the SAME key and body, and check that
   each key that succeeded is in the journal exactly once (doubled = 0, journal entries =
   distinct keys), that balances equal what the operations imply, and that
   ``jcredit ledger check`` exits 0.

The restarted service carries the next trial's traffic, so N trials cost N + 1 starts.
Servers are forked from a helper that imported the service once (``zygote.py``); with
``JCREDIT_CRASH_EXEC=1`` every start is a fresh ``jcredit serve`` process instead.

Run by ``test_crash_trials.py``; by hand: ``python -m tests.reliability.crash_harness
--backend sqlite --trials 100`` (prints the figures as JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from typer.testing import CliRunner

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.entrypoints.cli.app import app as cli_app
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries

HERE = Path(__file__).resolve().parent
JST = timezone(timedelta(hours=9))
ORG = "7000012050002"
SUPPLY = 1_000_000  # credits per source account: no operation can fail for want of credits
KEY_PREFIX = "crash-"
START_TIMEOUT_S = 60.0
DUPLICATES = 2  # acknowledged requests per trial sent again after the restart


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {"JCREDIT_DATABASE_URL": database_url, "JCREDIT_DATA_DIR": str(data_dir),
            "JCREDIT_ENVIRONMENT": "test", "JCREDIT_SEED_DEMO_DATA": "false"}


class Launcher:
    """Starts ``jcredit serve`` processes: forked from the zygote, or exec'd when asked."""

    def __init__(self, log: Path, exec_each: bool) -> None:
        self.log = log
        self.exec_each = exec_each
        self._zygote: subprocess.Popen[str] | None = None
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def _zygote_process(self) -> subprocess.Popen[str]:
        if self._zygote is None:
            self._zygote = subprocess.Popen(
                [sys.executable, str(HERE / "zygote.py")], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True, bufsize=1)
            assert self._zygote.stdout is not None
            json.loads(self._zygote.stdout.readline())  # {"ready": pid}
        return self._zygote

    def start(self, env: dict[str, str], port: int) -> int:
        if self.exec_each:
            jcredit = Path(sys.executable).with_name("jcredit")
            with open(self.log, "ab") as log:
                child = subprocess.Popen(
                    [str(jcredit), "serve", "--no-demo", "--host", "127.0.0.1", "--port",
                     str(port)], env=os.environ | env, stdout=log, stderr=log,
                    stdin=subprocess.DEVNULL, start_new_session=True)
            self._children[child.pid] = child
            return child.pid
        zygote = self._zygote_process()
        assert zygote.stdin is not None and zygote.stdout is not None
        zygote.stdin.write(json.dumps({"port": port, "env": env, "log": str(self.log)}) + "\n")
        return int(json.loads(zygote.stdout.readline())["pid"])

    def kill(self, pid: int, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` and wait until the process is gone."""
        child = self._children.pop(pid, None)
        if child is not None:
            if child.poll() is None:
                child.send_signal(sig)
                child.wait(timeout=30)
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the zygote reaps it (SIGCHLD ignored)
            if not self.alive(pid):
                return
            time.sleep(0.005)
        raise RuntimeError(f"server process {pid} did not die")

    def alive(self, pid: int) -> bool:
        child = self._children.get(pid)
        if child is not None:
            return child.poll() is None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def close(self) -> None:
        for pid in list(self._children):
            self.kill(pid)
        if self._zygote is not None:
            assert self._zygote.stdin is not None
            self._zygote.stdin.close()
            self._zygote.wait(timeout=30)
            if self._zygote.stdout is not None:
                self._zygote.stdout.close()
            self._zygote = None


@dataclass
class Server:
    launcher: Launcher
    env: dict[str, str]
    pid: int = 0
    url: str = ""

    def start(self, warm_up: dict[str, str] | None = None) -> None:
        """Start and wait until it answers; ``warm_up``: the headers of one authenticated
        read first, so that a trial's kill does not always land before the first answer.
        A port taken by another process between our probe and uvicorn's bind: try another."""
        for _ in range(3):
            port = free_port()
            self.pid = self.launcher.start(self.env, port)
            self.url = f"http://127.0.0.1:{port}"
            if self._ready(port, warm_up):
                return
            if self.launcher.alive(self.pid):
                self.launcher.kill(self.pid)
        raise RuntimeError(f"the service did not start; see {self.launcher.log}")

    def _ready(self, port: int, warm_up: dict[str, str] | None) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.launcher.alive(self.pid):
            try:  # uvicorn listens once startup is complete
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            except OSError:
                time.sleep(0.01)
                continue
            if warm_up is None:
                return True
            try:
                answer = httpx.get(f"{self.url}/api/v1/me", headers=warm_up, timeout=30)
            except httpx.TransportError:
                return False
            return answer.status_code == 200
        return False

    def kill9(self) -> None:
        self.launcher.kill(self.pid, signal.SIGKILL)

    def stop(self) -> None:
        self.launcher.kill(self.pid, signal.SIGTERM)


@dataclass
class Op:
    """One write request: sent with ``key``; ``response`` once one arrived."""

    key: str
    path: str
    body: dict[str, Any]
    kind: str  # transfer, apply, execute
    client: int
    quantity: int
    response: dict[str, Any] | None = None
    replayed_on_retry: bool | None = None
    auth: dict[str, str] = field(default_factory=dict)  # another user's token than the client's


@dataclass
class Report:
    backend: str
    trials: int = 0
    acknowledged: int = 0  # responses received before a kill
    pending: int = 0  # sent, no response (the kill cut it off): retried with the same key
    replayed_on_retry: int = 0  # of those: had been committed before the kill
    rerun_on_retry: int = 0  # of those: had not been committed, ran on the retry
    duplicates_sent: int = 0  # acknowledged requests sent again after the restart
    lost: int = 0  # acknowledged (or retried successfully) but not in the journal
    doubled: int = 0  # journal entries beyond one per key
    orphans: int = 0  # journal entries whose key never succeeded for a client
    journal_entries: int = 0  # entries carrying this run's keys
    distinct_keys_ok: int = 0  # keys that succeeded (must equal journal_entries)
    balance_mismatches: int = 0
    ledger_check_failures: int = 0
    unexpected_responses: list[str] = field(default_factory=list)
    kill_delays_ms: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not (self.lost or self.doubled or self.orphans or self.balance_mismatches
                    or self.ledger_check_failures or self.unexpected_responses)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        delays = data.pop("kill_delays_ms")
        data["kill_delay_ms_range"] = [min(delays), max(delays)] if delays else []
        data["operations_ok"] = self.acknowledged + self.pending
        return data


@dataclass
class Ledger:
    """What the operations imply, per client: credits moved, applied, executed."""

    sources: list[str]
    sinks: list[str]
    moved: Counter[int] = field(default_factory=Counter)
    applied: Counter[int] = field(default_factory=Counter)
    executed: Counter[int] = field(default_factory=Counter)

    def count(self, op: Op) -> None:
        counter = {"transfer": self.moved, "apply": self.applied, "execute": self.executed}
        counter[op.kind][op.client] += op.quantity


class Client(threading.Thread):
    """Sends transfer, apply, execute, transfer, … until the server stops answering."""

    def __init__(self, run: CrashRun, index: int, trial: int, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.run_ = run
        self.index = index
        self.trial = trial
        self.rng = rng
        self.ops: list[Op] = []
        self.stop = threading.Event()

    def next_op(self, n: int) -> Op | None:
        source, sink = self.run_.ledger.sources[self.index], self.run_.ledger.sinks[self.index]
        key = f"{KEY_PREFIX}{self.run_.tag}-t{self.trial}-c{self.index}-{n}"
        step = n % 3
        if step == 0:
            quantity = self.rng.randint(1, 3)
            return Op(key, "/api/v1/credits/transfer", {
                "from_account": source, "to_account": sink, "quantity": quantity},
                "transfer", self.index, quantity)
        if step == 1:
            return Op(key, "/api/v1/invalidations", {
                "from_account": source, "quantity": 1, "use": "SHOENE_HO",
                "purpose_details": "クラッシュ試験", "credit_user_name": "株式会社クラッシュ",
                "fiscal_year": fiscal_year_now()}, "apply", self.index, 1)
        applied = self.ops[-1] if self.ops else None
        if applied is None or applied.response is None:
            return None
        return Op(key, "/api/v1/invalidations/execute", {
            "application_ids": [applied.response["id"]], "confirm": True},
            "execute", self.index, applied.quantity, auth=self.run_.admin_auth)

    def run(self) -> None:
        with httpx.Client(base_url=self.run_.server.url, timeout=30.0,
                          headers=self.run_.auth) as http:
            n = 0
            while not self.stop.is_set():
                op = self.next_op(n)
                if op is None:
                    return
                self.ops.append(op)
                try:
                    response = send(http, op)
                except httpx.TransportError:
                    return  # the server died: this op is pending
                self.run_.accept(op, response)
                n += 1


def send(http: httpx.Client, op: Op) -> httpx.Response:
    return http.post(op.path, json=op.body, headers={"Idempotency-Key": op.key} | op.auth)


def fiscal_year_now() -> int:
    """Japan's fiscal year today (April to March, JST): the year an invalidation is for."""
    today = datetime.now(JST).date()
    return today.year if today.month >= 4 else today.year - 1


class CrashRun:
    """The trials on one database; ``run()`` returns the figures."""

    def __init__(self, backend: str, database_url: str, data_dir: Path, *, clients: int = 3,
                 seed: int | None = None, max_kill_delay: float = 0.6,
                 launcher: Launcher | None = None) -> None:
        self.backend = backend
        self.env = service_env(database_url, data_dir)
        self.settings = Settings(database_url=database_url, data_dir=data_dir,
                                 environment="test")
        self.clients = clients
        self.seed = seed if seed is not None else random.randrange(2**32)
        self.rng = random.Random(self.seed)
        self.max_kill_delay = max_kill_delay
        # a launcher passed in is shared (one zygote for several runs) and closed by its owner
        self.own_launcher = launcher is None
        self.launcher = launcher or Launcher(data_dir / "serve.log", exec_each=False)
        self.server = Server(self.launcher, self.env)
        self.tag = f"{self.seed:08x}"
        self.report = Report(backend)
        self.succeeded: list[Op] = []
        self.lost_keys: set[str] = set()
        self.auth: dict[str, str] = {}  # the holder's: transfers and applications
        self.admin_auth: dict[str, str] = {}  # the secretariat's: executions
        self.ledger = Ledger([], [])
        self.registry: Registry | None = None
        self._lock = threading.Lock()

    # -- setup -----------------------------------------------------------------------------

    def set_up(self) -> None:
        registry = self.registry = bootstrap(self.settings)

        def run(command: c.Command) -> dict[str, Any]:
            return registry.bus.handle(command, actor=SYSTEM_ACTOR).data

        run(c.CreateOrganisation(name="株式会社クラッシュ", corporate_number=ORG))
        for i in range(self.clients):
            source = run(c.OpenAccount(organisation=ORG, account_name=f"送り{i}"))["number"]
            sink = run(c.OpenAccount(organisation=ORG, account_name=f"受け{i}"))["number"]
            run(c.IssueCredits(to_account=source, quantity=SUPPLY, scheme="JC",
                               credit_type="ER", category="ENERGY_SAVING", project_id="P-CRASH",
                               vintage=2025))
            self.ledger.sources.append(source)
            self.ledger.sinks.append(sink)
        password = f"crash-{self.tag}-{os.urandom(8).hex()}"
        # the holder of the accounts moves its own credits (no role transfers out of
        # another organisation's account)
        run(c.CreateUser(username="crashholder", password=password, role="HOLDER",
                         organisation=ORG))
        token = registry.issue_token(registry.authenticate("crashholder", password))
        self.auth = {"Authorization": f"Bearer {token}"}
        run(c.CreateUser(username="crashadmin", password=password, role="ADMIN"))
        admin = registry.issue_token(registry.authenticate("crashadmin", password))
        self.admin_auth = {"Authorization": f"Bearer {admin}"}

    # -- traffic ---------------------------------------------------------------------------

    def accept(self, op: Op, response: httpx.Response) -> None:
        if response.status_code not in (200, 201):
            with self._lock:
                self.report.unexpected_responses.append(
                    f"{op.key} {response.status_code} {response.text[:200]}")
            return
        op.response = response.json()
        with self._lock:
            self.report.acknowledged += 1
            self.succeeded.append(op)
            self.ledger.count(op)

    def trial(self, number: int) -> None:
        workers = [Client(self, i, number, random.Random(self.rng.random()))
                   for i in range(self.clients)]
        for worker in workers:
            worker.start()
        delay = self.rng.uniform(0.02, self.max_kill_delay)
        time.sleep(delay)
        self.server.kill9()
        self.report.kill_delays_ms.append(round(delay * 1000))
        for worker in workers:
            worker.stop.set()
            worker.join(timeout=60)
        pending = [w.ops[-1] for w in workers if w.ops and w.ops[-1].response is None]
        self.server.start(self.auth)
        self.lost_keys.update(self.missing_acknowledged())  # before any retry
        self.retry(pending)
        acknowledged = [op for w in workers for op in w.ops if op.response is not None
                        and op.replayed_on_retry is None]
        self.resend(self.rng.sample(acknowledged, min(DUPLICATES, len(acknowledged))))
        self.check()
        self.report.trials += 1

    def retry(self, pending: list[Op]) -> None:
        with httpx.Client(base_url=self.server.url, timeout=30.0, headers=self.auth) as http:
            for op in pending:
                response = send(http, op)
                self.report.pending += 1
                op.replayed_on_retry = response.headers.get("Idempotent-Replayed") == "true"
                if op.replayed_on_retry:
                    self.report.replayed_on_retry += 1
                else:
                    self.report.rerun_on_retry += 1
                if response.status_code in (200, 201):
                    op.response = response.json()
                    self.succeeded.append(op)
                    self.ledger.count(op)
                else:
                    self.report.unexpected_responses.append(
                        f"retry {op.key} {response.status_code} {response.text[:200]}")

    def resend(self, acknowledged: list[Op]) -> None:
        """Send acknowledged requests again, as a client that timed out would: each must be
        answered from its idempotency record (same body, ``Idempotent-Replayed``), not run."""
        with httpx.Client(base_url=self.server.url, timeout=30.0, headers=self.auth) as http:
            for op in acknowledged:
                response = send(http, op)
                self.report.duplicates_sent += 1
                if (response.status_code not in (200, 201)
                        or response.headers.get("Idempotent-Replayed") != "true"
                        or response.json() != op.response):
                    self.report.unexpected_responses.append(
                        f"duplicate {op.key} {response.status_code} "
                        f"replayed={response.headers.get('Idempotent-Replayed')} "
                        f"{response.text[:200]}")

    # -- checks ----------------------------------------------------------------------------

    def journal_keys(self) -> Counter[str]:
        assert self.registry is not None
        with self.registry.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT idempotency_key, count(*) FROM journal "
                "WHERE idempotency_key LIKE :prefix GROUP BY idempotency_key"),
                {"prefix": f"{KEY_PREFIX}{self.tag}-%"}).all()
        return Counter({str(key): int(n) for key, n in rows})

    def missing_acknowledged(self) -> list[str]:
        keys = self.journal_keys()
        return [op.key for op in self.succeeded if op.key not in keys]

    def check(self) -> None:
        keys = self.journal_keys()
        succeeded = {op.key for op in self.succeeded}
        # the journal holds every trial so far: the figures are totals, not increments
        self.report.doubled = sum(n - 1 for n in keys.values())
        self.report.orphans = len(set(keys) - succeeded)
        self.lost_keys.update(succeeded - set(keys))
        self.report.lost = len(self.lost_keys)
        self.report.journal_entries = sum(keys.values())
        self.report.distinct_keys_ok = len(succeeded)
        self.report.balance_mismatches += len(self.balance_mismatches())
        result = CliRunner().invoke(cli_app, ["ledger", "check", "--json"], env=self.env)
        if result.exit_code != 0:
            self.report.ledger_check_failures += 1
            self.report.unexpected_responses.append(f"ledger check: {result.output[:500]}")

    def balance_mismatches(self) -> list[str]:
        assert self.registry is not None
        wrong = []
        with self.registry.uow(write=False) as uow:
            for i, (source, sink) in enumerate(zip(self.ledger.sources, self.ledger.sinks,
                                                   strict=True)):
                s = queries.account_detail(uow, SYSTEM_ACTOR, source)
                d = queries.account_detail(uow, SYSTEM_ACTOR, sink)
                moved, applied = self.ledger.moved[i], self.ledger.applied[i]
                executed = self.ledger.executed[i]
                want = (SUPPLY - moved - executed, applied - executed, moved)
                got = (s["balance"], s["reserved"], d["balance"])
                if got != want:
                    wrong.append(f"client {i}: (balance, reserved, sink) {got} != {want}")
        self.report.unexpected_responses.extend(wrong)
        return wrong

    # -- the run ---------------------------------------------------------------------------

    def run(self, trials: int) -> Report:
        started = time.monotonic()
        try:
            self.set_up()
            self.server.start(self.auth)
            for number in range(trials):
                self.trial(number)
            self.server.stop()
        finally:
            if self.own_launcher:
                self.launcher.close()
            if self.registry is not None:
                self.registry.dispose()
        self.report.seconds = round(time.monotonic() - started, 1)
        return self.report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--exec", action="store_true", help="exec jcredit serve every time")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jcredit-crash-"))
    pg = None
    try:
        if args.backend == "sqlite":
            url = f"sqlite:///{work / 'jcredit.sqlite3'}"
        else:
            from tests.pg_server import PostgresServer

            pg = PostgresServer()
            pg.start()
            database = pg.create_database()
            url = pg.sqlalchemy_url(database)
        launcher = Launcher(work / "serve.log", exec_each=args.exec)
        run = CrashRun(args.backend, url, work, clients=args.clients, seed=args.seed,
                       launcher=launcher)
        try:
            report = run.run(args.trials)
        finally:
            launcher.close()
        print(json.dumps(report.summary() | {"seed": run.seed}, ensure_ascii=False, indent=1))
        if pg is not None:
            pg.drop_database(database)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if report.clean else 1)


if __name__ == "__main__":
    main()
