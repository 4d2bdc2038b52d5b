"""Monitoring to issuance (STEP2-STEP3): periods, calculation, verification, certification
after aggregation, and issuance into the holder's account (never twice)."""

from __future__ import annotations

from typing import Any

from jcredit.domain.dmrv.settlement import digest
from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.credits import CreditType
from jcredit.domain.ledger.credits import SchemeCode
from jcredit.domain.methodologies.base import ActivityResult
from jcredit.domain.methodologies.base import Methodology
from jcredit.domain.methodologies.base import certified_amounts
from jcredit.domain.methodologies.base import exact_sum
from jcredit.domain.parsing import parse_date
from jcredit.domain.projects.lifecycle import PERIOD_TRANSITIONS
from jcredit.domain.projects.lifecycle import PeriodState
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.lifecycle import transition
from jcredit.domain.projects.model import Activity
from jcredit.domain.projects.model import MonitoringPeriod
from jcredit.domain.projects.model import Project
from jcredit.domain.projects.model import activities_without_data
from jcredit.domain.text import check_nested_text
from jcredit.domain.text import clean_text
from jcredit.domain.text import shown
from jcredit.service_layer import commands as c
from jcredit.service_layer.handlers.dmrv_decisions import require_decided
from jcredit.service_layer.handlers.dmrv_decisions import settled_summary
from jcredit.service_layer.handlers.issuance import issue_block
from jcredit.service_layer.handlers.issuance import require_new_certification
from jcredit.service_layer.handlers.projects import PERIOD_INPUTS
from jcredit.service_layer.handlers.projects import is_forest
from jcredit.service_layer.handlers.projects import methodology_of
from jcredit.service_layer.handlers.projects import party_for
from jcredit.service_layer.handlers.projects import period_by_number
from jcredit.service_layer.handlers.projects import project_by_number
from jcredit.service_layer.handlers.projects import record
from jcredit.service_layer.handlers.projects import require_owner
from jcredit.service_layer.handlers.projects import save_document
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.views import block_view
from jcredit.service_layer.views import period_view

# --- monitoring, verification, certification, issuance --------------------------------------


def open_monitoring_period(cmd: c.OpenMonitoringPeriod, ctx: CommandContext) -> dict[str, Any]:
    project = project_by_number(ctx.uow, cmd.project)
    require_owner(ctx.actor, project)
    if project.state is not ProjectState.REGISTERED:
        raise ConflictError(f"project {project.number} is {project.state}: monitoring starts "
                            "after registration", field="project")
    start = parse_date(cmd.period_start, field="period_start")
    end = parse_date(cmd.period_end, field="period_end")
    if end < start:
        raise ValidationError("period_end is before period_start", field="period_end")
    if start < project.monitoring_start:
        raise ValidationError(f"period_start is before the monitoring start "
                              f"{project.monitoring_start}", field="period_start")
    periods = ctx.uow.projects.periods(project.id)
    live = [p for p in periods if p.state is not PeriodState.WITHDRAWN]
    if live and start <= max(p.end for p in live):
        raise ConflictError(f"monitoring periods may not overlap: the last one ends "
                            f"{max(p.end for p in live)}", field="period_start")
    period = MonitoringPeriod(id=ctx.uow.projects.next_period_id(), project_id=project.id,
                              number=len(periods) + 1, start=start, end=end,
                              state=PeriodState.MONITORING)
    ctx.uow.projects.add_period(period)
    view = period_view(period)
    record(ctx, cmd, project, "open_period", view, period_number=period.number,
           to_state=period.state.value)
    return view


Problem = tuple[ValidationError, dict[str, object]]


