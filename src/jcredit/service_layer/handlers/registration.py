"""Registration (STEP1): the eligibility findings and the project lifecycle transitions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies.base import Methodology
from jcredit.domain.numbers import D
from jcredit.domain.projects import eligibility as el
from jcredit.domain.projects.lifecycle import PROJECT_TRANSITIONS
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.lifecycle import transition
from jcredit.domain.projects.model import Activity
from jcredit.domain.projects.model import Project
from jcredit.domain.projects.model import ProjectType
from jcredit.service_layer import commands as c
from jcredit.service_layer.handlers.invalidations import registry_date
from jcredit.service_layer.handlers.projects import is_forest
from jcredit.service_layer.handlers.projects import methodology_of
from jcredit.service_layer.handlers.projects import party_for
from jcredit.service_layer.handlers.projects import project_by_number
from jcredit.service_layer.handlers.projects import record
from jcredit.service_layer.handlers.projects import save_document
from jcredit.service_layer.messagebus import CommandContext

# --- registration ------------------------------------------------------------------------------


def registration_findings(project: Project, activities: list[Activity], m: Methodology,
                          application_date: date) -> list[el.Finding]:
    """Every eligibility rule (§1.4) applied to the project as filed."""
    forest = is_forest(m)
    findings = [
        el.check_in_japan(project.prefecture),
        el.check_two_year_rule(project.start_date, application_date, forest=forest),
    ]
    if not activities:
        findings.append(el.Finding("ACTIVITIES", False, "the project has no activity yet",
                                   message_ja="削減活動がまだ登録されていません"))
    for activity in activities:
        if not forest:
            findings.append(el.check_equipment_age(activity.operation_start, application_date,
                                                   subject=activity.code))
        if project.project_type is ProjectType.PROGRAMME:
            findings.append(el.check_programme_activity_size(activity.expected_tco2_per_year,
                                                             subject=activity.code))
    add = project.additionality
    exemption = el.effective_exemption(
        el.AdditionalityExemption(add.get("exemption", "NONE")),
        household_programme=bool(activities) and all(a.household for a in activities)
        and project.project_type is ProjectType.PROGRAMME,
        methodology_waived=m.additionality_waived)
    payback: Decimal | None = None
    if "payback_years" in add:
        payback = D(add["payback_years"])
    elif all(k in add for k in ("investment_yen", "annual_income_yen")):
        payback = el.payback_years(D(add["investment_yen"]), D(add.get("subsidy_yen", "0")),
                                   D(add["annual_income_yen"]),
                                   D(add.get("annual_running_cost_yen", "0")))
    elif exemption is el.AdditionalityExemption.NONE:
        findings.append(el.Finding("ADDITIONALITY", False, "give the payback inputs "
                                   "(investment, subsidy, annual income, running cost)",
                                   message_ja="投資回収年数の入力 (投資額、補助金、年間収入、"
                                   "年間運転費) が必要です"))
        return findings
    findings.append(el.check_additionality(payback=payback, exemption=exemption,
                                           post_fit_investments=add.get("post_fit_investments",
                                                                        [])))
    period = el.crediting_period(application_date, project.monitoring_start, forest=forest,
                                 years=project.crediting_years)
    findings.append(el.Finding("CREDITING_PERIOD", True,
                               f"{period.start} to {period.end} ({period.years} years)",
                               message_ja=f"{el.ja_date(period.start)} から "
                               f"{el.ja_date(period.end)} まで ({period.years} 年間)"))
    return findings


def project_transition(cmd: c.ProjectTransition, ctx: CommandContext) -> dict[str, Any]:
    project = project_by_number(ctx.uow, cmd.project)
    party = party_for(ctx.actor, project)
    action = str(cmd.action).strip().lower()
    comment = " ".join(str(cmd.comment or "").split())
    before = project.state
    activities = ctx.uow.projects.activities(project.id)
    m = methodology_of(project)
    payload: dict[str, Any] = {}
    if action == "return" and not comment:
        raise ValidationError("say what must be corrected: a return needs a comment",
                              field="comment")
    if action == "submit_for_validation":
        if project.verifier_org_id is None:
            raise ConflictError("choose the 審査機関 first (assign_verifier)", field="verifier")
        if not activities:
            raise ConflictError("add at least one activity first", field="activities")
    new_state = transition(PROJECT_TRANSITIONS, before, action, party,
                           returned_from=project.returned_from,
                           subject=f"project {project.number}")
    today = registry_date(ctx)
    if action == "complete_validation":
        findings = registration_findings(project, activities, m, today)
        report = {"opinion": comment or "妥当", "findings": [f.as_dict() for f in findings],
                  "report": dict(cmd.report or {})}
        save_document(ctx, project, "VALIDATION_REPORT", report)
        payload["findings"] = report["findings"]
    if action == "apply_for_registration":
        findings = registration_findings(project, activities, m, today)
        failed = [f for f in findings if not f.passed]
        if failed:
            raise ValidationError(
                "the project does not meet the registration requirements: "
                + "; ".join(f"{f.check}{' ' + f.subject if f.subject else ''}: {f.message}"
                            for f in failed), field=failed[0].check.lower())
        project.application_date = today
        payload["findings"] = [f.as_dict() for f in findings]
    if action == "register":
        assert project.application_date is not None
        cap = ctx.policy.crediting_period_cap
        period = el.crediting_period(project.application_date, project.monitoring_start,
                                     forest=is_forest(m), years=project.crediting_years, cap=cap)
        project.registered_on = today
        project.crediting_start, project.crediting_end = period.start, period.end
        for activity in activities:
            own = el.crediting_period(project.application_date,
                                      max(activity.operation_start, project.monitoring_start),
                                      forest=is_forest(m), years=project.crediting_years,
                                      cap=cap)
            activity.crediting_start, activity.crediting_end = own.start, own.end
            ctx.uow.projects.update_activity(activity)
        payload["crediting_period"] = period.as_dict()
    project.returned_from = before.value if new_state == ProjectState.RETURNED else None
    project.state = ProjectState(new_state)
    ctx.uow.projects.update(project)
    payload |= {"from_state": before.value, "to_state": project.state.value,
                "comment": comment}
    record(ctx, cmd, project, action, payload, from_state=before.value,
           to_state=project.state.value, comment=comment)
    return payload | {"project": project.number}
