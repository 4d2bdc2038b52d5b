"""Account kinds of the registry (jcredit-rules.md §3.1) and who may hold what.

Holding accounts (保有口座) belong to organisations; an organisation may open several, one
per department with approval authority (since October 2023). The other kinds are the
registry's own: credits that enter them leave circulation for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AccountKind(StrEnum):
    HOLDING = "HOLDING"  # 保有口座
    INVALIDATION = "INVALIDATION"  # 無効化口座
    RETIREMENT = "RETIREMENT"  # 償却口座 (legacy 国内クレジット)
    CANCELLATION = "CANCELLATION"  # 取消口座
    SECRETARIAT = "SECRETARIAT"  # 事務局 consignment account (tenders)
    BUFFER = "BUFFER"  # buffer pool (e.g. forest permanence)

    @property
    def prefix(self) -> str:
        return _PREFIXES[self]

    @property
    def label_ja(self) -> str:
        return _LABELS_JA[self]


_PREFIXES = {
    AccountKind.HOLDING: "H",
    AccountKind.INVALIDATION: "V",
    AccountKind.RETIREMENT: "R",
    AccountKind.CANCELLATION: "C",
    AccountKind.SECRETARIAT: "S",
    AccountKind.BUFFER: "B",
}

_LABELS_JA = {
    AccountKind.HOLDING: "保有口座",
    AccountKind.INVALIDATION: "無効化口座",
    AccountKind.RETIREMENT: "償却口座",
    AccountKind.CANCELLATION: "取消口座",
    AccountKind.SECRETARIAT: "事務局口座",
    AccountKind.BUFFER: "バッファー口座",
}

REGISTRY_ACCOUNT_KINDS = (
    AccountKind.INVALIDATION,
    AccountKind.RETIREMENT,
    AccountKind.CANCELLATION,
    AccountKind.SECRETARIAT,
    AccountKind.BUFFER,
)
"""Kinds the registry opens once for itself at initialisation."""

TERMINAL_KINDS = frozenset(
    {AccountKind.INVALIDATION, AccountKind.RETIREMENT, AccountKind.CANCELLATION}
)
"""Credits in these accounts are out of circulation: they never move again."""

CIRCULATING_KINDS = frozenset(
    {AccountKind.HOLDING, AccountKind.SECRETARIAT, AccountKind.BUFFER}
)


@dataclass(frozen=True, slots=True)
class Account:
    """A registry account.

    Attributes:
        id: internal key.
        number: public account number (``H-0000001-8``).
        kind: account kind.
        organisation_id: owning organisation, or None for the registry's own accounts.
        name: display name, e.g. the department (部署) for a holding account.
    """

    id: int
    number: str
    kind: AccountKind
    organisation_id: int | None
    name: str
