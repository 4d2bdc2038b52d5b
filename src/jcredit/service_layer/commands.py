"""Commands: what a caller asks the registry to do (imperative names).

Fields hold the caller's raw values (strings and numbers as typed); the handlers parse and
validate them with the domain's parsers, so the CLI, the API and the web UI give the same
error for the same mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Command:
    """Base class; ``NAME`` is the journal's command name. ``SECRET_FIELDS`` never reach
    storage, not even hashed into the idempotency fingerprint (ASVS V2.4: a fast hash of a
    password is as good as the password to an offline guesser)."""

    NAME: ClassVar[str] = "command"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset()


@dataclass(frozen=True)
class InitialiseRegistry(Command):
    NAME: ClassVar[str] = "registry.initialise"


@dataclass(frozen=True)
class CreateOrganisation(Command):
    name: str
    corporate_number: str
    NAME: ClassVar[str] = "organisation.create"


@dataclass(frozen=True)
class OpenAccount(Command):
    organisation: str  # 法人番号 of the owner
    account_name: str = ""
    kind: str = "HOLDING"
    NAME: ClassVar[str] = "account.open"


@dataclass(frozen=True)
class CreateUser(Command):
    username: str
    password: str
    role: str
    display_name: str = ""
    organisation: str | None = None  # 法人番号, for HOLDER users
    NAME: ClassVar[str] = "user.create"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"password"})


@dataclass(frozen=True)
class ChangePassword(Command):
    """A user changes their own password (``current_password`` required) or an
    administrator resets one. Every other session and token of the user ends; ``keep`` is
    the hash of the caller's own token or session, which stays."""

    username: str
    new_password: str
    current_password: str | None = None
    keep: str | None = None
    NAME: ClassVar[str] = "user.password_change"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"new_password", "current_password"})


@dataclass(frozen=True)
class RevokeSessions(Command):
    """An administrator ends every web session and API token of a user."""

    username: str
    NAME: ClassVar[str] = "user.revoke_sessions"


@dataclass(frozen=True)
class IssueCredits(Command):
    to_account: str
    quantity: object
    scheme: str
    credit_type: str
    category: str
    project_id: str
    vintage: object
    methodology_id: str = "UNSPECIFIED"
    methodology_version: str = "1.0"
    certification_number: str = ""
    NAME: ClassVar[str] = "credits.issue"


@dataclass(frozen=True)
class TransferCredits(Command):
    from_account: str
    to_account: str
    quantity: object = None
    serials: str | None = None
    NAME: ClassVar[str] = "credits.transfer"


@dataclass(frozen=True)
class CorrectHolding(Command):
    """A registry correction by the secretariat (登録簿の訂正): credits move out of a
    holder's account for a court order, an error of the registry or a succession, never as
    an ordinary transfer. ``reason_code`` is a :class:`CorrectionReason`, ``reason`` the
    explanation (required); ``confirm_account`` is the source account number typed again
    (the second confirmation)."""

    from_account: str
    to_account: str
    reason_code: str
    reason: str
    quantity: object = None
    serials: str | None = None
    confirm_account: str = ""
    NAME: ClassVar[str] = "credits.correct"


@dataclass(frozen=True)
class ApplyInvalidation(Command):
    from_account: str
    use: str
    purpose_details: str
    credit_user_name: str
    fiscal_year: object
    quantity: object = None
    serials: str | None = None
    offset_purpose: str | None = None
    credit_user_corporate_number: str | None = None
    publish: bool = False  # consent to the public list of invalidations
    NAME: ClassVar[str] = "invalidation.apply"


@dataclass(frozen=True)
class ExecuteInvalidations(Command):
    """Execute the listed applications, or every pending one (the batch) if none listed."""

    application_ids: tuple[int, ...] = ()
    confirm: bool = False
    NAME: ClassVar[str] = "invalidation.execute"


@dataclass(frozen=True)
class WithdrawInvalidation(Command):
    application_id: int
    NAME: ClassVar[str] = "invalidation.withdraw"


@dataclass(frozen=True)
class RetireCredits(Command):
    """償却 of legacy 国内クレジット (KC, KCP)."""

    from_account: str
    reason: str
    quantity: object = None
    serials: str | None = None
    confirm: bool = False
    NAME: ClassVar[str] = "credits.retire"


@dataclass(frozen=True)
class CancelCredits(Command):
    """取消: the administrator takes credits out of circulation (e.g. a double count)."""

    from_account: str
    reason: str
    quantity: object = None
    serials: str | None = None
    confirm: bool = False
    NAME: ClassVar[str] = "credits.cancel"


# --- projects (STEP1-STEP3) ------------------------------------------------------------


