"""Who is acting: the authenticated caller of a command, and the roles of the registry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"  # 事務局: registry administrator
    HOLDER = "HOLDER"  # member of an organisation holding accounts
    AUDITOR = "AUDITOR"  # read-only, sees the journal


ROLE_LABELS_JA = {
    Role.ADMIN: "事務局(登録簿管理者)",
    Role.HOLDER: "口座保有者",
    Role.AUDITOR: "監査人",
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