def calculate_period(project: Project, period: MonitoringPeriod, activities: list[Activity],
                     data: dict[str, dict[str, Any]], found: tuple[Problem, ...] = ()
                     ) -> tuple[list[ActivityResult], dict[str, Any]]:
    """Run the methodology for every activity with data in this period.

    Every activity is checked before anything is refused, so a file of readings comes back
    with all its problems (``errors``: activity, column, value, what is valid), not the
    first one; ``found`` are the problems already found (the text of the data)."""
    m = methodology_of(project)
    by_code = {a.code: a for a in activities}
    if not data and not found:
        raise ValidationError("activities: give the monitored values of at least one activity",
                              field="activities")
    problems: list[Problem] = list(found)
    for code in sorted(set(data) - set(by_code)):
        problems.append(_problem(ValidationError(
            f"activities: {code} is not an activity of {project.number}",
            field=f"activities.{code}"), code, "code", code))
    takes_period = {i.name for i in m.inputs} >= set(PERIOD_INPUTS)
    results: list[ActivityResult] = []
    summary: dict[str, Any] = {}
    for code in sorted(set(data) & set(by_code)):
        activity = by_code[code]
        raw = dict(activity.inputs) | dict(data[code])
        if takes_period:
            start = max(period.start, activity.crediting_start or period.start)
            end = min(period.end, activity.crediting_end or period.end)
            if end < start:
                problems.append(_problem(ValidationError(
                    f"activities.{code}: the period is outside this activity's crediting "
                    "period", field=f"activities.{code}"), code, "", ""))
                continue
            raw |= {"period_start": start.isoformat(), "period_end": end.isoformat()}
        try:
            result = m.calculate(raw)
        except ValidationError as error:
            wrapped = ValidationError(f"activities.{code}: {error.message}",
                                      field=f"activities.{code}.{error.field or ''}".rstrip("."),
                                      valid=error.valid)
            wrapped.code = error.code  # keep not_applicable, invalid_input …
            column = (error.field or "").removeprefix("inputs.")  # the CSV's column name
            problems.append(_problem(wrapped, code, column, raw.get(column, "")))
            continue
        results.append(result)
        summary[code] = {
            "reduction_tco2": str(result.reduction),
            "vintages": {str(v.vintage): str(v.reduction) for v in result.lines},
            "unverified_factors": result.as_dict()["unverified_factors"],
            "findings": [str(f) for f in result.findings],
        }
    if problems:
        first = problems[0][0]
        message = first.message if len(problems) == 1 else (
            f"{len(problems)} activities have problems, nothing was changed; the first: "
            f"{first.message}")
        refused = ValidationError(message, field=first.field, valid=first.valid,
                                  errors=[item for _, item in problems])
        refused.code = first.code
        raise refused
    return results, summary


def _problem(error: ValidationError, code: str, column: str, value: object
             ) -> tuple[ValidationError, dict[str, object]]:
    item: dict[str, object] = {"activity": code, "field": error.field, "column": column,
                               "value": "" if value is None else str(value),
                               "message": error.message}
    if error.valid:
        item["valid"] = list(error.valid)
    return error, item


def submit_monitoring_data(cmd: c.SubmitMonitoringData, ctx: CommandContext) -> dict[str, Any]:
    project = project_by_number(ctx.uow, cmd.project)
    require_owner(ctx.actor, project)
    period = period_by_number(ctx.uow, project, cmd.period)
    if period.state not in (PeriodState.MONITORING, PeriodState.RETURNED):
        raise ConflictError(f"period {period.number} is {period.state}: data can be changed "
                            "only while monitoring or after a return", field="period")
    if not isinstance(cmd.activities, dict):
        raise ValidationError("activities must map activity codes to their values",
                              field="activities")
    if cmd.settlement is None and ctx.uow.devices.of_project(project.id):
        # a project with meters takes its values from them: typed values would bypass the
        # checks, the Merkle root and the verifier's HOLD decisions (docs/dmrv.md §9)
        raise ConflictError(f"{project.number} has devices: its monitoring data come from "
                            "the readings (jcredit dmrv settle PROJECT PERIOD --submit), not "
                            "from a file or typed values", field="activities")
    data, found = _clean_data(cmd.activities)
    results, summary = calculate_period(project, period, ctx.uow.projects.activities(project.id),
                                        data, found)
    amounts = certified_amounts(results)
    period.data = data
    period.result = {
        "activities": summary,
        "total_tco2": str(exact_sum(r.reduction for r in results)),
        "preview": [a.as_dict() for a in amounts],
    }
    source: dict[str, Any] = {"source": "csv"}
    if cmd.settlement is not None:
        if not isinstance(cmd.settlement, dict):
            raise ValidationError("settlement must be an object", field="settlement")
        settled = dict(cmd.settlement)
        if digest(settled | {"activities": cmd.activities}) != settled.get("sha256"):
            raise ValidationError("settlement: its SHA-256 does not match it and these "
                                  "activities' values", field="settlement")
        source = {"source": "dmrv", "settlement_sha256": settled.get("sha256"),
                  "engine": settled.get("engine"),
                  "readings_root": settled.get("readings_root")}
        period.result["settlement"] = {k: settled.get(k) for k in (
            "sha256", "engine", "thresholds_version", "totals", "findings", "readings_root",
            "site_days")}
    ctx.uow.projects.update_period(period)
    missing = activities_without_data(ctx.uow.projects.activities(project.id), period)
    content: dict[str, Any] = {"period": period_view(period), "data": data,
                               "result": period.result, "missing_activities": missing}
    if cmd.settlement is not None:
        content["settlement"] = dict(cmd.settlement)
    document = save_document(ctx, project, "MONITORING_REPORT", content,
                             period_number=period.number)
    view = period_view(period) | {"document_version": document.version,
                                  "document_sha256": document.sha256}
    record(ctx, cmd, project, "submit_data", {"period": period.number,
                                              "total_tco2": period.result["total_tco2"],
                                              "document_sha256": document.sha256,
                                              "missing_activities": missing} | source,
           period_number=period.number)
    return view


