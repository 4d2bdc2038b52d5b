"""The verifier's decisions on the HOLD findings of a settled period (docs/dmrv.md §12).

A settlement lists its HOLD findings (the checks could not say whether the energy is real:
a clear-sky excess, a clock shift, a fleet outlier, a held batch …). The project's 審査機関
decides each while the period is under verification: ACCEPT (the intervals earn) or REJECT
(they are taken out), a rejection with its reason. Every decision is journaled
(``dmrv.decide_hold``) and the latest kept per finding. A rejection changes the credits, so
the period goes back to the implementer (差し戻し) and is settled again, which takes the
rejected intervals out; verification completes only when every HOLD is decided and every
rejection is in the settlement (``require_decided``), and the verification report lists the
decisions.
"""

from __future__ import annotations

import json
from typing import Any

from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.projects.lifecycle import Party
from jcredit.domain.projects.lifecycle import PeriodState
from jcredit.domain.projects.model import MonitoringPeriod
from jcredit.domain.projects.model import Project
from jcredit.domain.text import clean_text
from jcredit.service_layer import commands as c
from jcredit.service_layer.handlers.projects import party_for
from jcredit.service_layer.handlers.projects import period_by_number
from jcredit.service_layer.handlers.projects import project_by_number
from jcredit.service_layer.handlers.projects import record
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork

DECISIONS = ("ACCEPT", "REJECT")
MAX_COMMENT = 2000


def settled_summary(uow: AbstractUnitOfWork, project: Project, period: int
                    ) -> dict[str, Any] | None:
    """The settlement kept in the period's latest monitoring report, with its values
    (``activities``), or None when the period's data did not come from the readings."""
    documents = [d for d in uow.projects.documents(project.id)
                 if d.kind == "MONITORING_REPORT" and d.period_number == period]
    for document in sorted(documents, key=lambda d: d.version, reverse=True):
        content = json.loads(document.content)
        return (dict(content["settlement"]) | {"activities": content.get("data", {})}
                if content.get("settlement") else None)
    return None


def decide_hold(cmd: c.DecideHold, ctx: CommandContext) -> dict[str, Any]:
    project = project_by_number(ctx.uow, cmd.project)
    party = party_for(ctx.actor, project)
    if party is not Party.VERIFIER:
        raise PermissionDeniedError(f"only the 審査機関 of {project.number} decides its HOLD "
                                    "findings")
    period = period_by_number(ctx.uow, project, cmd.period)
    if period.state is not PeriodState.VERIFICATION:
        raise ConflictError(f"period {period.number} is {period.state}: HOLD findings are "
                            "decided while it is under verification", field="period")
    decision = str(cmd.decision or "").strip().upper()
    if decision not in DECISIONS:
        raise ValidationError("decision is ACCEPT or REJECT", field="decision",
                              valid=DECISIONS)
    comment = " ".join(clean_text(str(cmd.comment or ""), field="comment",
                                  max_length=MAX_COMMENT, multiline=True).split())
    if decision == "REJECT" and not comment:
        raise ValidationError("say why the energy is rejected: a rejection needs a comment",
                              field="comment")
    summary = settled_summary(ctx.uow, project, period.number)
    if summary is None:
        raise ConflictError(f"period {period.number} was not settled from the readings: it "
                            "has no HOLD findings", field="period")
    hold = next((h for h in summary.get("holds", []) if h.get("key") == cmd.key), None)
    if hold is None:
        raise NotFoundError(f"no HOLD finding {cmd.key!r} in the settlement of period "
                            f"{period.number}", field="key")
    payload = {"period": period.number, "key": hold["key"], "site": hold["site"],
               "rule_id": hold["rule_id"], "decision": decision, "comment": comment,
               "energy_wh": hold.get("energy_wh"), "settlement_sha256": summary.get("sha256")}
    seq = record(ctx, cmd, project, "decide_hold", payload, period_number=period.number,
                 comment=comment)
    ctx.uow.dmrv.decide({"project_id": project.id, "period_number": period.number,
                         "finding_key": hold["key"], "site": hold["site"],
                         "rule_id": hold["rule_id"], "decision": decision,
                         "comment": comment, "decided_by": ctx.actor.key,
                         "decided_at": ctx.now_iso, "journal_seq": seq})
    return payload | {"project": project.number, "journal_seq": seq}


def decisions_view(uow: AbstractUnitOfWork, project: Project, period: MonitoringPeriod
                   ) -> dict[str, Any]:
    """The period's HOLD findings with their decisions, and what is still to do."""
    summary = settled_summary(uow, project, period.number) or {}
    decided = uow.dmrv.decisions(project.id, period.number)
    holds = []
    for hold in summary.get("holds", []):
        made = decided.get(hold["key"])
        at_settlement = hold.get("decision")
        holds.append(hold | {
            "decision": made["decision"] if made else None,
            "comment": made["comment"] if made else "",
            "decided_by": made["decided_by"] if made else None,
            "decided_at": made["decided_at"] if made else None,
            # rejected since the settlement: the next settlement takes its intervals out
            "pending_settlement": bool(made and made["decision"] == "REJECT"
                                       and at_settlement != "REJECT")})
    return {"settled": bool(summary), "settlement_sha256": summary.get("sha256"),
            "holds": holds, "undecided": sum(h["decision"] is None for h in holds),
            "to_settle_again": sum(h["pending_settlement"] for h in holds)}


def require_decided(uow: AbstractUnitOfWork, project: Project, period: MonitoringPeriod
                    ) -> list[dict[str, Any]]:
    """Before verification completes: every HOLD decided, every rejection settled; the
    decisions for the verification report."""
    view = decisions_view(uow, project, period)
    if view["undecided"]:
        raise ConflictError(f"{view['undecided']} HOLD findings of period {period.number} "
                            "are not decided yet: accept or reject each", field="holds")
    if view["to_settle_again"]:
        raise ConflictError(f"{view['to_settle_again']} rejected HOLD findings are not in the "
                            "settlement yet: return the period so that it is settled again",
                            field="holds")
    return [{k: h[k] for k in ("key", "site", "rule_id", "energy_wh", "decision", "comment",
                               "decided_by", "decided_at")} for h in view["holds"]]
