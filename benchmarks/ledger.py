"""Ledger transfer throughput: ours vs the raw SQLite limit, measured in the same run.

* raw:        ``benchmarks/sqlite_reference.py`` transfer workload (2 UPDATE + 1 INSERT per
              transaction, WAL, synchronous=FULL) — the method of
              ``shared/benchmarks-reference/sqlite_bench.py``.
* in-process: ``MessageBus.handle(TransferCredits)`` on SQLite (WAL, FULL): lock, idempotency
              key, designation, block split, hash-chained journal entry, one transaction.
* HTTP:       the same through ``POST /api/v1/credits/transfer`` (uvicorn in its own
              process, bearer token, Idempotency-Key), one client, keep-alive; and with
              16 concurrent keep-alive clients (performance.md R1/R1b), with p50/p99 latency.

Usage: python benchmarks/ledger.py [--smoke]    (BENCH_SECONDS: seconds per figure; BENCH_REPEATS:
       interleaved repeats, the median is reported)
Prints a JSON summary; docs/benchmarks.md records the figures and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import importlib.util
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# sqlite_reference sits beside this script; it is loaded by path (the directory also holds
# public.py, which on the import path would stand for the `public` package ibis imports)
_spec = importlib.util.spec_from_file_location(
    "sqlite_reference", Path(__file__).resolve().parent / "sqlite_reference.py")
assert _spec is not None and _spec.loader is not None
sqlite_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sqlite_reference)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.service_layer import commands as c

ORG = "7000012050002"


def raw_transfer_rate(seconds: float) -> float:
    sqlite_reference.DURATION = seconds
    path = os.path.join(tempfile.mkdtemp(), "raw.db")
    con = sqlite_reference.setup(path, "FULL")
    rate, _ = sqlite_reference.run(con, "transfer")
    con.close()
    return float(rate)


def _registry(directory: str, database_url: str = ""):  # type: ignore[no-untyped-def]
    registry = bootstrap(Settings(data_dir=Path(directory), environment="test",
                                  database_url=database_url))
    bus = registry.bus
    bus.handle(c.CreateOrganisation(name="株式会社ベンチ", corporate_number=ORG),
               actor=SYSTEM_ACTOR)
    accounts = [bus.handle(c.OpenAccount(organisation=ORG), actor=SYSTEM_ACTOR).data["number"]
                for _ in range(2)]
    for account in accounts:
        bus.handle(c.IssueCredits(to_account=account, quantity=10_000_000, scheme="JC",
                                  credit_type="ER", category="ENERGY_SAVING", project_id="B",
                                  vintage=2025), actor=SYSTEM_ACTOR)
    return registry, accounts


def in_process_rate(seconds: float, database_url: str = "") -> tuple[float, int]:
    registry, (a, b) = _registry(tempfile.mkdtemp(), database_url)
    n = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        src, dst = (a, b) if n % 2 == 0 else (b, a)
        registry.bus.handle(c.TransferCredits(from_account=src, to_account=dst, quantity=1),
                            actor=SYSTEM_ACTOR, idempotency_key=f"bench-{n}")
        n += 1
    rate = n / (time.perf_counter() - start)
    registry.dispose()
    return rate, n


PG_ADMIN = os.environ.get("JCREDIT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_database() -> tuple[str, str] | None:
    """A fresh database on the local PostgreSQL (fsync and synchronous_commit on), or None."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=2)
    except psycopg.OperationalError:
        return None
    name = f"jcredit_bench_{os.getpid()}_{int(time.time())}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{name}", name


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_raw_transfer_rate(dsn: str, seconds: float) -> float:
    """psycopg transfer1 of ``shared/benchmarks-reference/pg_python_bench.py``: 2 UPDATE +
    1 INSERT per transaction, prepared, one connection."""
    import random

    import psycopg

    accounts = 100_000
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_accounts(aid int PRIMARY KEY, abalance int NOT NULL)")
        conn.execute("CREATE TABLE bench_history(aid int, delta int, mtime timestamptz)")
        conn.execute("INSERT INTO bench_accounts SELECT g, 0 FROM generate_series(1, %s) g",
                     (accounts,))
        rnd = random.Random(1)
        n = 0
        start = time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            a, b = sorted(rnd.sample(range(1, accounts + 1), 2))
            amount = rnd.randint(1, 100)
            with conn.transaction():
                conn.execute("UPDATE bench_accounts SET abalance = abalance - %s WHERE aid = %s",
                             (amount, a), prepare=True)
                conn.execute("UPDATE bench_accounts SET abalance = abalance + %s WHERE aid = %s",
                             (amount, b), prepare=True)
                conn.execute("INSERT INTO bench_history VALUES (%s, %s, now())", (a, amount),
                             prepare=True)
            n += 1
        return n / (time.perf_counter() - start)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_rate(seconds: float) -> tuple[float, int, float]:
    """The server runs in its own process (uvicorn, one worker), as in production: a server
    thread inside the client's process would fight the client for the GIL.

    Also returns the rate of ``GET /api/v1/me`` (authenticated, no ledger work): the floor
    that the HTTP stack itself sets on this machine."""
    import httpx

    directory = tempfile.mkdtemp()
    registry, (a, b) = _registry(directory)
    # the accounts' holder moves its own credits (no role transfers out of another
    # organisation's account)
    registry.bus.handle(c.CreateUser(username="bench", password="throughput lantern 2026",
                                     role="HOLDER", organisation=ORG), actor=SYSTEM_ACTOR)
    registry.dispose()
    port = _free_port()
    env = os.environ | {"JCREDIT_DATA_DIR": directory, "JCREDIT_ENVIRONMENT": "test",
                        "JCREDIT_SEED_DEMO_DATA": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "jcredit.entrypoints.api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env,
    )
    n = 0
    try:
        with httpx.Client() as client:  # start-up and login
            for _ in range(300):
                try:
                    client.get(f"http://127.0.0.1:{port}/api/v1/openapi.json")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            token = client.post(f"http://127.0.0.1:{port}/api/v1/auth/token", json={
                "username": "bench", "password": "throughput lantern 2026"}).json()["access_token"]
        # The timed loops use the stdlib client on one keep-alive connection: the client
        # shares the 2 cores, and httpx spends several times more CPU per request.
        connection = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Authorization": f"Bearer {token}"}

        def call(method: str, path: str, body: bytes | None = None,
                 extra: dict[str, str] | None = None) -> None:
            connection.request(method, f"/api/v1{path}", body=body,
                               headers=headers | (extra or {}))
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {response.status}")

        reads = 0
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            call("GET", "/me")
            reads += 1
        read_rate = reads / (time.perf_counter() - start)
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            src, dst = (a, b) if n % 2 == 0 else (b, a)
            body = json.dumps({"from_account": src, "to_account": dst, "quantity": 1})
            call("POST", "/credits/transfer", body.encode(),
                 {"Content-Type": "application/json", "Idempotency-Key": f"http-{n}"})
            n += 1
        rate = n / (time.perf_counter() - start)
        connection.close()
        concurrent = asyncio.run(_concurrent_transfers(port, token, (a, b), CLIENTS, seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rate, n, read_rate, concurrent


CLIENTS = 16


async def _concurrent_transfers(port: int, token: str, accounts: tuple[str, str],
                                clients: int, seconds: float) -> dict[str, float]:
    """``clients`` closed-loop clients, each on its own keep-alive connection (asyncio
    streams, HTTP/1.1 written by hand: the client must cost far less than the server)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(i: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = 0
        while time.perf_counter() < deadline:
            src, dst = accounts if (n + i) % 2 == 0 else accounts[::-1]
            body = json.dumps({"from_account": src, "to_account": dst, "quantity": 1}).encode()
            started = time.perf_counter()
            writer.write(
                b"POST /api/v1/credits/transfer HTTP/1.1\r\nHost: bench\r\n"
                b"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                b"Idempotency-Key: c%d-%d\r\nContent-Length: %d\r\n\r\n%s"
                % (token.encode(), i, n, len(body), body))
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line[15:]) for line in head.split(b"\r\n")
                          if line[:15].lower() == b"content-length:")
            await reader.readexactly(length)
            if int(head[9:12]) >= 400:
                raise RuntimeError(f"transfer: HTTP {head[9:12].decode()}")
            latencies.append(time.perf_counter() - started)
            n += 1
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {"rate": len(latencies) / elapsed, "count": len(latencies),
            "p50_ms": latencies[len(latencies) // 2] * 1e3,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="short run for CI")
    args = parser.parse_args()
    seconds = float(os.environ.get("BENCH_SECONDS", "1" if args.smoke else "8"))
    repeats = int(os.environ.get("BENCH_REPEATS", "1" if args.smoke else "3"))
    # Interleaved repeats, median of each figure: this 2-core machine is noisy.
    runs = [(raw_transfer_rate(seconds), in_process_rate(seconds), http_rate(seconds))
            for _ in range(repeats)]
    raw = statistics.median(r[0] for r in runs)
    ours = statistics.median(r[1][0] for r in runs)
    n_ours = sum(r[1][1] for r in runs)
    http = statistics.median(r[2][0] for r in runs)
    n_http = sum(r[2][1] for r in runs)
    http_floor = statistics.median(r[2][2] for r in runs)
    http16 = statistics.median(r[2][3]["rate"] for r in runs)
    n_http16 = sum(r[2][3]["count"] for r in runs)
    p50 = statistics.median(r[2][3]["p50_ms"] for r in runs)
    p99 = statistics.median(r[2][3]["p99_ms"] for r in runs)
    pg: dict[str, object] = {"postgresql": "not reachable at " + PG_ADMIN}
    pg_runs = []
    for _ in range(0 if os.environ.get("BENCH_SKIP_PG") else repeats):
        database = _pg_database()  # a fresh database for every repeat
        if database is None:
            break
        url, name = database
        try:
            pg_runs.append((pg_raw_transfer_rate(url, seconds), in_process_rate(
                seconds, url.replace("postgresql://", "postgresql+psycopg://"))))
        finally:
            _drop_pg_database(name)
    if pg_runs:
        pg_raw = statistics.median(r[0] for r in pg_runs)
        pg_ours = statistics.median(r[1][0] for r in pg_runs)
        pg = {"pg_raw_psycopg_transfer_tx_per_s": round(pg_raw),
              "pg_in_process_transfer_tx_per_s": round(pg_ours),
              "ratio_pg_in_process_to_raw": round(pg_ours / pg_raw, 3)}
    result = {
        "seconds_per_figure": seconds,
        "repeats": repeats,
        "sqlite": sqlite3.sqlite_version,
        "cores": os.cpu_count(),
        "raw_sqlite_transfer_full_tx_per_s": round(raw),
        "in_process_transfer_tx_per_s": round(ours),
        "in_process_transfers": n_ours,
        "http_transfer_tx_per_s": round(http),
        "http_transfers": n_http,
        "http_authenticated_read_req_per_s": round(http_floor),
        "ratio_in_process_to_raw": round(ours / raw, 3),
        "ratio_http_to_raw": round(http / raw, 3),
        "ratio_http_to_http_floor": round(http / http_floor, 3),
        f"http_{CLIENTS}_clients_transfer_tx_per_s": round(http16),
        f"http_{CLIENTS}_clients_transfers": n_http16,
        f"http_{CLIENTS}_clients_p50_ms": round(p50, 2),
        f"http_{CLIENTS}_clients_p99_ms": round(p99, 2),
        f"ratio_http_{CLIENTS}_clients_to_raw": round(http16 / raw, 3),
    } | pg
    print(json.dumps(result, indent=1))
    if n_ours == 0 or n_http == 0 or n_http16 == 0:
        raise SystemExit("benchmark ran no transfer")


if __name__ == "__main__":
    main()
