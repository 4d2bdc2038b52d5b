"""The public pages at scale (issue 16): with 10⁶ journal entries, 10⁵ live blocks and 2,000
projects, the statistics page, a project page and a block's lineage each answer at p95 under
300 ms on one machine; compared, in the same run, with computing the same statistics by
replaying the journal (what a reader without the registry's tables would have to do).

The registry is built through the command bus, as the registry builds it (SQLite, WAL,
synchronous=FULL): 2,000 projects imported from the official list's shape (one entry), one
issuance of 50 credits per project to 40 holding accounts (2,000 entries), then single-credit
transfers designated by serial — first cutting credits off the issuances until there are
``--blocks`` live blocks, then moving those one-credit blocks whole from account to account
(each moves about nine times in the full run) until the journal holds ``--entries`` entries.
The database is kept (``--db``) so the pages can be measured again without rebuilding it.

Measured, in-process through the ASGI app (routing, query, template; no network):
``GET /public/statistics``, ``GET /public/projects/{no}`` for random projects and
``GET /public/credits/{root}/blocks/{block}`` for random moved blocks (and the JSON forms),
``--requests`` each; p50, p95, max. Then the replay: ``domain.ledger.replay`` over the whole
journal plus the same sums by category — once, timed.

Usage: python benchmarks/public.py [--smoke] [--entries N] [--blocks N] [--projects N]
                                   [--db PATH] [--requests N]
Prints a JSON summary; docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This directory holds public.py, which as a module would stand for the `public` package
# (atpublic, imported by ibis): take the script's own directory off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.domain.identifiers import corporate_number_check_digit
from jcredit.domain.ledger.breakdown import Breakdown
from jcredit.domain.ledger.breakdown import state_of
from jcredit.domain.ledger.replay import replay
from jcredit.service_layer import commands as c

ACCOUNTS = 40
ISSUANCE = 50  # credits per project
TARGET_P95_MS = 300.0


def corporate_number(n: int) -> str:
    body = f"{n:012d}"
    return f"{corporate_number_check_digit(body)}{body}"


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    left = (total - done) / rate if rate else 0
    sys.stderr.write(f"\r{label}: {done:,}/{total:,} ({rate:,.0f}/s, {left:,.0f} s left)   ")
    sys.stderr.flush()
    if done >= total:
        sys.stderr.write("\n")


def build(registry: Registry, *, entries: int, blocks: int, projects: int) -> dict[str, Any]:
    run = registry.bus.handle
    accounts: list[str] = []
    for o in range(ACCOUNTS // 2):
        number = corporate_number(900_000_000 + o)
        run(c.CreateOrganisation(name=f"ベンチ林業株式会社{o:02d}", corporate_number=number),
            actor=SYSTEM_ACTOR)
        for d in range(2):
            accounts.append(run(c.OpenAccount(organisation=number, account_name=f"部{d}"),
                                actor=SYSTEM_ACTOR).data["number"])
    prefectures = ["北海道", "宮城県", "長野県", "岐阜県", "和歌山県", "鳥取県", "高知県", "熊本県"]
    rows = tuple({"no": f"B{p:05d}", "applied_at": "2020/04/01",
                  "operator": f"ベンチ林業株式会社{p % (ACCOUNTS // 2):02d} "
                              f"{corporate_number(900_000_000 + p % (ACCOUNTS // 2))}",
                  "location": f"{prefectures[p % len(prefectures)]}ベンチ町{p}",
                  "credit_buyer": "", "summary": f"町有林{p}における森林経営活動",
                  "started_at": "2020/4/1", "methodology": "FO-001 Ver.2.4"}
                 for p in range(projects))
    run(c.ImportRegisteredProjects(rows=rows), actor=SYSTEM_ACTOR)
    # (holder account, prefix, next serial to cut, last serial) per issuance
    issued: list[list[Any]] = []
    started = time.perf_counter()
    for p in range(projects):
        account = accounts[p % ACCOUNTS]
        data = run(c.IssueCredits(to_account=account, quantity=ISSUANCE, scheme="JC",
                                  credit_type="FM", category="FOREST", project_id=f"B{p:05d}",
                                  methodology_id="FO-001", methodology_version="2.4",
                                  vintage=2020 + p % 5), actor=SYSTEM_ACTOR).data
        prefix, first, last = data["serials"].rsplit("-", 2)
        issued.append([account, prefix, int(first), int(last)])
        if p % 200 == 0 or p == projects - 1:
            progress("issuances", p + 1, projects, started)
    with registry.uow(write=False) as uow:
        done = len(uow.journal.page(limit=1)) and uow.journal.page(limit=1)[0].seq
    live = projects
    moved: list[list[Any]] = []  # [holder, serial string] of one-credit blocks
    started = time.perf_counter()
    total = entries - done
    n = 0
    while done < entries:
        if live < blocks:  # cut one credit off an issuance's remainder: +1 live block
            item = issued[n % len(issued)]
            if item[2] >= item[3]:
                issued.remove(item)
                continue
            serial = f"{item[1]}-{item[2]:010d}-{item[2]:010d}"
            target = accounts[(accounts.index(item[0]) + 1 + n) % ACCOUNTS]
            if target == item[0]:
                target = accounts[(accounts.index(item[0]) + 1) % ACCOUNTS]
            run(c.TransferCredits(from_account=item[0], to_account=target, serials=serial),
                actor=SYSTEM_ACTOR)
            item[2] += 1
            moved.append([target, serial])
            live += 1
        else:  # move a one-credit block whole: the live count stays
            item = moved[n % len(moved)]
            target = accounts[(accounts.index(item[0]) + 7) % ACCOUNTS]
            run(c.TransferCredits(from_account=item[0], to_account=target, serials=item[1]),
                actor=SYSTEM_ACTOR)
            item[0] = target
        n += 1
        done += 1
        if n % 2000 == 0 or done >= entries:
            progress("transfers", n, total, started)
    return {"built_entries": done, "built_live_blocks": live}


def measure(call: Callable[[], Any], requests: int) -> dict[str, float]:
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            "max_ms": round(times[-1], 1), "requests": requests}


def replay_statistics(registry: Registry) -> dict[str, dict[str, int]]:
    """The statistics by category from the journal alone: replay every entry (the journal
    streamed, every block rebuilt), then sum the live blocks by their issuance's category
    and the kind of account they are in."""
    with registry.uow(write=False) as uow:
        kinds = uow.projections.account_kinds()
        result = replay(uow.journal.iterate(), kinds)
        categories = {root: a.category.value for root, a, *_ in uow.projections.issuances()}
    by: dict[str, Breakdown] = {}
    for root, (start, end) in result.roots.items():
        by.setdefault(categories.get(root, "?"), Breakdown(issued=0)).issued += end - start + 1
    for block in result.live.values():
        state = state_of(kinds[block.account_id].value, block.reservation_id is not None)
        by.setdefault(categories.get(block.root_id, "?"), Breakdown(issued=0)).add(state,
                                                                           block.quantity)
    return {category: b.as_dict() for category, b in by.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="a small registry (CI)")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--db", type=Path, default=None,
                        help="the registry's directory: built if empty, reused if not")
    args = parser.parse_args()
    if args.smoke:
        args.entries, args.blocks, args.projects, args.requests = 3_000, 1_000, 100, 10
    directory = args.db or Path(tempfile.mkdtemp())
    directory.mkdir(parents=True, exist_ok=True)
    fresh = not (directory / "jcredit.sqlite3").exists()
    registry = bootstrap(Settings(data_dir=directory, environment="test"))
    built: dict[str, Any] = {}
    if fresh:
        start = time.perf_counter()
        built = build(registry, entries=args.entries, blocks=args.blocks,
                      projects=args.projects)
        built["build_seconds"] = round(time.perf_counter() - start, 1)

    from fastapi.testclient import TestClient

    from jcredit.entrypoints.api.app import create_app

    with registry.uow(write=False) as uow:
        head = uow.journal.page(limit=1)[0].seq
        issuances = uow.projections.issuances()
        rows = [row for _, row in uow.projections.rows("blocks")]
    block_rows, live_blocks = len(rows), sum(1 for row in rows if row[6] is None)
    rng = random.Random(16)
    client = TestClient(create_app(registry.settings, registry=registry))
    lineages = []
    for root, *_ in rng.sample(issuances, min(20, len(issuances))):
        data = client.get(f"/api/v1/public/credits/{root}").json()
        lineages += [(root, h["block_id"]) for h in data["holdings"] if h["quantity"] == 1]
    assert lineages, "no one-credit blocks to follow"

    def get(path: Callable[[], str]) -> Callable[[], None]:
        def call() -> None:
            response = client.get(path())
            assert response.status_code == 200, (response.status_code, response.text[:200])
        return call

    figures = {
        "statistics_page": measure(get(lambda: "/public/statistics"), args.requests),
        "statistics_json": measure(get(lambda: "/api/v1/public/statistics"), args.requests),
        "project_page": measure(get(
            lambda: f"/public/projects/B{rng.randrange(args.projects):05d}"), args.requests),
        "block_lineage_page": measure(get(
            lambda: "/public/credits/{}/blocks/{}".format(*rng.choice(lineages))),
            args.requests),
        "block_lineage_json": measure(get(
            lambda: "/api/v1/public/credits/{}/blocks/{}".format(*rng.choice(lineages))),
            args.requests),
    }
    start = time.perf_counter()
    replayed = replay_statistics(registry)
    replay_ms = (time.perf_counter() - start) * 1000
    page = client.get("/api/v1/public/statistics").json()
    same = all(page["by"]["category"][k][s] == v[s] for k, v in replayed.items()
               for s in ("issued", "held", "invalidated"))
    summary = {
        "journal_entries": head, "live_blocks": live_blocks, "block_rows": block_rows,
        "issuances": len(issuances), "projects": args.projects, **built, "pages": figures,
        "replay_statistics_ms": round(replay_ms, 1),
        "replay_agrees_with_statistics": same,
        "statistics_page_speedup_over_replay": round(
            replay_ms / figures["statistics_page"]["p50_ms"], 1),
        "p95_aim_ms": TARGET_P95_MS,
        "aim_met": all(f["p95_ms"] < TARGET_P95_MS for f in figures.values()),
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    registry.dispose()
    if not same:
        raise SystemExit("the replay and the statistics disagree")


if __name__ == "__main__":
    main()
