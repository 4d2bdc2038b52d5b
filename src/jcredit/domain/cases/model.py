"""A case of creating or using credits (活用事例・創出事例), as the J-Credit site's case
search publishes them ("取組を申請することで掲載されます": an organisation submits its own
case; the secretariat reviews and publishes it). Searchable by use, method, mark,
organisation, region and credit category.

A case says what an organisation did in its own words; where the credits behind it are in
the registry, the case links the projects and invalidations, and the pages show their
quantities from the registry, not the figure typed into the case (which is labelled as
reported by the organisation). Pure: stdlib only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation
from enum import StrEnum
from typing import Any

from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import ValidationError
from jcredit.domain.identifiers import parse_corporate_number
from jcredit.domain.ledger.credits import CATEGORY_LABELS_JA
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.uses import OFFSET_PURPOSE_LABELS_JA
from jcredit.domain.ledger.uses import USE_LABELS_JA
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.domain.projects.eligibility import PREFECTURES


class CaseKind(StrEnum):
    CREATION = "CREATION"  # 創出事例
    UTILISATION = "UTILISATION"  # 活用事例


class CaseMethod(StrEnum):
    """How the organisation went about it."""

    OWN_PROJECT = "OWN_PROJECT"  # 自らのプロジェクトで創出
    PROGRAMME = "PROGRAMME"  # 取りまとめ（プログラム型）で創出
    JOINT_CREATION = "JOINT_CREATION"  # 民間事業者との共同創出
    PURCHASE = "PURCHASE"  # 購入して活用
    ELECTRICITY = "ELECTRICITY"  # クレジット付き電力の調達
    PRODUCT_ATTACHED = "PRODUCT_ATTACHED"  # 商品・サービスに付けて販売
    DONATION_PRODUCT = "DONATION_PRODUCT"  # 寄付型オフセット商品
    TAX_DONATION_GIFT = "TAX_DONATION_GIFT"  # ふるさと納税の返礼品
    EVENT = "EVENT"  # 会議・イベントのオフセット
    SUPPORT_SERVICE = "SUPPORT_SERVICE"  # 算定・オフセット支援サービス


class CaseStatus(StrEnum):
    SUBMITTED = "SUBMITTED"  # 審査待ち
    PUBLISHED = "PUBLISHED"  # 掲載中
    RETURNED = "RETURNED"  # 差戻し（修正して再申請）
    TAKEN_DOWN = "TAKEN_DOWN"  # 掲載取下げ（修正して再申請できる）


LIMITS = {"title": 200, "organisation": 200, "summary": 4000, "source": 500,
          "review_note": 1000}
MAX_LINKS = 50
MAX_QUANTITY = Decimal("1e9")  # t-CO2: more than the scheme has ever certified


@dataclass(frozen=True)
class CaseContent:
    """What a case says (the submitted form, checked)."""

    kind: CaseKind
    title: str
    organisation: str
    corporate_number: str | None
    prefecture: str  # "" for nationwide or several
    category: Category | None
    uses: tuple[InvalidationUse, ...]
    offset_purpose: OffsetPurpose | None
    method: CaseMethod
    mark: bool  # an offset mark or certificate shown to customers
    start_year: int | None
    end_year: int | None
    quantity: Decimal | None  # t-CO2 as reported by the organisation
    summary: str
    projects: tuple[str, ...]
    invalidations: tuple[int, ...]
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "title": self.title,
                "organisation": self.organisation, "corporate_number": self.corporate_number,
                "prefecture": self.prefecture,
                "category": self.category.value if self.category else None,
                "uses": [u.value for u in self.uses],
                "offset_purpose": self.offset_purpose.value if self.offset_purpose else None,
                "method": self.method.value, "mark": self.mark,
                "start_year": self.start_year, "end_year": self.end_year,
                "quantity": str(self.quantity) if self.quantity is not None else None,
                "summary": self.summary, "projects": list(self.projects),
                "invalidations": list(self.invalidations), "source": self.source}


def _text(value: object, field: str, *, required: bool) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError(f"{field} is required", field=field)
    if len(text) > LIMITS[field]:
        raise ValidationError(f"{field} is {len(text)} characters; at most {LIMITS[field]}",
                              field=field)
    return text


def _summary(value: object) -> str:
    """The summary keeps its paragraphs (blank lines), each paragraph's spaces folded."""
    paragraphs = [" ".join(p.split()) for p in str(value or "").replace("\r", "").split("\n\n")]
    text = "\n\n".join(p for p in paragraphs if p)
    if not text:
        raise ValidationError("summary is required", field="summary")
    if len(text) > LIMITS["summary"]:
        raise ValidationError(f"summary is {len(text)} characters; at most "
                              f"{LIMITS['summary']}", field="summary")
    return text


def _choice(enum: type[StrEnum], value: object, field: str, *, required: bool) -> Any:
    text = str(value or "").strip().upper()
    if not text:
        if required:
            raise ValidationError(f"{field} is required", field=field,
                                  valid=[e.value for e in enum])
        return None
    try:
        return enum(text)
    except ValueError:
        raise ValidationError(f"{field} {str(value)[:40]!r} is not one of the choices",
                              field=field, valid=[e.value for e in enum]) from None


