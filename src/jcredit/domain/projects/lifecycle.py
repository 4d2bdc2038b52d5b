"""The project lifecycle as explicit transition tables (seed 000: STEP1-STEP3).

Two machines: the project (plan → validation → registration) and, once registered, one
per monitoring period (monitoring → verification → certification → issuance), repeated
until the crediting period ends. Each row names the action, the states it leaves and
enters, and the parties that may take it. Anything not in a table is refused with the
list of what is allowed (jcredit-rules.md §1.3).

差し戻し (returned for correction) keeps the state it was returned from; resubmitting
goes back there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jcredit.domain.errors import InvalidStateError
from jcredit.domain.errors import PermissionDeniedError


class Party(StrEnum):
    """Who acts in the lifecycle (mapped from user roles by the service layer)."""

    IMPLEMENTER = "IMPLEMENTER"  # プロジェクト実施者
    OPERATOR = "OPERATOR"  # プログラム型 運営・管理者
    VERIFIER = "VERIFIER"  # 審査機関 (validation and verification body)
    COMMITTEE = "COMMITTEE"  # 認証委員会
    SECRETARIAT = "SECRETARIAT"  # 事務局 (registry administrator)


class ProjectState(StrEnum):
    PLAN_DRAFT = "PLAN_DRAFT"  # プロジェクト計画書 作成中
    VALIDATION = "VALIDATION"  # 妥当性確認
    VALIDATED = "VALIDATED"  # 妥当性確認報告書 issued
    REGISTRATION_APPLIED = "REGISTRATION_APPLIED"  # 登録申請, before the committee
    REGISTERED = "REGISTERED"  # 登録
    RETURNED = "RETURNED"  # 差し戻し
    WITHDRAWN = "WITHDRAWN"  # 取下げ
    TERMINATED = "TERMINATED"  # 終了 / 登録取消


class PeriodState(StrEnum):
    MONITORING = "MONITORING"  # モニタリング報告書 作成中
    VERIFICATION = "VERIFICATION"  # 検証
    VERIFIED = "VERIFIED"  # 検証報告書 issued
    CERTIFICATION_APPLIED = "CERTIFICATION_APPLIED"  # 認証申請
    CERTIFIED = "CERTIFIED"  # 認証 (committee decision)
    ISSUED = "ISSUED"  # クレジット発行
    RETURNED = "RETURNED"  # 差し戻し
    WITHDRAWN = "WITHDRAWN"


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    source: str
    target: str | None  # None: back to the state it was returned from
    parties: tuple[Party, ...]
    label_ja: str


P = ProjectState
M = PeriodState
_OWNER = (Party.IMPLEMENTER, Party.OPERATOR)

PROJECT_TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit_for_validation", P.PLAN_DRAFT, P.VALIDATION, _OWNER, "妥当性確認の依頼"),
    Transition("complete_validation", P.VALIDATION, P.VALIDATED, (Party.VERIFIER,),
               "妥当性確認報告書の提出"),
    Transition("return", P.VALIDATION, P.RETURNED, (Party.VERIFIER,), "差し戻し"),
    Transition("apply_for_registration", P.VALIDATED, P.REGISTRATION_APPLIED, _OWNER,
               "登録申請"),
    Transition("register", P.REGISTRATION_APPLIED, P.REGISTERED,
               (Party.COMMITTEE, Party.SECRETARIAT), "登録 (認証委員会の審議)"),
    Transition("return", P.REGISTRATION_APPLIED, P.RETURNED,
               (Party.COMMITTEE, Party.SECRETARIAT), "差し戻し"),
    Transition("resubmit", P.RETURNED, None, _OWNER, "再提出"),
    *(Transition("withdraw", s, P.WITHDRAWN, _OWNER, "取下げ")
      for s in (P.PLAN_DRAFT, P.VALIDATION, P.VALIDATED, P.REGISTRATION_APPLIED,
                P.RETURNED)),
    Transition("terminate", P.REGISTERED, P.TERMINATED, (Party.SECRETARIAT,), "終了"),
)

PERIOD_TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit_for_verification", M.MONITORING, M.VERIFICATION, _OWNER, "検証の依頼"),
    Transition("complete_verification", M.VERIFICATION, M.VERIFIED, (Party.VERIFIER,),
               "検証報告書の提出"),
    Transition("return", M.VERIFICATION, M.RETURNED, (Party.VERIFIER,), "差し戻し"),
    Transition("apply_for_certification", M.VERIFIED, M.CERTIFICATION_APPLIED, _OWNER,
               "認証申請"),
    Transition("certify", M.CERTIFICATION_APPLIED, M.CERTIFIED, (Party.COMMITTEE,),
               "認証 (認証委員会の決定)"),
    Transition("return", M.CERTIFICATION_APPLIED, M.RETURNED,
               (Party.COMMITTEE, Party.SECRETARIAT), "差し戻し"),
    Transition("issue", M.CERTIFIED, M.ISSUED, (Party.SECRETARIAT,), "クレジット発行"),
    Transition("resubmit", M.RETURNED, None, _OWNER, "再提出"),
    *(Transition("withdraw", s, M.WITHDRAWN, _OWNER, "取下げ")
      for s in (M.MONITORING, M.VERIFICATION, M.VERIFIED, M.RETURNED)),
)


def allowed_actions(table: tuple[Transition, ...], state: str) -> list[str]:
    return sorted({t.action for t in table if t.source == state})


def transition(table: tuple[Transition, ...], state: str, action: str, party: Party, *,
               returned_from: str | None = None, subject: str = "project") -> str:
    """The state after ``party`` takes ``action`` in ``state``; refuses anything else."""
    rows = [t for t in table if t.source == state and t.action == action]
    if not rows:
        allowed = allowed_actions(table, state)
        raise InvalidStateError(
            f"{subject} is {state}: {action!r} is not possible now; allowed: "
            + (", ".join(allowed) if allowed else "nothing (final state)"),
            field="action", valid=allowed,
        )
    row = rows[0]
    if party not in row.parties:
        raise PermissionDeniedError(
            f"{action!r} on a {state} {subject} is for "
            f"{' or '.join(p.value for p in row.parties)}, not {party.value}",
            field="action",
        )
    if row.target is None:
        if returned_from is None:
            raise InvalidStateError(f"{subject} has no state to return to", field="action")
        return returned_from
    return row.target
