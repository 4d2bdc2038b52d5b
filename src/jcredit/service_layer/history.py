"""An account's history and the auditor's journal, read from the journal (the source of
truth).

An account's movements come from the postings of the entries that created or closed one of
its blocks (``blocks.created_seq`` / ``closed_seq`` say which): credits issued to it, moved
in from or out to another account (a transfer, an invalidation, a retirement, a
cancellation, a correction), reserved for an invalidation application or released from one.
Each row names the entry, the counterparty account and its organisation, the quantity, the
serial ranges and, where there is one, the notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone
from typing import Any

from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.journal import JournalEntry
from jcredit.domain.text import fits_db_int
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import ACCOUNT_HOLDER_ROLES
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_account_view
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.unit_of_work import JournalFilter

JST = timezone(timedelta(hours=9))
SECRETARIAT_NAME = "J-クレジット制度事務局"

# What a movement is, from the entry's command and the direction (in, out, or a
# reservation change within the account).
KINDS = ("issuance", "transfer_in", "transfer_out", "invalidation_reserved",
         "reservation_released", "invalidation", "retirement", "cancellation",
         "correction_in", "correction_out", "other_in", "other_out")
_BY_COMMAND = {
    ("credits.issue", "in"): "issuance", ("monitoring.transition", "in"): "issuance",
    ("credits.transfer", "in"): "transfer_in", ("credits.transfer", "out"): "transfer_out",
    ("invalidation.apply", "reserve"): "invalidation_reserved",
    ("invalidation.withdraw", "release"): "reservation_released",
    ("invalidation.execute", "out"): "invalidation",
    ("credits.retire", "out"): "retirement", ("credits.cancel", "out"): "cancellation",
}


def kind_of(command: str, direction: str) -> str:
    """e.g. ``credits.transfer`` out → ``transfer_out``; a command this module does not
    know is a correction when its name says so, else ``other_in``/``other_out``."""
    known = _BY_COMMAND.get((command, direction))
    if known:
        return known
    side = "in" if direction in ("in", "release") else "out"
    return f"correction_{side}" if "correct" in command else f"other_{side}"


@dataclass(frozen=True)
class HistoryFilter:
    since: date | None = None  # JST calendar dates, both inclusive
    until: date | None = None
    kinds: tuple[str, ...] = ()
    counterparty: str = ""  # an account number or part of an organisation's name


def utc_bounds(since: date | None, until: date | None) -> tuple[str | None, str | None]:
    """JST calendar days as the journal's UTC ISO bounds (``until`` exclusive)."""
    def utc(day: date) -> str:
        moment = datetime.combine(day, time(), JST).astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00")
    return (utc(since) if since else None,
            utc(until + timedelta(days=1)) if until else None)


def parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{field}: give a date as YYYY-MM-DD", field=field) from None