def _list(value: object) -> list[str]:
    """A list given as a list, or as text separated by commas, spaces or 、."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = str(value).replace("、", ",").replace(",", " ").split()
    return [i.strip() for i in items if i.strip()]


def _uses(value: object) -> tuple[InvalidationUse, ...]:
    found = []
    for item in _list(value):
        found.append(_choice(InvalidationUse, item, "uses", required=True))
    return tuple(dict.fromkeys(found))


def _year(value: object, field: str) -> int | None:
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        return None
    if not text.isdigit() or not 1990 <= int(text) <= 2100:
        raise ValidationError(f"{field} {text[:10]!r} is not a year from 1990 to 2100",
                              field=field)
    return int(text)


def _quantity(value: object) -> Decimal | None:
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    text = text.replace(",", "")
    if not text:
        return None
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"quantity {text[:20]!r} is not a number of t-CO2",
                              field="quantity") from None
    if not quantity.is_finite() or quantity <= 0 or quantity > MAX_QUANTITY:
        raise ValidationError(f"quantity must be above 0 and at most {int(MAX_QUANTITY):,} t-CO2",
                              field="quantity")
    return quantity


def _projects(value: object) -> tuple[str, ...]:
    items = _list(value)
    if len(items) > MAX_LINKS:
        raise ValidationError(f"projects: at most {MAX_LINKS}", field="projects")
    for item in items:
        if len(item) > 32:
            raise ValidationError(f"projects: {item[:40]!r} is not a project number",
                                  field="projects")
    return tuple(dict.fromkeys(items))


def _invalidations(value: object) -> tuple[int, ...]:
    items = _list(value)
    if len(items) > MAX_LINKS:
        raise ValidationError(f"invalidations: at most {MAX_LINKS}", field="invalidations")
    numbers = []
    for item in items:
        if not item.isdigit() or len(item) > 12 or int(item) < 1:
            raise ValidationError(f"invalidations: {item[:20]!r} is not an application "
                                  "number", field="invalidations")
        numbers.append(int(item))
    return tuple(dict.fromkeys(numbers))


def _boolean(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y")


def parse_case(data: Mapping[str, Any]) -> CaseContent:
    """A submitted case, every field checked; all problems are refused together."""
    check = FieldChecks()
    kind = check(lambda: _choice(CaseKind, data.get("kind"), "kind", required=True))
    title = check(lambda: _text(data.get("title"), "title", required=True))
    organisation = check(lambda: _text(data.get("organisation"), "organisation",
                                       required=True))
    number = check(lambda: parse_corporate_number(str(data["corporate_number"]),
                                                  field="corporate_number")
                   if str(data.get("corporate_number") or "").strip() else None)
    prefecture = check(lambda: _prefecture(data.get("prefecture")))
    category = check(lambda: _choice(Category, data.get("category"), "category",
                                     required=False))
    uses = check(lambda: _uses(data.get("uses")))
    purpose = check(lambda: _choice(OffsetPurpose, data.get("offset_purpose"),
                                    "offset_purpose", required=False))
    method = check(lambda: _choice(CaseMethod, data.get("method"), "method", required=True))
    start = check(lambda: _year(data.get("start_year"), "start_year"))
    end = check(lambda: _year(data.get("end_year"), "end_year"))
    if start is not None and end is not None and end < start:
        check(lambda: _raise(ValidationError("end_year is before start_year",
                                             field="end_year")))
    if kind is CaseKind.UTILISATION and uses is not None and not uses:
        check(lambda: _raise(ValidationError(
            "uses: a utilisation case names at least one use", field="uses",
            valid=[u.value for u in InvalidationUse])))
    if purpose is not None and uses is not None and InvalidationUse.OFFSET not in uses:
        check(lambda: _raise(ValidationError(
            "offset_purpose is for an offset: add OFFSET to the uses or leave it empty",
            field="offset_purpose")))
    quantity = check(lambda: _quantity(data.get("quantity")))
    summary = check(lambda: _summary(data.get("summary")))
    projects = check(lambda: _projects(data.get("projects")))
    invalidations = check(lambda: _invalidations(data.get("invalidations")))
    source = check(lambda: _text(data.get("source"), "source", required=False))
    check.done()
    assert kind is not None and title is not None and organisation is not None
    assert prefecture is not None and uses is not None and method is not None
    assert summary is not None and projects is not None and invalidations is not None
    assert source is not None
    return CaseContent(kind=kind, title=title, organisation=organisation,
                       corporate_number=number, prefecture=prefecture, category=category,
                       uses=uses, offset_purpose=purpose, method=method,
                       mark=_boolean(data.get("mark")), start_year=start, end_year=end,
                       quantity=quantity, summary=summary, projects=projects,
                       invalidations=invalidations, source=source)


def _raise(error: ValidationError) -> None:
    raise error


def _prefecture(value: object) -> str:
    text = str(value or "").strip()
    if text and text not in PREFECTURES:
        raise ValidationError(f"prefecture {text[:20]!r} is not a prefecture (e.g. 宮城県); "
                              "leave it empty for nationwide", field="prefecture",
                              valid=list(PREFECTURES))
    return text


_KATAKANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}


def fold(text: str) -> str:
    """Text as the searches compare it: NFKC (full-width letters and digits, half-width
    kana), lower case, katakana as hiragana (オフセット and おふせっと are one word), the middle
    dot dropped (カーボン・オフセット is カーボンオフセット), spaces folded. Kanji are kept."""
    normal = unicodedata.normalize("NFKC", text).lower().translate(_KATAKANA)
    return " ".join(normal.replace("・", "").split())


def search_text(content: CaseContent, extra: Iterable[str] = ()) -> str:
    """The folded text a case is found by: its words, and its codes with their Japanese
    names (RE100, 温対法…, 森林, オフセットの目的)."""
    codes = [*(u.value for u in content.uses), *(USE_LABELS_JA[u] for u in content.uses)]
    if content.category is not None:
        codes += [content.category.value, CATEGORY_LABELS_JA[content.category]]
    if content.offset_purpose is not None:
        codes += [OFFSET_PURPOSE_LABELS_JA[content.offset_purpose]]
    parts = [content.title, content.organisation, content.corporate_number or "",
             content.prefecture, content.summary, *content.projects, *codes, *extra]
    return fold(" ".join(p for p in parts if p))

