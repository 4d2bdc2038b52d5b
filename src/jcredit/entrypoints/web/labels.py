"""Every kind of code the web UI names for people, and where its codes come from.

``label(kind, code)`` in a template looks ``kind.code`` up in ``locale/*/labels.po``.
Codes come from enums and data tables, not from source text, so ``pybabel extract`` cannot
find them: ``tests/unit/test_i18n.py`` walks :data:`LABEL_KINDS` and fails on any code
without a Japanese and an English name. A new enum shown on a page gets a line here.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from jcredit.domain.cases.model import CaseKind
from jcredit.domain.cases.model import CaseMethod
from jcredit.domain.cases.model import CaseStatus
from jcredit.domain.dmrv.devices import KeyStatus
from jcredit.domain.dmrv.model import Channel
from jcredit.domain.dmrv.model import Quality
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.thresholds import rows as threshold_rows
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.breakdown import STATES
from jcredit.domain.ledger.corrections import CorrectionReason
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import CreditType
from jcredit.domain.ledger.credits import SchemeCode
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.domain.methodologies import CATALOGUE
from jcredit.domain.methodologies.baseline_rules import BaselineKind
from jcredit.domain.methodologies.factors import FUELS
from jcredit.domain.methodologies.factors import Confidence
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import species_names
from jcredit.domain.offsets.calculators import OFFSET_CATEGORIES
from jcredit.domain.offsets.calculators import BuildingType
from jcredit.domain.offsets.calculators import CalculatorKind
from jcredit.domain.offsets.calculators import FloorAreaClass
from jcredit.domain.offsets.calculators import ProductMode
from jcredit.domain.offsets.calculators import TravelMode
from jcredit.domain.projects.eligibility import AdditionalityExemption
from jcredit.domain.projects.estimate import INPUTS as ESTIMATE_INPUTS
from jcredit.domain.projects.estimate import KINDS as ESTIMATE_KINDS
from jcredit.domain.projects.lifecycle import PERIOD_TRANSITIONS
from jcredit.domain.projects.lifecycle import PROJECT_TRANSITIONS
from jcredit.domain.projects.lifecycle import Party
from jcredit.domain.projects.lifecycle import PeriodState
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.model import ProjectType
from jcredit.domain.public.lineage import EVENTS as LINEAGE_EVENTS
from jcredit.domain.public.lineage import STATES as LINEAGE_STATES
from jcredit.entrypoints.web.dmrv_site import EVIDENCE_KEYS
from jcredit.entrypoints.web.dmrv_site import EVIDENCE_VALUES
from jcredit.entrypoints.web.figures import FACTOR_HEADS
from jcredit.entrypoints.web.figures import FEE_CATEGORIES
from jcredit.service_layer.actors import Role
from jcredit.service_layer.handlers.cases import DECISIONS as CASE_DECISIONS
from jcredit.service_layer.handlers.dmrv_decisions import DECISIONS
from jcredit.service_layer.history import KINDS as MOVEMENT_KINDS
from jcredit.service_layer.history import journal_command_names

# Timeline events that are not state transitions (service_layer.handlers.projects).
EVENT_ACTIONS = ("create", "add_activity", "remove_activity", "assign_verifier",
                 "open_period", "submit_data", "attach_evidence",
                 # the dMRV device registry (service_layer.handlers.dmrv)
                 "register_device", "register_devices", "rotate_device_key",
                 "revoke_device_key")
# The project queue's tasks (service_layer.project_queries.work_queue).
TASKS = ("validation", "registration", "double_registration", "correction", "verification",
         "certification", "issuance", "monitoring")
DOCUMENT_KINDS = ("PLAN", "VALIDATION_REPORT", "MONITORING_REPORT", "VERIFICATION_REPORT",
                  "CERTIFICATION_DECISION")
# The plain fields of a stored document shown on its page, in this order (``document.html``).
DOCUMENT_FIELDS = ("number", "name", "project_type", "methodology", "state", "prefecture",
                   "address", "start_date", "monitoring_start", "crediting_years",
                   "crediting_start", "crediting_end", "holder_account", "keidanren",
                   "application_date", "registered_on", "certification_number", "opinion",
                   "comment")
# A received batch's status and the way it came (service_layer.dmrv.ingest).
BATCH_STATUSES = ("ACCEPTED", "HELD", "REFUSED")
BATCH_SOURCES = ("http", "mqtt", "file")
ELIGIBILITY_CHECKS = ("ACTIVITIES", "ADDITIONALITY", "CREDITING_PERIOD", "DOUBLE_REGISTRATION",
                      "EQUIPMENT_AGE", "IN_JAPAN", "PROGRAMME_ACTIVITY_SIZE", "TWO_YEAR_RULE")


def _inputs() -> list[str]:
    """The name of every methodology input (and of each field of a list input)."""
    return sorted({spec.name for method in CATALOGUE for top in method.inputs
                   for spec in (top, *top.items)})


def _choices() -> list[str]:
    """The choice values of every methodology's inputs that are not named by another kind."""
    named = set(FUELS) | set(species_names()) | {t.value for t in GridFactorType} | {
        t.value for t in ProjectType}
    found: set[str] = set()
    for method in CATALOGUE:
        for top in method.inputs:
            for spec in (top, *top.items):
                found.update(c for c in spec.choices if c not in named)
    return sorted(found)


