"""Finding the records a command names, with errors that say what was not found."""

from __future__ import annotations

from collections.abc import Iterable

from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.identifiers import parse_account_number
from jcredit.domain.identifiers import parse_corporate_number
from jcredit.domain.ledger.accounts import Account
from jcredit.domain.ledger.blocks import Block
from jcredit.domain.ledger.blocks import Selection
from jcredit.domain.ledger.blocks import select_by_serials
from jcredit.domain.ledger.blocks import take_in_allocation_order
from jcredit.domain.ledger.serials import SerialPrefix
from jcredit.domain.ledger.serials import SerialRange
from jcredit.domain.ledger.serials import parse_serial_designation
from jcredit.domain.numbers import whole_units
from jcredit.domain.organisations import Organisation
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork


def account_by_number(uow: AbstractUnitOfWork, number: str, *, field: str) -> Account:
    normalised = parse_account_number(number, field=field)
    account = uow.accounts.by_number(normalised)
    if account is None:
        raise NotFoundError(f"{field}: no account {normalised} in the registry", field=field)
    return account


def organisation_by_corporate_number(
    uow: AbstractUnitOfWork, corporate_number: str, *, field: str = "organisation"
) -> Organisation:
    normalised = parse_corporate_number(corporate_number, field=field)
    org = uow.organisations.by_corporate_number(normalised)
    if org is None:
        raise NotFoundError(
            f"{field}: no organisation with 法人番号 {normalised} is registered", field=field
        )
    return org


def parse_designation(quantity: object, serials: str | None
                      ) -> tuple[int, SerialRange | None, SerialPrefix | None]:
    """Exactly one of quantity (総量指定方式) or serials (シリアル番号指定方式); serials
    written as a full serial number come with the scheme, type and 認証番号 they name."""
    has_quantity = quantity is not None and quantity != ""
    has_serials = serials is not None and serials.strip() != ""
    if has_quantity == has_serials:
        raise ValidationError(
            "give either quantity (総量指定方式) or serials (シリアル番号指定方式), not "
            + ("both" if has_quantity else "neither"),
            field="quantity",
        )
    if has_serials:
        assert serials is not None
        wanted, prefix = parse_serial_designation(serials)
        return wanted.quantity, wanted, prefix
    return whole_units(quantity, field="quantity"), None, None


def designate(
    candidates: Iterable[Block], quantity: int, serials: SerialRange | None, *, what: str,
    prefix: SerialPrefix | None = None,
) -> list[Selection]:
    """The blocks a move takes: ``candidates`` come from ``BlockRepository.available``,
    which yields them in allocation order (oldest vintage, then lowest serial), and only as
    many are read as the quantity needs. Serials written as a full serial number
    (``prefix``) must match the credits they designate."""
    if serials is not None:
        return select_by_serials(candidates, serials, prefix)
    return take_in_allocation_order(candidates, quantity, what=what)
