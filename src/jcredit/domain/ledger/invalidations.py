"""Invalidation applications (無効化申請) and their states.

An application designates credits (by total quantity or by serial range) for one use.
Applying reserves the credits; the administrator executes it (singly or in the batch),
which moves them to the invalidation account and issues the 無効化通知書. After execution
nothing about it can change (jcredit-rules.md §3.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jcredit.domain.errors import InvalidStateError
from jcredit.domain.errors import ValidationError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.fiscal_year import reporting_years_open_on
from jcredit.domain.ledger.serials import SerialRange
from jcredit.domain.ledger.uses import REPORTING_LAW_USES
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose


class ApplicationStatus(StrEnum):
    PENDING = "PENDING"  # 申請中: credits reserved
    EXECUTED = "EXECUTED"  # 無効化済: irreversible
    WITHDRAWN = "WITHDRAWN"  # 取下げ: reservation released


@dataclass(frozen=True, slots=True)
class InvalidationApplication:
    """An invalidation application.

    Attributes:
        id: application number.
        account_id: holding account the credits come from.
        quantity: credits designated [unit].
        serials: designated range, for シリアル番号指定方式; None for 総量指定方式.
        use: 用途.
        offset_purpose: sub-purpose for OFFSET.
        purpose_details: 目的詳細, free text shown on the notice.
        credit_user_name: クレジット利用法人 (who may claim the use).
        credit_user_corporate_number: its 法人番号, if a Japanese corporation.
        reporting_fiscal_year: the fiscal year the use is reported for.
        status: state of the application.
        applied_at: when it was filed (UTC ISO).
        applied_by: actor key.
        executed_at: when it was executed.
        notice_number: number of the 無効化通知書, once executed.
        executed_seq: journal entry of the execution; the notice is rendered from it.
        published: the holder consents to the execution appearing in the public list of
            invalidations (use, purpose, quantity, credit user, date); off unless asked.
    """

    id: int
    account_id: int
    quantity: int
    serials: SerialRange | None
    use: InvalidationUse
    offset_purpose: OffsetPurpose | None
    purpose_details: str
    credit_user_name: str
    credit_user_corporate_number: str | None
    reporting_fiscal_year: int
    status: ApplicationStatus
    applied_at: str
    applied_by: str
    executed_at: str | None = None
    executed_by: str | None = None
    notice_number: str | None = None
    executed_seq: int | None = None
    published: bool = False

    def require_pending(self, action: str) -> None:
        if self.status is not ApplicationStatus.PENDING:
            raise InvalidStateError(
                f"application {self.id} is {self.status}; only a PENDING application can be "
                f"{action}",
                field="application",
                valid=[ApplicationStatus.PENDING.value],
            )


def assignable_years(use: InvalidationUse, on: date) -> tuple[int, ...]:
    """The reporting fiscal years an invalidation of ``use`` completed on ``on`` may count
    for: under a reporting law (温対法, 省エネ法) the end-of-June rule
    (:func:`~jcredit.domain.fiscal_year.reporting_years_open_on`); for the other uses
    (offsets, CDP, RE100, SBT …), whose reporting years the schemes set, the previous,
    current or next fiscal year.

    >>> assignable_years(InvalidationUse.ONTAIHO_EMISSIONS, date(2026, 12, 8))
    (2026,)
    >>> assignable_years(InvalidationUse.OFFSET, date(2026, 12, 8))
    (2025, 2026, 2027)
    """
    if use in REPORTING_LAW_USES:
        return tuple(sorted(reporting_years_open_on(on)))
    current = fiscal_year_of(on)
    return (current - 1, current, current + 1)


def check_reporting_year(use: InvalidationUse, fiscal_year: int, on: date) -> None:
    """The reporting fiscal year must be open for an invalidation completed on ``on``.

    Uses under a reporting law (温対法, 省エネ法) follow the end-of-June rule
    (:func:`reporting_years_open_on`); other uses may name the current or the previous
    fiscal year, or the next one (an event planned after the turn of the year).
    """
    valid = assignable_years(use, on)
    if use in REPORTING_LAW_USES:
        rule = "an invalidation counts for the fiscal year it is completed in, or the previous "
        rule += "one if completed by 30 June"
    else:
        rule = "the reporting fiscal year must be the previous, current or next fiscal year"
    if fiscal_year not in valid:
        raise ValidationError(
            f"reporting fiscal year {fiscal_year} is not open for {use} on {on.isoformat()}: "
            + rule,
            field="fiscal_year",
            valid=[str(y) for y in sorted(valid)],
        )


def parse_free_text(value: object, *, field: str, max_length: int, required: bool) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError(f"{field} is required", field=field)
    if len(text) > max_length:
        raise ValidationError(
            f"{field} is {len(text)} characters; at most {max_length}", field=field
        )
    return text
