"""Request bodies of the API. Values are passed on as given: the domain validates them, so
the API, the CLI and the web UI give the same error for the same mistake."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import StrictFloat
from pydantic import StrictInt

from jcredit.domain.text import MAX_DB_INT

Quantity = StrictInt | StrictFloat | str | None


class Body(BaseModel):
    """A request body: a field it does not know is refused (422 naming it), not ignored, so
    that a misspelt ``serial`` is not silently a transfer by quantity, and a deeply nested
    unknown field is never walked by the registry."""

    model_config = ConfigDict(extra="forbid")


class TokenRequest(Body):
    username: str
    password: str


class PasswordChange(Body):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)  # the policy allows 256; this bounds the work


class OrganisationCreate(Body):
    name: str = Field(description="Full legal name, e.g. 株式会社サンプル")
    corporate_number: str = Field(description="法人番号, 13 digits")


class AccountCreate(Body):
    organisation: str = Field(description="法人番号 of the owner")
    name: str = Field("", description="Department (部署)")
    kind: str = "HOLDING"


class CreditsIssue(Body):
    to_account: str
    quantity: Quantity
    scheme: str
    credit_type: str
    category: str
    project_id: str
    vintage: StrictInt | str
    methodology_id: str = "UNSPECIFIED"
    methodology_version: str = "1.0"
    certification_number: str = ""


class TransferCreate(Body):
    from_account: str
    to_account: str
    quantity: Quantity = Field(None, description="総量指定方式 (oldest vintage first)")
    serials: str | None = Field(None, description="シリアル番号指定方式, FIRST-LAST")


class CorrectionCreate(TransferCreate):
    """A registry correction (登録簿の訂正) by the secretariat."""

    reason_code: str = Field(description="COURT_ORDER, ERROR_CORRECTION or SUCCESSION")
    reason: str = Field(description="why, in words (required; journaled)")
    confirm_account: str = Field("", description="from_account typed again: the second "
                                 "confirmation")


class InvalidationCreate(Body):
    from_account: str
    quantity: Quantity = None
    serials: str | None = None
    use: str
    offset_purpose: str | None = None
    purpose_details: str
    credit_user_name: str
    credit_user_corporate_number: str | None = None
    fiscal_year: StrictInt | str
    publish: bool = Field(False, description="Consent to the public list of invalidations "
                          "(use, purpose, quantity, credit user, date)")


class InvalidationExecute(Body):
    application_ids: list[Annotated[int, Field(ge=1, le=MAX_DB_INT)]] = Field(
        default_factory=list, description="Empty: the batch of all pending")
    confirm: bool = Field(False, description="Must be true: invalidation is irreversible")


class RemovalCreate(Body):
    from_account: str
    quantity: Quantity = None
    serials: str | None = None
    reason: str
    confirm: bool = False


class UserCreate(Body):
    username: str
    password: str
    role: str
    display_name: str = ""
    organisation: str | None = None
