"""The case database (活用事例・創出事例, issue 16): organisations submit, the secretariat
reviews and publishes. Links to projects and invalidations are checked against the
registry; an organisation links only its own executed invalidations."""

from __future__ import annotations

from typing import Any

from jcredit.domain.cases.model import CaseContent
from jcredit.domain.cases.model import CaseStatus
from jcredit.domain.cases.model import parse_case
from jcredit.domain.cases.model import search_text
from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import InvalidStateError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import ReviewCase
from jcredit.service_layer.commands import SubmitCase
from jcredit.service_layer.messagebus import CommandContext

SUBMITTING_ROLES = (Role.HOLDER, Role.IMPLEMENTER, Role.OPERATOR, Role.ADMIN)
DECISIONS = ("PUBLISH", "RETURN", "UNPUBLISH")


def _check_links(content: CaseContent, ctx: CommandContext) -> None:
    """Each project is on the public list (imported or registered here); each invalidation
    is executed and, unless the secretariat links it, the submitter's organisation's."""
    check = FieldChecks()
    for number in content.projects:
        def project(number: str = number) -> None:
            native = ctx.uow.projects.by_number(number)
            if not ctx.uow.projects.registered([number]) and native is None:
                raise NotFoundError(f"projects: no registered project {number}",
                                    field="projects")
        check(project)
    own = {a.id for a in ctx.uow.accounts.list(organisation_id=ctx.actor.organisation_id)} \
        if ctx.actor.organisation_id is not None else set()
    for application_id in content.invalidations:
        def invalidation(application_id: int = application_id) -> None:
            app = ctx.uow.invalidations.get(application_id)
            if app is None or app.status is not ApplicationStatus.EXECUTED:
                raise NotFoundError(f"invalidations: no executed invalidation "
                                    f"{application_id}", field="invalidations")
            if ctx.actor.role is not Role.ADMIN and app.account_id not in own:
                raise ValidationError(f"invalidations: {application_id} is not your "
                                      "organisation's invalidation", field="invalidations")
            if not app.published:  # a published case would disclose it
                raise ValidationError(f"invalidations: {application_id} was filed without "
                                      "consent to publication, so it cannot be shown in a "
                                      "public case", field="invalidations")
        check(invalidation)
    check.done()


def _check_organisation(content: CaseContent, ctx: CommandContext) -> None:
    """An organisation submits in its own name (the secretariat in anyone's)."""
    if ctx.actor.role is Role.ADMIN or ctx.actor.organisation_id is None:
        return
    org = ctx.uow.organisations.get(ctx.actor.organisation_id)
    if org is None:
        return
    check = FieldChecks()
    if content.organisation != org.name:
        check(lambda: _refuse(ValidationError(
            f"organisation: a case is submitted in your organisation's name ({org.name})",
            field="organisation")))
    if content.corporate_number not in (None, org.corporate_number):
        check(lambda: _refuse(ValidationError(
            f"corporate_number: your organisation's is {org.corporate_number}",
            field="corporate_number")))
    check.done()


def _refuse(error: ValidationError) -> None:
    raise error


def _row(content: CaseContent, status: CaseStatus) -> dict[str, Any]:
    return {"kind": content.kind.value, "status": status.value, "title": content.title,
            "organisation": content.organisation, "prefecture": content.prefecture,
            "category": content.category.value if content.category else None,
            "uses": [u.value for u in content.uses], "method": content.method.value,
            "mark": content.mark, "content": content.as_dict(),
            "search_text": search_text(content)}


def submit_case(cmd: SubmitCase, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, *SUBMITTING_ROLES, action="submitting a case")
    stored = None
    if cmd.case_id is not None:  # who may change it, and whether it may change, first
        stored = ctx.uow.cases.get(cmd.case_id)
        if stored is None:
            raise NotFoundError(f"no case {cmd.case_id}", field="case_id")
        if ctx.actor.role is not Role.ADMIN and (
                stored["organisation_id"] is None
                or stored["organisation_id"] != ctx.actor.organisation_id):
            raise PermissionDeniedError("only the organisation that submitted a case edits it")
        if stored["status"] == CaseStatus.PUBLISHED.value:
            raise InvalidStateError(f"case {cmd.case_id} is published: the secretariat takes "
                                    "it down (UNPUBLISH) before it is edited")
    if not isinstance(cmd.case, dict):
        raise ValidationError("case must be an object of the case's fields", field="case")
    content = parse_case(cmd.case)
    _check_organisation(content, ctx)
    _check_links(content, ctx)
    row = _row(content, CaseStatus.SUBMITTED)
    if stored is None:
        case_id = ctx.uow.cases.next_id()
        view = {"id": case_id, "status": row["status"], "content": row["content"],
                "organisation_id": ctx.actor.organisation_id}
        entry = ctx.record(cmd.NAME, view)
        ctx.uow.cases.add(row | {"id": case_id, "organisation_id": ctx.actor.organisation_id,
                                 "submitted_by": ctx.actor.key, "submitted_at": ctx.now_iso,
                                 "journal_seq": entry.seq})
        return view | {"journal_seq": entry.seq}
    view = {"id": stored["id"], "status": row["status"], "content": row["content"],
            "organisation_id": stored["organisation_id"]}
    entry = ctx.record(cmd.NAME, view)
    # a resubmission starts a new review: the last decision's note is in the journal
    ctx.uow.cases.update(stored["id"], row | {
        "submitted_by": ctx.actor.key, "submitted_at": ctx.now_iso, "reviewed_by": None,
        "reviewed_at": None, "review_note": None, "journal_seq": entry.seq})
    return view | {"journal_seq": entry.seq}


def review_case(cmd: ReviewCase, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, action="reviewing a case")
    decision = str(cmd.decision or "").strip().upper()
    if decision not in DECISIONS:
        raise ValidationError(f"decision {str(cmd.decision)[:20]!r} is not a decision",
                              field="decision", valid=list(DECISIONS))
    note = " ".join(str(cmd.note or "").split())
    if len(note) > 1000:
        raise ValidationError(f"note is {len(note)} characters; at most 1000", field="note")
    if decision != "PUBLISH" and not note:
        raise ValidationError("note: say what to change (the organisation reads it)",
                              field="note")
    stored = ctx.uow.cases.get(cmd.case_id)
    if stored is None:
        raise NotFoundError(f"no case {cmd.case_id}", field="case_id")
    expected = CaseStatus.PUBLISHED if decision == "UNPUBLISH" else CaseStatus.SUBMITTED
    if stored["status"] != expected.value:
        raise InvalidStateError(f"case {cmd.case_id} is {stored['status']}; {decision} "
                                f"needs a {expected.value} case")
    status = {"PUBLISH": CaseStatus.PUBLISHED, "RETURN": CaseStatus.RETURNED,
              "UNPUBLISH": CaseStatus.TAKEN_DOWN}[decision]
    view = {"id": cmd.case_id, "decision": decision, "status": status.value, "note": note}
    entry = ctx.record(cmd.NAME, view)
    ctx.uow.cases.update(cmd.case_id, {"status": status.value, "reviewed_by": ctx.actor.key,
                                       "reviewed_at": ctx.now_iso, "review_note": note or None,
                                       "journal_seq": entry.seq})
    return view | {"journal_seq": entry.seq}
