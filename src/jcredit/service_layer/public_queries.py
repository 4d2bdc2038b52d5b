"""What the public sees without logging in (issue 16): the project list — projects
registered in jcredit and those registered before it (the official list, imported) — with
filters and a text search. Only public fields: the official list's columns and, for a
jcredit project, its registration's (never users, accounts or private documents)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from jcredit.domain.cases.model import fold
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.breakdown import Breakdown
from jcredit.domain.ledger.breakdown import state_of
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.model import Project
from jcredit.domain.public import lineage as ln
from jcredit.domain.public import statistics as st
from jcredit.service_layer.queries import _jst_date
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.views import attributes_view

PUBLIC_STATES = frozenset({ProjectState.REGISTERED, ProjectState.TERMINATED})
"""A project is public from its registration (登録) on."""

PAGE_SIZE = 50


def _matches(row: dict[str, Any], *, methodology: str, prefecture: str, words: list[str]
             ) -> bool:
    if methodology and row["methodology_id"] != methodology:
        return False
    if prefecture and row["prefecture"] != prefecture:
        return False
    text = fold(" ".join(str(row.get(k) or "") for k in (
        "no", "implementer", "implementer_corporate_number", "location", "holder",
        "holder_corporate_number", "summary", "methodology_id")))
    return all(word in text for word in words)


def _public_view(uow: AbstractUnitOfWork, project: Project) -> dict[str, Any]:
    """A jcredit project in the official list's columns."""
    org = uow.organisations.get(project.implementer_org_id)
    return {"no": project.number, "source": "jcredit",
            "applied_on": project.application_date.isoformat()
            if project.application_date else None,
            "implementer": org.name if org else "",
            "implementer_corporate_number": org.corporate_number if org else None,
            "location": project.address, "prefecture": project.prefecture,
            "holder": org.name if org else "", "summary": project.name,
            "start_date": project.start_date.isoformat(),
            "methodology_id": project.methodology_id,
            "methodology_version": project.methodology_version}


def _native(uow: AbstractUnitOfWork) -> Iterable[dict[str, Any]]:
    for project in uow.projects.find():
        if project.state in PUBLIC_STATES:
            yield _public_view(uow, project)