@dataclass(frozen=True)
class AccreditVerifier(Command):
    """The secretariat accredits a 審査機関 for methodology scopes (e.g. EN-R, FO-001)."""

    organisation: str
    scopes: tuple[str, ...] = ()
    NAME: ClassVar[str] = "verifier.accredit"


@dataclass(frozen=True)
class CreateProject(Command):
    """Draft a project plan (プロジェクト計画書)."""

    name: str
    project_type: str
    methodology: str
    holder_account: str
    prefecture: str
    address: str
    start_date: str
    monitoring_start: str
    methodology_version: str | None = None
    implementer: str | None = None  # 法人番号; defaults to the caller's organisation
    crediting_years: object = None
    keidanren: bool = False
    additionality: dict[str, object] | None = None
    plan: dict[str, object] | None = None
    NAME: ClassVar[str] = "project.create"


@dataclass(frozen=True)
class AddActivity(Command):
    """Add a reduction activity (削減活動): the site of a normal project, or a programme member."""

    project: str
    code: str
    address: str
    operation_start: str
    expected_tco2_per_year: object
    household: bool = False
    inputs: dict[str, object] | None = None
    NAME: ClassVar[str] = "project.add_activity"


@dataclass(frozen=True)
class AddActivities(Command):
    """Add many activities at once (a CSV file): all of them or none.

    Each item has the fields of :class:`AddActivity` (``code``, ``address``,
    ``operation_start``, ``expected_tco2_per_year``, ``household``, ``inputs``); ``lines``
    gives, for each item, the line of the file it came from, so that every problem is
    reported where the user can find it.
    """

    project: str
    activities: tuple[dict[str, object], ...]
    lines: tuple[int, ...] = ()
    NAME: ClassVar[str] = "project.add_activities"


@dataclass(frozen=True)
class RemoveActivity(Command):
    """Take an activity out of a plan that is not registered yet (e.g. a mistyped row)."""

    project: str
    code: str
    reason: str = ""
    NAME: ClassVar[str] = "project.remove_activity"


@dataclass(frozen=True)
class AssignVerifier(Command):
    """Choose the validation/verification body (審査機関) of a project."""

    project: str
    verifier: str  # the body's 法人番号
    NAME: ClassVar[str] = "project.assign_verifier"


@dataclass(frozen=True)
class ProjectTransition(Command):
    """Move a project along its lifecycle (submit, validate, apply, register, return …)."""

    project: str
    action: str
    comment: str = ""
    report: dict[str, object] | None = None  # e.g. the validation report's findings
    NAME: ClassVar[str] = "project.transition"


@dataclass(frozen=True)
class OpenMonitoringPeriod(Command):
    project: str
    period_start: str
    period_end: str
    NAME: ClassVar[str] = "monitoring.open"


@dataclass(frozen=True)
class SubmitMonitoringData(Command):
    """The monitored values of each activity for a period (モニタリング報告書の数値)."""

    project: str
    period: int
    activities: dict[str, dict[str, object]]
    # the values came from the readings (docs/dmrv.md §9): how they were settled, kept in
    # the monitoring report and named by its SHA-256 in the journal
    settlement: dict[str, object] | None = None
    NAME: ClassVar[str] = "monitoring.submit_data"


@dataclass(frozen=True)
class PeriodTransition(Command):
    """Move a monitoring period along: verification, certification, issuance."""

    project: str
    period: int
    action: str
    comment: str = ""
    report: dict[str, object] | None = None
    # submit_for_verification with activities that have no data: the owner says so (and
    # why, in the comment); the list goes into the journal for the verifier
    acknowledge_missing: bool = False
    NAME: ClassVar[str] = "monitoring.transition"


@dataclass(frozen=True)
class AttachEvidence(Command):
    """Record an evidence file (already stored by its SHA-256) against a project."""

    project: str
    filename: str
    media_type: str
    sha256: str
    size: int
    NAME: ClassVar[str] = "project.attach_evidence"


@dataclass(frozen=True)
class ImportExternalRegistrations(Command):
    """Sites registered in a similar scheme (類似制度), for the double-registration check.

    ``entries`` are ``{"address": …, "reference": …}``; registered activities found among
    them are flagged for the secretariat.
    """

    scheme: str
    entries: tuple[dict[str, str], ...] = ()
    NAME: ClassVar[str] = "registry.import_external_registrations"


@dataclass(frozen=True)
class ImportRegisteredProjects(Command):
    """Projects registered before jcredit, rows of the official public list (CSV columns or
    JSON keys: domain/projects/registered.py). Good rows land, bad rows are reported by line;
    importing the same list again changes nothing."""

    rows: tuple[dict[str, object], ...]
    first_line: int = 1
    NAME: ClassVar[str] = "projects.import_registered"


# --- dMRV: the verifier's decisions (docs/dmrv.md §12) ---------------------------------------


