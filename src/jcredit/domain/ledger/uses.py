"""Invalidation uses (用途) and which credits can serve them.

The validity matrix is data, one row per use, each with its source and a verified flag
(jcredit-rules.md §3.3, from https://japancredit.go.jp/case/outline/). Where the sources
conflict the row says so and the flag is False: the rule is applied, but marked for review.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jcredit.domain.errors import IneligibleUseError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.credits import CreditType
from jcredit.domain.ledger.credits import SchemeCode


class InvalidationUse(StrEnum):
    ONTAIHO_EMISSIONS = "ONTAIHO_EMISSIONS"  # 温対法 調整後温室効果ガス排出量
    ONTAIHO_EF = "ONTAIHO_EF"  # 温対法 調整後排出係数 (electricity retailers)
    SHOENE_HO = "SHOENE_HO"  # 省エネ法 共同省エネルギー事業
    OFFSET = "OFFSET"  # カーボン・オフセット
    CDP = "CDP"
    SBT = "SBT"
    RE100 = "RE100"
    SHIFT_ASSET = "SHIFT_ASSET"  # SHIFT / ASSET 事業
    KEIDANREN_CN = "KEIDANREN_CN"  # 経団連カーボンニュートラル行動計画


class OffsetPurpose(StrEnum):
    """The offset types (jcredit-rules.md §5.1; MOE 指針 4th ed. and the offset-declaration
    site's typology). ``SELF`` (自己活動) is the older name of ``ORGANIZATION`` (組織活動):
    kept so that applications filed with it still read, and counted with it in statistics."""

    SELF = "SELF"  # 自己活動 (older name)
    ORGANIZATION = "ORGANIZATION"  # 組織活動(自己活動)
    PRODUCT_SERVICE = "PRODUCT_SERVICE"  # 製品・サービス
    EVENT = "EVENT"  # 会議・イベント
    CREDIT_ATTACHED = "CREDIT_ATTACHED"  # クレジット付製品・サービス
    DONATION = "DONATION"  # 寄付
    OTHER = "OTHER"  # その他


USE_LABELS_JA = {
    InvalidationUse.ONTAIHO_EMISSIONS: "温対法(調整後温室効果ガス排出量)",
    InvalidationUse.ONTAIHO_EF: "温対法(調整後排出係数)",
    InvalidationUse.SHOENE_HO: "省エネ法(共同省エネルギー事業)",
    InvalidationUse.OFFSET: "カーボン・オフセット",
    InvalidationUse.CDP: "CDP",
    InvalidationUse.SBT: "SBT",
    InvalidationUse.RE100: "RE100",
    InvalidationUse.SHIFT_ASSET: "SHIFT/ASSET事業",
    InvalidationUse.KEIDANREN_CN: "経団連カーボンニュートラル行動計画",
}

OFFSET_PURPOSE_LABELS_JA = {
    OffsetPurpose.SELF: "自己活動",
    OffsetPurpose.ORGANIZATION: "組織活動(自己活動)",
    OffsetPurpose.PRODUCT_SERVICE: "製品・サービス",
    OffsetPurpose.EVENT: "会議・イベント",
    OffsetPurpose.CREDIT_ATTACHED: "クレジット付製品・サービス",
    OffsetPurpose.DONATION: "寄付",
    OffsetPurpose.OTHER: "その他",
}

REPORTING_LAW_USES = frozenset(
    {InvalidationUse.ONTAIHO_EMISSIONS, InvalidationUse.ONTAIHO_EF, InvalidationUse.SHOENE_HO}
)
"""Uses under a reporting law, for which the end-of-June fiscal-year rule decides (§3.2)."""

ALL = frozenset(Category)
_CASE_OUTLINE = "https://japancredit.go.jp/case/outline/ (jcredit-rules.md §3.3)"
_NUMBER_PAGE = "http://krutar.com/about/number/ (jcredit-rules.md §3.4)"


@dataclass(frozen=True, slots=True)
class UseRule:
    """One row of the validity matrix.

    Attributes:
        use: the invalidation use.
        categories: credit categories that may serve it.
        keidanren_marked_only: only credits marked usable for the Keidanren plan
            (scheme JCL, credit type FM, or J-VER JRM/KRM) may serve it.
        note: caveats shown to the applicant.
        source: where the rule comes from.
        verified: False where the sources conflict or were not read in full.
    """

    use: InvalidationUse
    categories: frozenset[Category]
    keidanren_marked_only: bool
    note: str
    source: str
    verified: bool


USE_RULES: dict[InvalidationUse, UseRule] = {
    rule.use: rule
    for rule in (
        UseRule(InvalidationUse.ONTAIHO_EMISSIONS, ALL, False, "", _CASE_OUTLINE, True),
        UseRule(InvalidationUse.ONTAIHO_EF, ALL, False, "", _CASE_OUTLINE, True),
        UseRule(
            InvalidationUse.SHOENE_HO,
            frozenset({Category.ENERGY_SAVING}),
            False,
            "共同省エネルギー事業 only",
            _CASE_OUTLINE,
            True,
        ),
        UseRule(InvalidationUse.OFFSET, ALL, False, "", _CASE_OUTLINE, True),
        UseRule(
            InvalidationUse.CDP,
            ALL,
            False,
            "energy-saving, forest and other credits count only under C11.2",
            _CASE_OUTLINE,
            True,
        ),
        UseRule(
            InvalidationUse.SBT,
            frozenset({Category.RENEWABLE_POWER, Category.RENEWABLE_HEAT}),
            False,
            "",
            _CASE_OUTLINE,
            True,
        ),
        UseRule(
            InvalidationUse.RE100,
            frozenset({Category.RENEWABLE_POWER}),
            False,
            "Scope 2 electricity only (RE100 criteria since August 2021)",
            _CASE_OUTLINE + "; http://krutar.com/case/cdp_sbt_re100/",
            True,
        ),
        UseRule(InvalidationUse.SHIFT_ASSET, ALL, False, "", _CASE_OUTLINE, True),
        UseRule(
            InvalidationUse.KEIDANREN_CN,
            ALL,
            True,
            "forest (FM) credits: case/outline marks them ✗, the number page allows FM; "
            "the number page is applied until the secretariat confirms",
            _CASE_OUTLINE + "; " + _NUMBER_PAGE,
            False,
        ),
    )
}


def is_keidanren_marked(attributes: CreditAttributes) -> bool:
    """Whether credits may count toward the Keidanren plan, by scheme code and type (§3.4)."""
    if attributes.scheme is SchemeCode.JCL:
        return True
    if attributes.credit_type is CreditType.FM:
        return attributes.scheme in (SchemeCode.JC, SchemeCode.JCL, SchemeCode.JP)
    return attributes.scheme is SchemeCode.JP and attributes.credit_type in (
        CreditType.JRM,
        CreditType.KRM,
    )


def ineligibility_reason(use: InvalidationUse, attributes: CreditAttributes) -> str | None:
    """Why credits with ``attributes`` cannot serve ``use``, or None if they can."""
    if attributes.scheme in (SchemeCode.KC, SchemeCode.KCP):
        return (
            f"{attributes.scheme} credits are 国内クレジット: they are retired (償却), "
            "not invalidated"
        )
    rule = USE_RULES[use]
    if attributes.category not in rule.categories:
        allowed = ", ".join(sorted(c.value for c in rule.categories))
        return f"{use} accepts only {allowed} credits, not {attributes.category}"
    if rule.keidanren_marked_only and not is_keidanren_marked(attributes):
        return (
            f"{use} accepts only credits marked for the Keidanren plan (scheme JCL, "
            f"type FM, or J-VER JRM/KRM), not {attributes.scheme}-{attributes.credit_type}"
        )
    return None


def check_use(use: InvalidationUse, attributes: CreditAttributes, *, subject: str) -> None:
    """Raise :class:`IneligibleUseError` if the credits cannot serve the use."""
    reason = ineligibility_reason(use, attributes)
    if reason is not None:
        raise IneligibleUseError(f"{subject}: {reason}", field="use")


def check_offset_purpose(use: InvalidationUse, purpose: OffsetPurpose | None) -> None:
    """An offset needs its sub-purpose; other uses must not carry one."""
    if use is InvalidationUse.OFFSET and purpose is None:
        raise ValidationError(
            "an OFFSET invalidation needs offset_purpose",
            field="offset_purpose",
            valid=[p.value for p in OffsetPurpose],
        )
    if use is not InvalidationUse.OFFSET and purpose is not None:
        raise ValidationError(
            f"offset_purpose is only for the OFFSET use, not {use}", field="offset_purpose"
        )
