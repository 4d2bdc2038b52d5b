"""The tables the journal determines, rebuilt from the journal alone.

``ledger check`` must not trust what it checks. The query side reads projection tables
(``issuances``, ``blocks``, ``accounts``, ``invalidation_applications``,
``period_issuances``), and a row changed behind the registry's back (a category, a 認証番号,
an issuance key) would change what every reader sees. :class:`JournalProjection` rebuilds
every row of those tables from the journal entries, one entry at a time (the journal is
streamed), and :func:`compare_table` compares them with the stored rows field by field,
naming each difference: table, key, field, journal value, table value, and rows missing on
either side.

Where each field comes from (``TABLE_FIELDS`` lists them in the order rows are compared):

* ``issuances`` (key: root block id): the ``issue`` posting (serials), the entry's seq
  (``issued_seq``) and the issued block's view in the payload (``credits.issue``: the
  payload; a period's issuance: ``payload.blocks``), whose ``methodology`` is
  ``"<id> v<version>"`` (an id has no spaces, so the first `` v`` splits it).
* ``blocks`` (key: block id): the ``issue`` and ``move`` postings; ``created_seq`` and
  ``closed_seq`` are the seqs of the entries that create and supersede a block; ``vintage``
  is its issuance's.
* ``accounts`` (key: account number): ``registry.initialise`` and ``account.open``;
  ``opened_at`` is the entry's ``recorded_at``. The account id is in the payload of entries
  recorded since this check exists; older entries do not name it (the database assigned
  it), so for their accounts the id is not journal-determined and is not compared.
* ``invalidation_applications`` (key: application id): the application's view in the
  payloads of ``invalidation.apply``, ``.execute`` and ``.withdraw`` (the last one wins);
  ``executed_seq`` is the seq of the execution's entry.
* ``period_issuances`` (key: project number, period number, vintage): the blocks of a
  ``monitoring.transition`` entry whose action is ``issue``.
* ``cases`` (key: case id): the case's content and status in the payloads of
  ``cases.submit`` (the submitter and time are the entry's) and ``cases.review`` (the
  reviewer, time and note); the search text is folded from the content again.
* ``registered_projects`` (key: the list's No.): the rows added or updated by each
  ``projects.import_registered`` entry; the time and seq are the entry's.
* ``offsets`` (key: application id) and ``offset_certificates`` (key: certificate id): the
  views in the payloads of ``offsets.apply`` and ``offsets.certificate.issue``; the time,
  actor and seq are the entry's.

A field an older entry's payload lacks is not journal-determined for that row and is not
compared (``UNKNOWN``); the rest of the row still is. Pure: stdlib only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import MutableMapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from jcredit.domain.cases.model import parse_case
from jcredit.domain.cases.model import search_text
from jcredit.domain.errors import Issue
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.journal import JournalEntry


class _Unknown:
    """A value the journal does not determine: not compared."""

    def __repr__(self) -> str:
        return "unknown"


UNKNOWN: Any = _Unknown()

Key = Any  # int, str or a tuple of them
Row = tuple[Any, ...]

TABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "issuances": ("scheme", "credit_type", "category", "project_id", "methodology_id",
                  "methodology_version", "certification_number", "vintage", "serial_start",
                  "serial_end", "issued_seq"),
    "blocks": ("root_id", "account_id", "serial_start", "serial_end", "reservation_id",
               "created_seq", "closed_seq", "vintage"),
    "accounts": ("id", "kind", "organisation_id", "name", "opened_at"),
    "invalidation_applications": (
        "account", "quantity", "serial_start", "serial_end", "use", "offset_purpose",
        "purpose_details", "credit_user_name", "credit_user_corporate_number",
        "reporting_fiscal_year", "status", "applied_at", "applied_by", "executed_at",
        "executed_by", "notice_number", "published", "executed_seq"),
    "period_issuances": ("root_id", "quantity"),
    "offsets": ("calculation_id", "subject", "scope", "method", "period",
                "calculated_credits", "created_at", "journal_seq"),
    "offset_certificates": ("number", "token", "application_id", "holder_name", "quantity",
                            "third_party", "issued_at", "issued_by", "journal_seq"),
    "cases": ("kind", "status", "title", "organisation", "prefecture", "category", "uses",
              "method", "mark", "content", "search_text", "organisation_id", "submitted_by",
              "submitted_at", "reviewed_by", "reviewed_at", "review_note", "journal_seq"),
    "registered_projects": ("applied_on", "implementer", "implementer_corporate_number",
                            "location", "prefecture", "holder", "holder_corporate_number",
                            "summary", "start_date", "methodology_id", "methodology_version",
                            "methodology_text", "imported_at", "journal_seq"),
}
"""The journal-determined fields of each table, in the order rows are compared."""

_ISSUANCE_VIEW_FIELDS = ("scheme", "credit_type", "category", "project_id")
# an application's view fields, in TABLE_FIELDS order (fiscal_year is reporting_fiscal_year)
_APPLICATION_VIEW_FIELDS = ("use", "offset_purpose", "purpose_details", "credit_user_name",
                            "credit_user_corporate_number", "fiscal_year", "status",
                            "applied_at", "applied_by", "executed_at", "executed_by",
                            "notice_number", "published")
_APPLICATION_COMMANDS = frozenset({"invalidation.apply", "invalidation.execute",
                                   "invalidation.withdraw"})
_ROOT, _CLOSED, _VINTAGE = 0, 6, 7  # positions in a blocks row


@dataclass
class JournalProjection:
    """The rows of each journal-determined table, as the journal says they must be."""

    tables: dict[str, dict[Key, Row]] = field(
        default_factory=lambda: {name: {} for name in TABLE_FIELDS})
    issues: list[Issue] = field(default_factory=list)
    account_kinds: dict[int, AccountKind] = field(default_factory=dict)
    """The kind of each account whose id the journal names, as the journal says: the
    replay reads it as it goes (an account is opened before credits reach it)."""

    def add(self, entry: JournalEntry) -> None:
        """Apply one entry (in seq order); an entry it cannot read is reported, not raised."""
        try:
            for posting in entry.postings:
                if posting.get("op") == "issue":
                    self._issue(entry, posting)
                elif posting.get("op") == "move":
                    self._move(entry.seq, posting)
            if entry.command in ("registry.initialise", "account.open"):
                accounts = entry.payload.get("accounts", [entry.payload])
                for account in accounts:
                    self._account(entry, account)
            elif entry.command in _APPLICATION_COMMANDS:
                self._application(entry)
            elif (entry.command == "monitoring.transition"
                  and entry.payload.get("action") == "issue"):
                self._period_issuance(entry)
            elif entry.command == "offsets.apply":
                self._offset(entry)
            elif entry.command == "offsets.certificate.issue":
                self._certificate(entry)
            elif entry.command == "cases.submit":
                self._case_submitted(entry)
            elif entry.command == "cases.review":
                self._case_reviewed(entry)
            elif entry.command == "projects.import_registered":
                for view in [*entry.payload["added"], *entry.payload["updated"]]:
                    self.tables["registered_projects"][view["no"]] = (
                        *(view[name] for name in TABLE_FIELDS["registered_projects"][:-2]),
                        entry.recorded_at, entry.seq)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            self.issues.append(Issue("JOURNAL_UNREADABLE", f"cannot rebuild the tables from "
                                     f"this entry: {error!r}", f"journal seq {entry.seq}"))

    def _issue(self, entry: JournalEntry, posting: Mapping[str, Any]) -> None:
        block_id, start, end = int(posting["block"]), int(posting["start"]), int(posting["end"])
        view = _issued_view(entry.payload, block_id)
        if view is None:
            attributes: Row = (UNKNOWN,) * 8
        else:
            methodology = view.get("methodology")
            methodology_id, _, version = (str(methodology).partition(" v") if methodology
                                          else (UNKNOWN, "", UNKNOWN))
            attributes = (*(view.get(name, UNKNOWN) for name in _ISSUANCE_VIEW_FIELDS),
                          methodology_id, version, view.get("certification_number", UNKNOWN),
                          view.get("vintage", UNKNOWN))
        self.tables["issuances"][block_id] = (*attributes, start, end, entry.seq)
        self.tables["blocks"][block_id] = (block_id, int(posting["account"]), start, end, None,
                                           entry.seq, None, attributes[7])

    def _move(self, seq: int, posting: Mapping[str, Any]) -> None:
        blocks = self.tables["blocks"]
        parent_id = int(posting["parent"])
        parent = blocks.get(parent_id)
        if parent is None:  # the replay reports the move of a block that is not live
            root, vintage = UNKNOWN, UNKNOWN
        else:
            root, vintage = parent[_ROOT], parent[_VINTAGE]
            blocks[parent_id] = (*parent[:_CLOSED], seq, vintage)
        for child_id, account_id, start, end, reservation in posting["children"]:
            blocks[int(child_id)] = (root, int(account_id), int(start), int(end),
                                     None if reservation is None else int(reservation), seq,
                                     None, vintage)

    def _account(self, entry: JournalEntry, view: Mapping[str, Any]) -> None:
        account_id = view.get("id", UNKNOWN)
        if account_id is not UNKNOWN:
            self.account_kinds[int(account_id)] = AccountKind(view["kind"])
        self.tables["accounts"][view["number"]] = (
            account_id, view.get("kind", UNKNOWN), view.get("organisation_id", UNKNOWN),
            view.get("name", UNKNOWN), entry.recorded_at)

    def _application(self, entry: JournalEntry) -> None:
        view = entry.payload
        previous = self.tables["invalidation_applications"].get(view["id"])
        executed_seq = (entry.seq if entry.command == "invalidation.execute"
                        else previous[-1] if previous is not None else None)
        serials = view.get("serials", UNKNOWN)
        start, end = ((UNKNOWN, UNKNOWN) if serials is UNKNOWN
                      else (int(part) for part in str(serials).split("-", 1)) if serials
                      else (None, None))
        self.tables["invalidation_applications"][view["id"]] = (
            view.get("account", UNKNOWN), view.get("quantity", UNKNOWN), start, end,
            *(view.get(name, UNKNOWN) for name in _APPLICATION_VIEW_FIELDS), executed_seq)

    def _period_issuance(self, entry: JournalEntry) -> None:
        project, period = entry.payload["project"], int(entry.payload["period"])
        for block in entry.payload["blocks"]:
            self.tables["period_issuances"][(project, period, int(block["vintage"]))] = (
                int(block["block_id"]), int(block["quantity"]))

    def _offset(self, entry: JournalEntry) -> None:
        view = entry.payload
        self.tables["offsets"][int(view["application_id"])] = (
            view.get("calculation_id"), view["subject"], view["scope"], view["method"],
            view["period"], view.get("calculated_credits"), entry.recorded_at, entry.seq)

    def _certificate(self, entry: JournalEntry) -> None:
        view = entry.payload
        self.tables["offset_certificates"][int(view["id"])] = (
            view["number"], view["token"], int(view["application_id"]), view["holder_name"],
            view["quantity"], int(bool(view["third_party"])), entry.recorded_at, entry.actor,
            entry.seq)


    def _case_submitted(self, entry: JournalEntry) -> None:
        view = entry.payload
        content = view["content"]
        self.tables["cases"][int(view["id"])] = (  # a resubmission clears the review
            content["kind"], view["status"], content["title"], content["organisation"],
            content["prefecture"], content["category"], " " + " ".join(content["uses"]) + " ",
            content["method"], bool(content["mark"]),
            json.dumps(content, ensure_ascii=False, sort_keys=True),
            search_text(parse_case(content)), view.get("organisation_id"), entry.actor,
            entry.recorded_at, None, None, None, entry.seq)

    def _case_reviewed(self, entry: JournalEntry) -> None:
        view = entry.payload
        previous = self.tables["cases"].get(int(view["id"]))
        before = previous if previous is not None else (UNKNOWN,) * 18
        self.tables["cases"][int(view["id"])] = (
            before[0], view["status"], *before[2:12], before[12], before[13], entry.actor,
            entry.recorded_at, view.get("note") or None, entry.seq)


def _issued_view(payload: Mapping[str, Any], block_id: int) -> Mapping[str, Any] | None:
    """The view of the block an entry issued: the payload itself or one of its blocks."""
    if payload.get("block_id") == block_id:
        return payload
    for view in payload.get("blocks", ()):
        if isinstance(view, Mapping) and view.get("block_id") == block_id:
            return view
    return None


def compare_table(table: str, expected: MutableMapping[Key, Row],
                  stored: Iterable[tuple[Key, Row]]) -> Iterator[Issue]:
    """Differences between the rows the journal determines and the stored rows.

    ``stored`` yields ``(key, row)`` with the fields of ``TABLE_FIELDS[table]`` in order, and
    is read once (a table may be streamed). ``expected`` is consumed."""
    fields = TABLE_FIELDS[table]
    for key, row in stored:
        subject = f"{table} {key}"
        want = expected.pop(key, None)
        if want is None:
            yield Issue("PROJECTION_EXTRA_ROW", "in the table, not in the journal", subject)
            continue
        for name, journal_value, table_value in zip(fields, want, row, strict=True):
            if journal_value is not UNKNOWN and journal_value != table_value:
                yield Issue("PROJECTION_MISMATCH", f"{name}: the journal says "
                            f"{journal_value!r}, the table {table_value!r}", subject)
    for key in expected:
        yield Issue("PROJECTION_MISSING_ROW", "in the journal, not in the table",
                    f"{table} {key}")