@dataclass(frozen=True)
class DecideHold(Command):
    """The verifier accepts a HOLD finding of a settled period (its intervals earn) or
    rejects it (they are taken out when the period is settled again), with a comment."""

    project: str
    period: int
    key: str  # the finding's key in the settlement: site|rule|first interval start
    decision: str  # ACCEPT or REJECT
    comment: str = ""
    NAME: ClassVar[str] = "dmrv.decide_hold"


# --- dMRV: the device registry (docs/dmrv.md §1) -------------------------------------------


@dataclass(frozen=True)
class RegisterDevice(Command):
    """Register a device (meter, PCS or gateway) for a reduction activity, the site, with
    its first Ed25519 public key. Values as typed; the handler checks every field."""

    project: str
    activity: str
    device_id: str
    capacity_ac_kw: object
    capacity_dc_kw: object
    commissioned_on: str
    latitude: object
    longitude: object
    serial: str
    public_key: str
    channels: object = "generation"  # a list, or text separated by ';'
    tilt: object = None
    azimuth: object = None
    certification_expires: str | None = None
    NAME: ClassVar[str] = "dmrv.register_device"


@dataclass(frozen=True)
class RegisterDevices(Command):
    """Register many devices at once (the bulk CSV): all of them or none. Each item has the
    fields of :class:`RegisterDevice`; ``lines`` gives each item's line in the file."""

    devices: tuple[dict[str, object], ...]
    lines: tuple[int, ...] = ()
    NAME: ClassVar[str] = "dmrv.register_devices"


@dataclass(frozen=True)
class RotateDeviceKey(Command):
    """Give a device a new active key; its active key is retired (accepted 7 more days)."""

    device_id: str
    public_key: str
    NAME: ClassVar[str] = "dmrv.rotate_device_key"


@dataclass(frozen=True)
class RevokeDeviceKey(Command):
    """Revoke a device's key: nothing received after now is accepted with it. Irreversible,
    so ``confirm`` must be true."""

    device_id: str
    key_id: str
    confirm: bool = False
    reason: str = ""
    NAME: ClassVar[str] = "dmrv.revoke_device_key"


# --- using credits: offsets (docs/offsets.md) -----------------------------------------


@dataclass(frozen=True)
class PublishOffsetFactors(Command):
    """The secretariat publishes the next version of the calculators' factor table:
    ``changes`` lists {key, value, confidence, source}; ``note`` says why;
    ``confirm_large`` acknowledges a change to more than tenfold or under a tenth."""

    changes: tuple[dict[str, object], ...]
    note: str
    confirm_large: bool = False
    NAME: ClassVar[str] = "offsets.factors.publish"


@dataclass(frozen=True)
class SaveOffsetCalculation(Command):
    """Save a calculator's result (shareable by its link); ``factor_version`` None: the
    latest table."""

    kind: str
    inputs: dict[str, object]
    title: str = ""
    factor_version: object = None
    NAME: ClassVar[str] = "offsets.calculation.save"


@dataclass(frozen=True)
class ApplyOffset(Command):
    """Offset in one step: an OFFSET invalidation application for the credits chosen (by
    total or by serials) from the holder's account, with what it offsets. ``calculation``
    is a saved calculation's token; ``confirm_excess`` acknowledges an offset larger than
    the calculation."""

    from_account: str
    subject: str
    credit_user_name: str
    fiscal_year: object
    calculation: str | None = None
    offset_purpose: str | None = None
    quantity: object = None
    serials: str | None = None
    scope: str = ""
    method: str = ""
    period: str = ""
    credit_user_corporate_number: str | None = None
    confirm_excess: bool = False
    publish: bool = False  # consent to the public list of invalidations
    NAME: ClassVar[str] = "offsets.apply"


@dataclass(frozen=True)
class IssueOffsetCertificate(Command):
    """An offset certificate for an executed OFFSET invalidation: to the offsetting party
    (``third_party`` False) or to a third party (a participant, a donor, a buyer), for
    ``quantity`` t-CO2 (default: all that is not yet certified)."""

    application_id: int
    holder_name: str = ""
    quantity: object = None
    third_party: bool = False
    NAME: ClassVar[str] = "offsets.certificate.issue"


@dataclass(frozen=True)
class SubmitCase(Command):
    """An organisation submits its case of creating or using credits (活用事例) for the
    public case search; ``case_id`` resubmits one the secretariat returned (or edits one
    still waiting). ``case`` holds the fields of ``domain.cases.model.parse_case``."""

    case: dict[str, object]
    case_id: int | None = None
    NAME: ClassVar[str] = "cases.submit"


@dataclass(frozen=True)
class ReviewCase(Command):
    """The secretariat publishes a submitted case, returns it with a note, or takes a
    published one down (``UNPUBLISH``, with a note)."""

    case_id: int
    decision: str
    note: str = ""
    NAME: ClassVar[str] = "cases.review"
