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
    """Base class; ``NAME`` is the journal's command name."""

    NAME: ClassVar[str] = "command"


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