def projects(uow: AbstractUnitOfWork, *, methodology: str = "", prefecture: str = "",
             q: str = "", page: int = 1) -> dict[str, Any]:
    """One page of the public project list, filtered; ``q`` is words that must all appear
    (in the number, implementer, location, holder, summary or methodology)."""
    words = fold(q).split()
    rows = [{**row, "source": "list"} for row in uow.projects.registered()]
    rows += list(_native(uow))
    found = [row for row in rows
             if _matches(row, methodology=methodology.strip().upper(),
                         prefecture=prefecture.strip(), words=words)]
    page = max(page, 1)
    start = (page - 1) * PAGE_SIZE
    return {"projects": found[start:start + PAGE_SIZE], "count": len(found), "page": page,
            "pages": max(1, -(-len(found) // PAGE_SIZE)),
            "methodologies": sorted({row["methodology_id"] for row in rows}),
            "prefectures": sorted({row["prefecture"] for row in rows if row["prefecture"]})}


def project(uow: AbstractUnitOfWork, number: str) -> dict[str, Any]:
    """One public project: the list's columns, and the credits issued for it by state
    (summed from its issuances, as the statistics are)."""
    rows = [{**row, "source": "list"} for row in uow.projects.registered([number])]
    native = uow.projects.by_number(number)
    if native is not None and native.state in PUBLIC_STATES:
        rows.append(_public_view(uow, native))
    if not rows:
        raise NotFoundError(f"no registered project {number}", field="number")
    issued = [(root, a, start, end) for root, a, start, end, _ in uow.projections.issuances()
              if a.project_id == number]
    states = {root: Breakdown(issued=end - start + 1) for root, _, start, end in issued}
    if states:
        for root, kind, reserved, quantity in uow.projections.live_quantities(list(states)):
            states[root].add(state_of(kind, reserved), quantity)
    listed = [{"root_id": root, "vintage": a.vintage,
               "certification_number": a.certification_number,
               "serials": f"{a.serial_prefix()}-{start:010d}-{end:010d}",
               **states[root].as_dict()} for root, a, start, end in issued]
    return rows[0] | {"credits": st.add_up(b.as_dict() for b in states.values()),
                      "issuances": len(states), "issuance_list": listed}


def issuance_rows(uow: AbstractUnitOfWork) -> list[dict[str, Any]]:
    """Every issuance with its credits by state (the open data's issuance table)."""
    issued = uow.projections.issuances()
    states = {root: Breakdown(issued=end - start + 1) for root, _, start, end, _ in issued}
    for root, kind, reserved, quantity in uow.projections.live_quantities():
        if root in states:
            states[root].add(state_of(kind, reserved), quantity)
    return [{"root_id": root, "project_id": a.project_id,
             "serials": f"{a.serial_prefix()}-{start:010d}-{end:010d}", **attributes_view(a),
             "vintage": a.vintage, **states[root].as_dict()}
            for root, a, start, end, _ in issued]


def _prefectures(uow: AbstractUnitOfWork) -> dict[str, str]:
    """Project number → prefecture, for the registered (imported) and jcredit projects."""
    places = {row["no"]: row["prefecture"] for row in uow.projects.registered()}
    places.update({p.number: p.prefecture for p in uow.projects.find()})
    return places


def statistics(uow: AbstractUnitOfWork) -> dict[str, Any]:
    """Credits by state — in total and by category, methodology, credit type, vintage
    (fiscal year) and the project's prefecture —, invalidations by use and offset purpose,
    and each category's invalidation ratio; all summed from the registry's rows (each
    issuance's live blocks, the executed applications), which ``ledger check`` rebuilds
    from the journal."""
    issuances = uow.projections.issuances()
    states: dict[int, Breakdown] = {root: Breakdown(issued=end - start + 1)
                                    for root, _, start, end, _ in issuances}
    for root, kind, reserved, quantity in uow.projections.live_quantities():
        if root in states:
            states[root].add(state_of(kind, reserved), quantity)
    places = _prefectures(uow)
    rows = [(a, states[root].as_dict()) for root, a, *_ in issuances]
    dimensions = {
        "category": st.by((a.category.value, b) for a, b in rows),
        "methodology": st.by((a.methodology_id or "—", b) for a, b in rows),
        "credit_type": st.by((f"{a.scheme.value}-{a.credit_type.value}", b) for a, b in rows),
        "vintage": st.by((a.vintage, b) for a, b in rows),
        "prefecture": st.by((places.get(a.project_id) or "—", b) for a, b in rows),
    }
    uses: dict[str, int] = {}
    purposes: dict[str, int] = {}
    for app in uow.invalidations.list(status=ApplicationStatus.EXECUTED):
        uses[app.use.value] = uses.get(app.use.value, 0) + app.quantity
        if app.offset_purpose is not None:
            key = app.offset_purpose.value
            purposes[key] = purposes.get(key, 0) + app.quantity
    ratios = {category: st.ratio(t["invalidated"] + t["retired"], t["issued"])
              for category, t in dimensions["category"].items()}
    return {"totals": st.add_up(b for _, b in rows), "by": dimensions,
            "invalidations_by_use": dict(sorted(uses.items())),
            "offsets_by_purpose": dict(sorted(purposes.items())),
            "invalidation_ratio": {k: str(v) if v is not None else None
                                   for k, v in ratios.items()}}


LINEAGE_LIMIT = 1000
"""At most this many holdings on one lineage page (a block's lineage is rarely long; an
issuance cut into more blocks is read a serial range at a time)."""


def _public_organisations(uow: AbstractUnitOfWork, project_id: str) -> dict[int, str]:
    """The organisations the project's public page names (implementer, holder), by id."""
    named: dict[int, str] = {}
    native = uow.projects.by_number(project_id)
    if native is not None and native.state in PUBLIC_STATES:
        org = uow.organisations.get(native.implementer_org_id)
        if org is not None:
            named[org.id] = org.name
    for row in uow.projects.registered([project_id]):
        for key in ("implementer_corporate_number", "holder_corporate_number"):
            org = (uow.organisations.by_corporate_number(row[key]) if row.get(key) else None)
            if org is not None:
                named[org.id] = org.name
    return named


def credit_lineage(uow: AbstractUnitOfWork, root_id: int, *, block_id: int | None = None,
                   serial: str | None = None, limit: int = LINEAGE_LIMIT) -> dict[str, Any]:
    """An issuance's public lineage: its attributes and serials, then every holding of its
    credits (or of one block's serials, or of one serial) from issuance to invalidation,
    retirement or cancellation, oldest first, with what remains where. Holders are named
    only where the scheme publishes them (``domain.public.lineage``); no account numbers."""
    found = uow.projections.issuances(root_ids=[root_id])
    if not found:
        raise NotFoundError(f"no issuance {root_id}", field="root_id")
    _, attributes, first, last, issued_seq = found[0]
    start = end = None
    if block_id is not None:
        block = uow.projections.block(block_id)
        if block is None or block[0] != root_id:
            raise NotFoundError(f"issuance {root_id} has no block {block_id}", field="block_id")
        _, start, end = block
    elif serial is not None:
        start, end = serial_range(serial, attributes.serial_prefix(), first, last)
    rows = uow.projections.lineage(root_id, start=start, end=end, limit=limit + 1)
    holdings = [ln.Holding(block_id=r[0], account_id=r[1], account_kind=str(r[2]),
                           organisation_id=r[3], start=int(r[4]), end=int(r[5]),
                           reservation_id=r[6], created_seq=int(r[7]),
                           closed_seq=r[8], command=str(r[9] or "")) for r in rows]
    times = {int(r[7]): r[10] for r in rows}
    public = _public_organisations(uow, attributes.project_id)
    executed = {app.executed_seq: app for app in uow.invalidations.list(
        status=ApplicationStatus.EXECUTED, published=True) if app.executed_seq is not None}
    prefix = attributes.serial_prefix()
    shown = []
    for h in holdings[:limit]:
        state = ln.state(h)
        app = executed.get(h.created_seq) if state == "invalidated" else None
        shown.append({
            "block_id": h.block_id, "serials": f"{prefix}-{h.start:010d}-{h.end:010d}",
            "first_serial": h.start, "last_serial": h.end, "quantity": h.quantity,
            "event": ln.event(h, ln.predecessor(h, holdings)), "state": state,
            "live": h.closed_seq is None, "recorded_at": times.get(h.created_seq),
            "journal_seq": h.created_seq, "closed_seq": h.closed_seq,
            "holder": (app.credit_user_name if app is not None
                       else ln.disclosed_holder(h, public)),
            "use": app.use.value if app is not None else None,
            "offset_purpose": (app.offset_purpose.value if app is not None
                               and app.offset_purpose is not None else None),
            "invalidation_id": app.id if app is not None else None})
    remaining: dict[str, int] = {}
    low, high = (start, end) if start is not None and end is not None else (first, last)
    for h in holdings[:limit]:  # the credits in view: a holding's serials within the focus
        if h.closed_seq is None:
            inside = min(h.end, high) - max(h.start, low) + 1
            if inside > 0:
                remaining[ln.state(h)] = remaining.get(ln.state(h), 0) + inside
    return {"root_id": root_id, **attributes_view(attributes),
            "methodology_id": attributes.methodology_id,
            "serials": f"{prefix}-{first:010d}-{last:010d}", "quantity": last - first + 1,
            "issued_seq": issued_seq, "issued_at": times.get(issued_seq),
            "block_id": block_id, "serial": serial,
            "focus": f"{prefix}-{start:010d}-{end:010d}" if start is not None else None,
            "holdings": shown, "truncated": len(holdings) > limit,
            "live": remaining}


INVALIDATION_FIELDS = ("id", "executed_date", "use", "offset_purpose", "quantity",
                       "credit_user_name", "credit_user_corporate_number",
                       "reporting_fiscal_year", "serials", "project_ids")
"""The public list's columns: no account, applicant, purpose details or notice."""


def invalidations(uow: AbstractUnitOfWork, *, use: str = "", q: str = "",
                  fiscal_year: int | None = None, page: int = 1) -> dict[str, Any]:
    """The executed invalidations whose holders consented to publication, newest first:
    use and purpose category, quantity, credit user, date (JST) and the serials with their
    issuances (for the lineage)."""
    apps = [app for app in uow.invalidations.list(status=ApplicationStatus.EXECUTED,
                                                  published=True)
            if app.executed_seq is not None
            and (not use or app.use.value == use)
            and (fiscal_year is None or app.reporting_fiscal_year == fiscal_year)
            and all(w in fold(f"{app.credit_user_name} {app.credit_user_corporate_number or ''}")
                    for w in fold(q).split())]
    apps.sort(key=lambda app: app.executed_seq or 0, reverse=True)
    page = max(page, 1)
    start = (page - 1) * PAGE_SIZE
    chosen = apps[start:start + PAGE_SIZE]
    blocks = uow.projections.created_in([a.executed_seq for a in chosen if a.executed_seq],
                                        AccountKind.INVALIDATION)
    issuances = {root: a for root, a, *_ in uow.projections.issuances(
        root_ids=sorted({b[2] for b in blocks}))} if blocks else {}
    by_seq: dict[int, list[dict[str, Any]]] = {}
    for seq, block, root, first, last in blocks:
        prefix = issuances[root].serial_prefix()
        by_seq.setdefault(seq, []).append({
            "root_id": root, "block_id": block, "project_id": issuances[root].project_id,
            "serials": f"{prefix}-{first:010d}-{last:010d}"})
    rows = []
    for app in chosen:
        parts = by_seq.get(app.executed_seq or 0, [])
        rows.append({"id": app.id, "executed_date": jst_date(app.executed_at),
                     "use": app.use.value,
                     "offset_purpose": app.offset_purpose.value if app.offset_purpose else None,
                     "quantity": app.quantity, "credit_user_name": app.credit_user_name,
                     "credit_user_corporate_number": app.credit_user_corporate_number,
                     "reporting_fiscal_year": app.reporting_fiscal_year,
                     "blocks": parts, "serials": " ".join(p["serials"] for p in parts),
                     "project_ids": " ".join(sorted({p["project_id"] for p in parts}))})
    return {"invalidations": rows, "count": len(apps), "page": page,
            "pages": max(1, -(-len(apps) // PAGE_SIZE)),
            "uses": sorted({a.use.value for a in uow.invalidations.list(
                status=ApplicationStatus.EXECUTED, published=True)})}


def jst_date(moment: str | None) -> str | None:
    """A UTC ISO time as its JST calendar date (YYYY-MM-DD); None for none."""
    return _jst_date(moment) or None


def parse_serial(value: str | int | None) -> str | None:
    """A serial or a serial range as typed, checked for its form: a number (``5``), a range
    (``2501-2600``), or either after the issuance's prefix (``JC-FM-C000017-0000002501``);
    empty: None. Which issuance it belongs to is checked against the issuance
    (:func:`serial_range`)."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    for dash in ("〜", "～", "~", "‐", "−", "–", "—"):  # a range typed with any dash
        text = text.replace(dash, "-")
    text = "-".join(part.strip() for part in text.split("-"))
    if not text:
        return None
    if not text.rsplit("-", 1)[-1].isdigit() or len(text) > 60 or any(
            not part for part in text.split("-")) or any(
            part.isdigit() and len(part) > 12 for part in text.split("-")):
        raise ValidationError(f"serial {text[:40]!r} is not a serial number: give the number "
                              "(e.g. 5), a range (e.g. 1-50), or the full serial",
                              field="serial")
    return text


def serial_range(text: str, prefix: str, first: int, last: int) -> tuple[int, int]:
    """The serials ``text`` names in an issuance of ``prefix`` with serials ``first`` to
    ``last``: the number or range after the prefix (the prefix, when given, must be this
    issuance's)."""
    parts = text.split("-")
    readings = []
    for count in (1, 2):
        numbers, before = parts[len(parts) - count:], "-".join(parts[:len(parts) - count])
        if len(numbers) == count and all(n.isdigit() and len(n) <= 12 for n in numbers) \
                and before in ("", prefix):
            readings.append((int(numbers[0]), int(numbers[-1])))
    if not readings:
        raise NotFoundError(f"serial {text[:60]!r} is not of this issuance ({prefix})",
                            field="serial")
    start, end = readings[-1] if len(readings) > 1 and readings[-1][0] <= readings[-1][1] \
        else readings[0]
    if start > end:
        raise NotFoundError(f"serial range {start}-{end} ends before it starts",
                            field="serial")
    if not (first <= start and end <= last):
        raise NotFoundError(f"serials {start}-{end} are not within this issuance's "
                            f"{first}-{last}", field="serial")
    return start, end


def parse_fiscal_year(value: str | int | None) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise ValidationError(f"fiscal_year {text[:10]!r} is not a year from 2000 to 2100",
                              field="fiscal_year")
    return int(text)