def parse_filter(since: str | None = None, until: str | None = None,
                 kind: str | None = None, counterparty: str | None = None) -> HistoryFilter:
    """The filter from what a form or query string gave (text), checked."""
    kinds = tuple(k for k in (kind or "").split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValidationError(f"kind {unknown[0]!r} is not a movement kind", field="kind",
                              valid=KINDS)
    first, last = parse_day(since, "since"), parse_day(until, "until")
    if first and last and last < first:
        raise ValidationError("until is before since", field="until")
    return HistoryFilter(first, last, kinds, (counterparty or "").strip())


def account_history(uow: AbstractUnitOfWork, actor: Actor, number: str,
                    wanted: HistoryFilter | None = None) -> dict[str, Any]:
    """Every movement in and out of an account, oldest first (the holder's organisation,
    the secretariat and auditors)."""
    account = account_by_number(uow, number, field="account")
    require_account_view(actor, account)
    wanted = wanted or HistoryFilter()
    entries = uow.journal.entries(uow.blocks.seqs_touching(account.id))
    parents = [int(p["parent"]) for e in entries for p in e.postings if p.get("op") == "move"]
    placed = uow.blocks.placements(parents)
    accounts = {a.id: a for a in uow.accounts.list()}
    orgs = {o.id: o.name for o in uow.organisations.list()}

    def describe(account_id: int | None) -> dict[str, Any]:
        other = accounts.get(account_id) if account_id is not None else None
        if other is None:
            return {"account": "", "organisation": "", "account_kind": ""}
        return {"account": other.number, "account_kind": other.kind.value,
                "organisation": orgs.get(other.organisation_id or -1, SECRETARIAT_NAME)}

    rows = []
    for entry in entries:
        for (direction, other), ranges in _movements(entry, account.id, placed).items():
            rows.append(_row(entry, direction, ranges) | {
                "counterparty": describe(other)})
    rows = [r for r in rows if _wanted(r, wanted)]
    return {"account": account.number, "account_name": account.name,
            "organisation": orgs.get(account.organisation_id or -1, SECRETARIAT_NAME),
            "movements": rows, "kinds": list(KINDS)}


def _movements(entry: JournalEntry, account_id: int,
               placed: Mapping[int, tuple[int, int | None]]
               ) -> dict[tuple[str, int | None], list[tuple[int, int]]]:
    """(direction, counterparty account id) → serial ranges, for one entry."""
    moved: dict[tuple[str, int | None], list[tuple[int, int]]] = {}
    for posting in entry.postings:
        if posting.get("op") == "issue" and posting["account"] == account_id:
            moved.setdefault(("in", None), []).append((posting["start"], posting["end"]))
        if posting.get("op") != "move":
            continue
        parent_account, parent_reservation = placed.get(int(posting["parent"]), (None, None))
        for _, child_account, start, end, reservation in posting["children"]:
            key: tuple[str, int | None] | None = None
            if parent_account == account_id and child_account != account_id:
                key = ("out", child_account)
            elif parent_account != account_id and child_account == account_id:
                key = ("in", parent_account)
            elif parent_account == account_id and parent_reservation is None \
                    and reservation is not None:
                key = ("reserve", None)
            elif parent_account == account_id and parent_reservation is not None \
                    and reservation is None:
                key = ("release", None)
            if key is not None:
                moved.setdefault(key, []).append((start, end))
    return moved


def _serials(entry: JournalEntry, ranges: Iterable[tuple[int, int]]) -> list[str]:
    """Full serial numbers where the entry's payload gives them, else the numbers."""
    named: dict[int, str] = {}
    payload = entry.payload
    for block in [*(payload.get("blocks") or []), payload]:
        if isinstance(block, Mapping) and block.get("serials") and "first_serial" in block:
            named[int(block["first_serial"])] = str(block["serials"])
    return [named.get(start) or f"{start:010d}-{end:010d}" for start, end in sorted(ranges)]


def _row(entry: JournalEntry, direction: str, ranges: list[tuple[int, int]]) -> dict[str, Any]:
    payload = entry.payload
    quantity = sum(end - start + 1 for start, end in ranges)
    row: dict[str, Any] = {
        "seq": entry.seq, "recorded_at": entry.recorded_at, "command": entry.command,
        "kind": kind_of(entry.command, direction),
        "direction": direction, "quantity": quantity,
        "signed_quantity": quantity if direction == "in" else -quantity
        if direction == "out" else 0,
        "serials": _serials(entry, ranges), "actor": entry.actor,
        "project": payload.get("project_id") or payload.get("project") or "",
        "application_id": None, "notice_number": None, "notice": None,
    }
    if entry.command.startswith("invalidation."):
        row["application_id"] = payload.get("id")
        if entry.command == "invalidation.execute":
            row["notice_number"] = payload.get("notice_number")
            row["notice"] = f"/invalidations/{payload.get('id')}/notice"
    if entry.command in ("credits.retire", "credits.cancel"):
        row["notice_number"] = f"J{'R' if entry.command.endswith('retire') else 'C'}N-" \
                               f"{entry.seq:08d}"
        row["notice"] = f"/journal/{entry.seq}/notice.pdf"
    return row


def _wanted(row: dict[str, Any], wanted: HistoryFilter) -> bool:
    since, until = utc_bounds(wanted.since, wanted.until)
    if (since and row["recorded_at"] < since) or (until and row["recorded_at"] >= until):
        return False
    if wanted.kinds and row["kind"] not in wanted.kinds:
        return False
    if wanted.counterparty:
        other = row["counterparty"]
        text = wanted.counterparty.casefold()
        return text == other["account"].casefold() or (bool(other["organisation"]) and \
            text in other["organisation"].casefold())
    return True


# --- the auditor's journal ------------------------------------------------------------------


def journal_filter(command: str | None = None, actor: str | None = None,
                   since: str | None = None, until: str | None = None,
                   account: str | None = None) -> JournalFilter:
    """The journal's filter from a form or query string (JST dates, a command name or the
    first part of one, e.g. ``credits``, an actor ``user:NAME`` or ``NAME``)."""
    first, last = parse_day(since, "since"), parse_day(until, "until")
    if first and last and last < first:
        raise ValidationError("until is before since", field="until")
    start, end = utc_bounds(first, last)
    who = (actor or "").strip()
    if who and ":" not in who:
        who = f"user:{who}"
    return JournalFilter(commands=_commands(command), actor=who or None, since=start,
                         until=end, mentions=(account or "").strip().upper() or None)


def journal_command_names() -> tuple[str, ...]:
    """Every command name the journal can hold (``Command.NAME`` of each command)."""
    found: set[str] = set()
    pending = list(c.Command.__subclasses__())
    while pending:
        command = pending.pop()
        pending.extend(command.__subclasses__())
        found.add(command.NAME)
    return tuple(sorted(found - {c.Command.NAME}))


def _commands(command: str | None) -> tuple[str, ...]:
    wanted = (command or "").strip()
    if not wanted:
        return ()
    names = journal_command_names()
    matching = tuple(n for n in names if n == wanted or n.startswith(wanted + "."))
    if not matching:
        raise ValidationError(f"no command {wanted!r} in the journal", field="command",
                              valid=names)
    return matching


def journal_entries(uow: AbstractUnitOfWork, actor: Actor, *, limit: int,
                    before_seq: int | None = None, filters: JournalFilter | None = None
                    ) -> list[JournalEntry]:
    require_role(actor, Role.ADMIN, Role.AUDITOR, action="reading the journal")
    if before_seq is not None and not fits_db_int(before_seq):
        before_seq = None
    return uow.journal.page(limit=limit, before_seq=before_seq, filters=filters)


def journal_entry(uow: AbstractUnitOfWork, actor: Actor, seq: int) -> dict[str, Any]:
    """One entry, with the accounts and projects it names: for the secretariat and auditors,
    and for an account holder when the entry moved credits of its own accounts (the link
    after a transfer or a correction)."""
    if actor.role not in ACCOUNT_HOLDER_ROLES:
        require_role(actor, Role.ADMIN, Role.AUDITOR, action="reading the journal")
    entry = uow.journal.get(seq) if fits_db_int(seq) else None
    if entry is None:
        raise NotFoundError(f"no journal entry {seq}", field="seq")
    every = uow.accounts.list()
    numbers = {a.number for a in every}
    ids = {a.id: a.number for a in every}
    named = sorted(_strings(entry.payload) & numbers)
    touched = {int(p["account"]) for p in entry.postings if p.get("op") == "issue"} | {
        int(child[1]) for p in entry.postings if p.get("op") == "move"
        for child in p["children"]}
    accounts = sorted(set(named) | {ids[i] for i in touched if i in ids})
    if actor.role in ACCOUNT_HOLDER_ROLES:
        own = {a.id for a in every if a.organisation_id == actor.organisation_id}
        if not touched & own:
            raise PermissionDeniedError(
                f"journal entry {seq} moved no credits of your accounts", field="seq")
    projects = sorted(s for s in _strings(entry.payload) if s.startswith("JCP-")
                      and uow.projects.by_number(s) is not None)
    return {"entry": entry, "accounts": accounts, "projects": projects}


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, Mapping):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def entry_view(entry: JournalEntry) -> dict[str, Any]:
    """An entry as the API and the exports give it (UTC, every field)."""
    return {"seq": entry.seq, "recorded_at": entry.recorded_at, "actor": entry.actor,
            "request_id": entry.request_id, "idempotency_key": entry.idempotency_key,
            "command": entry.command, "payload": entry.payload, "postings": entry.postings,
            "prev_hash": entry.prev_hash, "hash": entry.hash}