def _clean_data(activities: dict[Any, Any]) -> tuple[dict[str, dict[str, Any]],
                                                    tuple[Problem, ...]]:
    """The monitored values whose text the databases store, and a problem for each value
    that is not (control or bidi characters, lone surrogates): the message bus leaves the
    data to this, so that every bad line of a file is reported with its other problems."""
    data: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for key, values in activities.items():
        code = str(key).upper()
        try:
            clean_text(code, field="activities (an activity code)", max_length=200)
        except ValidationError as error:
            problems.append(_problem(error, code, "code", shown(code)))
            continue
        if not isinstance(values, dict):
            problems.append(_problem(ValidationError(
                f"activities.{code} must map input names to values",
                field=f"activities.{code}"), code, "", shown(values)))
            continue
        before = len(problems)
        for name, value in values.items():
            try:
                check_nested_text({name: value}, field=f"activities.{code}")
            except ValidationError as error:
                problems.append(_problem(error, code, shown(name), shown(value)))
        if len(problems) == before:
            data[code] = dict(values)
    return data, tuple(problems)


def period_transition(cmd: c.PeriodTransition, ctx: CommandContext) -> dict[str, Any]:
    project = project_by_number(ctx.uow, cmd.project)
    party = party_for(ctx.actor, project)
    period = period_by_number(ctx.uow, project, cmd.period)
    action = str(cmd.action).strip().lower()
    comment = " ".join(str(cmd.comment or "").split())
    if action == "return" and not comment:
        raise ValidationError("say what must be corrected: a return needs a comment",
                              field="comment")
    if action == "submit_for_verification" and not period.data:
        raise ConflictError("submit the monitoring data first", field="period")
    missing = activities_without_data(ctx.uow.projects.activities(project.id), period) \
        if action in SUBMISSIONS else []
    if missing:
        _require_acknowledgement(missing, cmd.acknowledge_missing, comment)
    before = period.state
    new_state = transition(PERIOD_TRANSITIONS, before, action, party,
                           returned_from=period.returned_from,
                           subject=f"period {period.number} of {project.number}")
    payload: dict[str, Any] = {"period": period.number}
    if missing:
        payload["missing_activities"] = missing
    postings: list[dict[str, Any]] = []
    if action == "complete_verification":
        report: dict[str, Any] = {"opinion": comment or "適正", "result": period.result,
                                  "report": dict(cmd.report or {})}
        settled = settled_summary(ctx.uow, project, period.number)
        if settled is not None:
            # the period came from the readings: every HOLD decided, every rejection settled
            report["hold_decisions"] = require_decided(ctx.uow, project, period)
            report["settlement_ref"] = {"sha256": settled.get("sha256"),
                                        "readings_root": settled.get("readings_root")}
            payload["hold_decisions"] = len(report["hold_decisions"])
        save_document(ctx, project, "VERIFICATION_REPORT", report,
                      period_number=period.number)
    if action == "certify":
        results, _ = calculate_period(project, period, ctx.uow.projects.activities(project.id),
                                      period.data)
        amounts = certified_amounts(results)
        period.certified = [a.as_dict() for a in amounts]
        period.certification_number = f"{project.number}-{period.number:02d}"
        save_document(ctx, project, "CERTIFICATION_DECISION",
                      {"certification_number": period.certification_number,
                       "amounts": period.certified, "comment": comment},
                      period_number=period.number)
        payload["certified"] = period.certified
        settled = (period.result or {}).get("settlement") or {}
        if settled.get("readings_root"):
            # the readings' Merkle root certified with the amounts (docs/dmrv.md §10)
            payload["readings_root"] = settled["readings_root"]
            payload["settlement_sha256"] = settled.get("sha256")
    if action == "issue":
        blocks, postings = _issue_period(ctx, project, period)
        payload["blocks"] = blocks
    period.returned_from = before.value if new_state == PeriodState.RETURNED else None
    period.state = PeriodState(new_state)
    ctx.uow.projects.update_period(period)
    payload |= {"from_state": before.value, "to_state": period.state.value, "comment": comment}
    record(ctx, cmd, project, action, payload, from_state=before.value,
           to_state=period.state.value, period_number=period.number, comment=comment,
           postings=postings)
    return payload | {"project": project.number}


