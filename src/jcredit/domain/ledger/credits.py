"""What a credit is: scheme code, credit type, category and the attributes of an issuance.

Codes follow japancredit.go.jp/about/number/ (jcredit-rules.md §3.4) and the categories of
japancredit.go.jp/case/outline/ (§3.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from jcredit.domain.errors import ValidationError


class SchemeCode(StrEnum):
    """制度記号: the letters at the head of a serial number."""

    JC = "JC"  # J-クレジット, not for the Keidanren plan (except credit type FM)
    JCL = "JCL"  # J-クレジット usable for the Keidanren plan
    KC = "KC"  # 国内クレジット, normal type
    KCP = "KCP"  # 国内クレジット, programme type
    JP = "JP"  # J-VER


class CreditType(StrEnum):
    """クレジット種別."""

    ER = "ER"  # emission reduction, not for the Keidanren plan
    ERL = "ERL"  # emission reduction, usable for the Keidanren plan
    FM = "FM"  # forest management
    KC = "KC"  # 国内クレジット 通常型
    KCP = "KCP"  # 国内クレジット プログラム型
    JRM = "JRM"  # J-VER type usable for the Keidanren plan
    KRM = "KRM"  # J-VER type usable for the Keidanren plan


class Category(StrEnum):
    """Credit category by origin: decides which uses a credit can serve (§3.3)."""

    RENEWABLE_POWER = "RENEWABLE_POWER"  # 再エネ(電力)
    RENEWABLE_HEAT = "RENEWABLE_HEAT"  # 再エネ(熱)
    ENERGY_SAVING = "ENERGY_SAVING"  # 省エネ
    FOREST = "FOREST"  # 森林
    INDUSTRIAL = "INDUSTRIAL"  # 工業プロセス
    AGRICULTURE = "AGRICULTURE"  # 農業
    WASTE = "WASTE"  # 廃棄物


CATEGORY_LABELS_JA = {
    Category.RENEWABLE_POWER: "再エネ(電力)",
    Category.RENEWABLE_HEAT: "再エネ(熱)",
    Category.ENERGY_SAVING: "省エネ",
    Category.FOREST: "森林",
    Category.INDUSTRIAL: "工業プロセス",
    Category.AGRICULTURE: "農業",
    Category.WASTE: "廃棄物",
}

# Which credit types each scheme issues. Legacy schemes (KC, KCP, JP) are migrated, not
# issued anew, but the registry records them with the same discipline.
TYPES_BY_SCHEME: dict[SchemeCode, frozenset[CreditType]] = {
    SchemeCode.JC: frozenset({CreditType.ER, CreditType.FM}),
    SchemeCode.JCL: frozenset({CreditType.ERL, CreditType.FM}),
    SchemeCode.KC: frozenset({CreditType.KC}),
    SchemeCode.KCP: frozenset({CreditType.KCP}),
    SchemeCode.JP: frozenset({CreditType.ER, CreditType.FM, CreditType.JRM, CreditType.KRM}),
}

LEGACY_DOMESTIC_SCHEMES = frozenset({SchemeCode.KC, SchemeCode.KCP})
"""国内クレジット: the schemes whose credits are retired (償却) instead of invalidated."""

MIN_VINTAGE = 2008  # 国内クレジット began in FY2008; J-VER in FY2008 as well
MAX_VINTAGE = 2100


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: object, *, field: str) -> E:
    """Parse a code from a closed list, naming the valid codes on failure."""
    text = str(value or "").strip().upper()
    try:
        return enum(text)
    except ValueError:
        raise ValidationError(
            f"{field} {value!r} is not valid",
            field=field,
            valid=[member.value for member in enum],
        ) from None


_TEXT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


def parse_text_id(value: object, *, field: str) -> str:
    text = str(value or "").strip()
    if not _TEXT_ID_RE.match(text):
        raise ValidationError(
            f"{field} {value!r} is not valid: use 1-64 letters, digits, '.', '_', '/' or '-'",
            field=field,
        )
    return text


@dataclass(frozen=True, slots=True)
class CreditAttributes:
    """Attributes shared by every credit of one issuance; they never change.

    Attributes:
        scheme: 制度記号.
        credit_type: クレジット種別.
        category: category by origin.
        project_id: registered project identifier.
        methodology_id: methodology that computed the reduction, e.g. ``EN-R-002``.
        methodology_version: its version, e.g. ``3.0``.
        certification_number: クレジット認証番号 of the certification decision.
        vintage: fiscal year (年度) of the reductions or removals [FY].
    """

    scheme: SchemeCode
    credit_type: CreditType
    category: Category
    project_id: str
    methodology_id: str
    methodology_version: str
    certification_number: str
    vintage: int

    def __post_init__(self) -> None:
        if self.credit_type not in TYPES_BY_SCHEME[self.scheme]:
            raise ValidationError(
                f"credit type {self.credit_type} does not exist in scheme {self.scheme}",
                field="credit_type",
                valid=sorted(t.value for t in TYPES_BY_SCHEME[self.scheme]),
            )
        if self.credit_type is CreditType.FM and self.category is not Category.FOREST:
            raise ValidationError(
                "credit type FM (forest management) must have category FOREST",
                field="category",
                valid=[Category.FOREST.value],
            )
        if self.category is Category.FOREST and self.credit_type in (CreditType.ER, CreditType.ERL):
            raise ValidationError(
                "forest credits are of credit type FM, not ER/ERL",
                field="credit_type",
                valid=[CreditType.FM.value],
            )
        if not MIN_VINTAGE <= self.vintage <= MAX_VINTAGE:
            raise ValidationError(
                f"vintage {self.vintage} is outside {MIN_VINTAGE}-{MAX_VINTAGE} (fiscal year)",
                field="vintage",
            )

    def serial_prefix(self) -> str:
        """The text that stands before the numbers in a rendered serial."""
        return f"{self.scheme}-{self.credit_type}-{self.certification_number}"
