"""Who is acting: the authenticated caller of a command, and the roles of the registry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"  # 事務局: registry administrator
    HOLDER = "HOLDER"  # member of an organisation holding accounts
    AUDITOR = "AUDITOR"  # read-only, sees the journal
    IMPLEMENTER = "IMPLEMENTER"  # プロジェクト実施者 (also holds accounts)
    OPERATOR = "OPERATOR"  # プログラム型 運営・管理者 (also holds accounts)
    VERIFIER = "VERIFIER"  # 審査機関: validation and verification body
    COMMITTEE = "COMMITTEE"  # 認証委員会 member


ORGANISATION_ROLES = frozenset({Role.HOLDER, Role.IMPLEMENTER, Role.OPERATOR, Role.VERIFIER})
"""Roles whose users act for one organisation."""

ACCOUNT_HOLDER_ROLES = frozenset({Role.HOLDER, Role.IMPLEMENTER, Role.OPERATOR})
"""Roles that act on their own organisation's holding accounts."""

ROLE_LABELS_JA = {
    Role.ADMIN: "事務局(登録簿管理者)",
    Role.HOLDER: "口座保有者",
    Role.AUDITOR: "監査人",
    Role.IMPLEMENTER: "プロジェクト実施者",
    Role.OPERATOR: "運営・管理者(プログラム型)",
    Role.VERIFIER: "審査機関",
    Role.COMMITTEE: "認証委員会",
}


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller of a command.

    Attributes:
        name: login name, or the operating-system user for the CLI.
        role: the caller's role.
        user_id: the user record, or None for the local CLI operator.
        organisation_id: the organisation a HOLDER acts for.
        via: ``user`` for logins and tokens, ``cli`` for the local operator.
    """

    name: str
    role: Role
    user_id: int | None = None
    organisation_id: int | None = None
    via: str = "user"

    @property
    def key(self) -> str:
        """Stable identity for idempotency keys and the journal."""
        return f"{self.via}:{self.name}"