SUBMISSIONS = ("submit_for_verification", "resubmit")  # the data goes on to be checked


def _require_acknowledgement(missing: list[str], acknowledged: bool, comment: str) -> None:
    """A period goes to its verifier with activities lacking data only when the owner says
    so and why: a verifier expects every activity of the plan to report, or a reason."""
    listed = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
    if not acknowledged:
        raise ConfirmationRequiredError(
            f"{len(missing)} activities have no data in this period ({listed}): submit their "
            "data, or acknowledge that they have none and say why in the comment",
            field="acknowledge_missing")
    if not comment:
        raise ValidationError(f"say why {len(missing)} activities have no data ({listed}): "
                              "the comment goes to the verifier", field="comment")


def credit_attributes(project: Project, m: Methodology, *, vintage: int,
                      certification_number: str) -> CreditAttributes:
    """Scheme, type and category of the credits a project earns (jcredit-rules.md §3.4).

    JCL/ERL for a Keidanren participant, JC/ER otherwise; forest management is FM (usable
    for the Keidanren plan under either scheme code).
    """
    if is_forest(m):
        credit_type = CreditType.FM
    else:
        credit_type = CreditType.ERL if project.keidanren else CreditType.ER
    return CreditAttributes(
        scheme=SchemeCode.JCL if project.keidanren else SchemeCode.JC,
        credit_type=credit_type, category=m.category, project_id=project.number,
        methodology_id=m.id, methodology_version=m.version,
        certification_number=certification_number, vintage=vintage)


def _issue_period(ctx: CommandContext, project: Project, period: MonitoringPeriod
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if ctx.uow.projects.period_issuances(period.id):
        raise ConflictError(f"period {period.number} of {project.number} was already issued",
                            field="period")
    assert period.certification_number is not None
    require_new_certification(ctx, period.certification_number)
    holder = ctx.uow.accounts.get(project.holder_account_id)
    assert holder is not None
    m = methodology_of(project)
    blocks, postings = [], []
    for amount in period.certified:
        if amount["credits"] <= 0:
            continue
        attributes = credit_attributes(project, m, vintage=int(amount["vintage"]),
                                       certification_number=period.certification_number)
        block, posting = issue_block(ctx, holder, attributes, int(amount["credits"]))
        ctx.uow.projects.add_period_issuance(period_id=period.id, vintage=int(amount["vintage"]),
                                             root_id=block.root_id, quantity=block.quantity)
        blocks.append(block_view(block) | {"to_account": holder.number})
        postings.append(posting)
    if not blocks:
        raise ConflictError("nothing to issue: the certified amount is 0 credits",
                            field="period")
    return blocks, postings