LABEL_KINDS: dict[str, Callable[[], Iterable[object]]] = {
    "role": lambda: Role,
    "party": lambda: Party,
    "project_type": lambda: ProjectType,
    "exemption": lambda: AdditionalityExemption,
    "project_state": lambda: ProjectState,
    "period_state": lambda: PeriodState,
    "baseline_kind": lambda: BaselineKind,
    "confidence": lambda: Confidence,
    "grid_factor_type": lambda: GridFactorType,
    "account_kind": lambda: AccountKind,
    "application_status": lambda: ApplicationStatus,
    "use": lambda: InvalidationUse,
    "offset_purpose": lambda: OffsetPurpose,
    "correction_reason": lambda: CorrectionReason,
    "scheme": lambda: SchemeCode,
    "credit_type": lambda: CreditType,
    "category": lambda: Category,
    "fuel": lambda: FUELS,
    "species": species_names,
    "choice": _choices,
    "input": _inputs,
    "block_state": lambda: STATES,
    "lineage_event": lambda: LINEAGE_EVENTS,
    "case_kind": lambda: CaseKind,
    "case_method": lambda: CaseMethod,
    "case_status": lambda: CaseStatus,
    "case_decision": lambda: CASE_DECISIONS,
    "lineage_state": lambda: LINEAGE_STATES,
    "finding": lambda: ELIGIBILITY_CHECKS,
    "action": lambda: sorted({t.action for t in (*PROJECT_TRANSITIONS, *PERIOD_TRANSITIONS)}
                             | set(EVENT_ACTIONS)),
    "task": lambda: TASKS,
    "document": lambda: DOCUMENT_KINDS,
    "doc_field": lambda: DOCUMENT_FIELDS,
    "movement": lambda: MOVEMENT_KINDS,
    "command": journal_command_names,
    "estimate_kind": lambda: ESTIMATE_KINDS,
    "estimate_input": lambda: sorted({s.name for specs in ESTIMATE_INPUTS.values()
                                      for s in specs} | {"crediting_years"}),
    "audit_fee": lambda: ("validation", "verification", "total"),
    "factor": lambda: FACTOR_HEADS,
    "fee_category": lambda: FEE_CATEGORIES,
    "key_status": lambda: KeyStatus,
    "channel": lambda: Channel,
    # a site's page (docs/dmrv.md §8)
    "severity": lambda: Severity,
    "quality": lambda: Quality,
    "batch_status": lambda: BATCH_STATUSES,
    "batch_source": lambda: BATCH_SOURCES,
    "evidence": lambda: EVIDENCE_KEYS,
    "evidence_value": lambda: EVIDENCE_VALUES,
    # the verifier's decisions (docs/dmrv.md §12)
    "hold_decision": lambda: DECISIONS,
    "threshold": lambda: sorted({t.name for t in threshold_rows()}),
    # offsets (docs/offsets.md)
    "offset_kind": lambda: CalculatorKind,
    "offset_category": lambda: OFFSET_CATEGORIES,
    "building_type": lambda: BuildingType,
    "floor_area_class": lambda: FloorAreaClass,
    "travel_mode": lambda: TravelMode,
    "product_mode": lambda: ProductMode,
}


def codes(kind: str) -> list[str]:
    return [str(getattr(code, "value", code)) for code in LABEL_KINDS[kind]()]
