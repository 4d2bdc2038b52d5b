"""Ledger transfer throughput: ours vs the raw SQLite limit, measured in the same run.

* raw:        ``benchmarks/sqlite_reference.py`` transfer workload (2 UPDATE + 1 INSERT per
              transaction, WAL, synchronous=FULL) — the method of
              ``shared/benchmarks-reference/sqlite_bench.py``.
* in-process: ``MessageBus.handle(TransferCredits)`` on SQLite (WAL, FULL): lock, idempotency
              key, designation, block split, hash-chained journal entry, one transaction.
* HTTP:       the same through ``POST /api/v1/credits/transfer`` (uvicorn, bearer token,
              Idempotency-Key), one client, keep-alive.

Usage: python benchmarks/ledger.py [--smoke]    (BENCH_SECONDS sets the duration per figure)
Prints a JSON summary; docs/benchmarks.md records the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sqlite_reference

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


def _registry(directory: str):  # type: ignore[no-untyped-def]
    registry = bootstrap(Settings(data_dir=Path(directory), environment="test"))
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


def in_process_rate(seconds: float) -> tuple[float, int]:
    registry, (a, b) = _registry(tempfile.mkdtemp())
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


def http_rate(seconds: float) -> tuple[float, int]:
    import httpx
    import uvicorn

    from jcredit.entrypoints.api.app import create_app

    directory = tempfile.mkdtemp()
    registry, (a, b) = _registry(directory)
    registry.bus.handle(c.CreateUser(username="bench", password="bench-password-1",
                                     role="ADMIN"), actor=SYSTEM_ACTOR)
    server = uvicorn.Server(uvicorn.Config(create_app(registry.settings, registry=registry),
                                           host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not (server.started and server.servers):
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}/api/v1"
    n = 0
    with httpx.Client() as client:
        token = client.post(f"{base}/auth/token", json={"username": "bench",
                            "password": "bench-password-1"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            src, dst = (a, b) if n % 2 == 0 else (b, a)
            response = client.post(f"{base}/credits/transfer",
                                   json={"from_account": src, "to_account": dst, "quantity": 1},
                                   headers=headers | {"Idempotency-Key": f"http-{n}"})
            response.raise_for_status()
            n += 1
        rate = n / (time.perf_counter() - start)
    server.should_exit = True
    thread.join(timeout=10)
    registry.dispose()
    return rate, n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="short run for CI")
    args = parser.parse_args()
    seconds = float(os.environ.get("BENCH_SECONDS", "1" if args.smoke else "8"))
    raw = raw_transfer_rate(seconds)
    ours, n_ours = in_process_rate(seconds)
    http, n_http = http_rate(seconds)
    result = {
        "seconds_per_figure": seconds,
        "sqlite": sqlite3.sqlite_version,
        "cores": os.cpu_count(),
        "raw_sqlite_transfer_full_tx_per_s": round(raw),
        "in_process_transfer_tx_per_s": round(ours),
        "in_process_transfers": n_ours,
        "http_transfer_tx_per_s": round(http),
        "http_transfers": n_http,
        "ratio_in_process_to_raw": round(ours / raw, 3),
        "ratio_http_to_raw": round(http / raw, 3),
    }
    print(json.dumps(result, indent=1))
    if n_ours == 0 or n_http == 0:
        raise SystemExit("benchmark ran no transfer")


if __name__ == "__main__":
    main()
