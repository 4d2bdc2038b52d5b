"""The カーボン・オフセット証明書 (offset certificate) as PDF, in Japanese or English.

There is no statutory format (jcredit-rules.md §5.2); the certificate carries the fields
seen on public certificates: its id, the offsetting party, what was offset with its scope,
method and period, the quantity, the credits' serials with their projects and locations,
the invalidation date and notice number, and the public verification URL with a QR code
(segno encodes it; the modules are drawn as squares, so no image library is needed).
"""

from __future__ import annotations

import io
from typing import Any

import segno
from reportlab.graphics.shapes import Drawing
from reportlab.graphics.shapes import Rect
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus import TableStyle

from jcredit.adapters.pdf.notices import _date
from jcredit.adapters.pdf.notices import _document
from jcredit.adapters.pdf.notices import _escape
from jcredit.adapters.pdf.notices import _styles
from jcredit.domain.ledger.credits import CATEGORY_LABELS_JA
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.uses import OFFSET_PURPOSE_LABELS_JA
from jcredit.domain.ledger.uses import OffsetPurpose

PURPOSE_EN = {
    "SELF": "own activities", "ORGANIZATION": "organisation's activities",
    "PRODUCT_SERVICE": "product or service", "EVENT": "meeting or event",
    "CREDIT_ATTACHED": "credit-attached product or service", "DONATION": "donation-type",
    "OTHER": "other",
}

CATEGORY_EN = {
    "RENEWABLE_POWER": "Renewable power", "RENEWABLE_HEAT": "Renewable heat",
    "ENERGY_SAVING": "Energy saving", "FOREST": "Forest",
    "INDUSTRIAL": "Industrial process", "AGRICULTURE": "Agriculture",
    "WASTE": "Waste",
}

TEXT: dict[str, dict[str, Any]] = {
    "ja": {
        "title": "カーボン・オフセット証明書", "number": "証明書番号", "issued": "発行日",
        "holder": "証明書の宛先", "party": "オフセット主体", "subject": "オフセットの対象",
        "purpose": "オフセットの種類", "scope": "算定の範囲", "method": "算定方法",
        "period": "対象期間", "quantity": "本証明書の数量", "total": "無効化したクレジット",
        "executed": "無効化日", "notice": "無効化通知書番号",
        "lead": "下記のとおり、J-クレジットの無効化によりカーボン・オフセットが行われたことを"
                "証明します。",
        "lead_third": "下記のオフセットのうち、本証明書の数量を宛先の方に帰属するものとして"
                      "証明します。",
        "credits": "オフセットに用いたクレジット",
        "cols": ["シリアル番号", "数量", "区分", "年度", "プロジェクト", "所在地"],
        "verify": "この証明書が本物であること、どのクレジットが裏付けているか、そのクレジットが"
                  "他の証明に使われていないことは、次のURL(QRコード)でログインせずに確認できます。",
        "others": "このオフセットに発行された証明書: {n}件、合計 {q} t-CO2(無効化 {total} t-CO2 "
                  "を超えることはありません)",
        "issuer": "J-クレジット登録簿 (jcredit)", "journal": "取引記録",
        "year": "{y}年度", "corporate_number": "法人番号",
    },
    "en": {
        "title": "Carbon Offset Certificate", "number": "Certificate number",
        "issued": "Issued on", "holder": "Issued to", "party": "Offsetting party",
        "subject": "What was offset", "purpose": "Offset type", "scope": "Scope",
        "method": "Calculation method", "period": "Period", "quantity": "Quantity certified",
        "total": "Credits invalidated", "executed": "Invalidated on",
        "notice": "Invalidation notice number",
        "lead": "This certifies that the emissions below were offset by invalidating "
                "J-Credits in the J-Credit registry.",
        "lead_third": "This certifies that the quantity below of the offset described is "
                      "attributed to the person or organisation named.",
        "credits": "Credits used for the offset",
        "cols": ["Serials", "t-CO2", "Category", "Vintage", "Project", "Location"],
        "verify": "Anyone can check, without logging in, that this certificate is genuine, "
                  "which credits back it and that they back nothing else, at this URL "
                  "(QR code):",
        "others": "Certificates issued on this offset: {n}, together {q} t-CO2 (never more "
                  "than the {total} t-CO2 invalidated)",
        "issuer": "J-Credit registry (jcredit)", "journal": "Journal entry",
        "year": "FY{y}", "corporate_number": "Corporate number",
    },
}


def qr_drawing(url: str, size_mm: float = 32) -> Drawing:
    """The URL as a QR code (error correction M), drawn square by square."""
    code = segno.make(url, error="m", micro=False)
    matrix = [list(row) for row in code.matrix]
    modules = len(matrix) + 8  # a quiet zone of four modules each side
    cell = size_mm * mm / modules
    drawing = Drawing(size_mm * mm, size_mm * mm)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                drawing.add(Rect((x + 4) * cell, (modules - 5 - y) * cell, cell, cell,
                                 fillColor=colors.black, strokeColor=None, strokeWidth=0))
    return drawing


def _quantity(value: str) -> str:
    text = str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def render_certificate_pdf(cert: dict[str, Any], verify_url: str, lang: str = "ja") -> bytes:
    """The certificate (``offset_queries.certificate``) as PDF in ``lang`` (ja or en)."""
    words = TEXT["en" if lang == "en" else "ja"]
    body, title, small = _styles()
    purpose = cert.get("offset_purpose") or "OTHER"
    purpose_text = (OFFSET_PURPOSE_LABELS_JA[OffsetPurpose(purpose)] if lang != "en"
                    else PURPOSE_EN.get(purpose, purpose))

    def dates(iso: str) -> str:
        return _date(iso) if lang != "en" else str(iso)

    buffer = io.BytesIO()
    doc = _document(buffer, f"{words['title']} {cert['number']}")
    story: list[Any] = [
        Paragraph(f"{words['number']}: {_escape(cert['number'])}", body),
        Paragraph(f"{words['issued']}: {dates(cert['issued_date'])}", body),
        Spacer(1, 5 * mm),
        Paragraph(words["title"], title),
        Spacer(1, 5 * mm),
        Paragraph(words["lead_third"] if cert["third_party"] else words["lead"], body),
        Spacer(1, 4 * mm),
    ]
    party = cert["offsetting_party"] + (
        f" ({words['corporate_number']} {cert['offsetting_party_corporate_number']})"
        if cert.get("offsetting_party_corporate_number") else "")
    rows = [
        [words["holder"], cert["holder_name"]],
        [words["party"], party],
        [words["subject"], cert["subject"]],
        [words["purpose"], purpose_text],
        [words["scope"], cert.get("scope") or "—"],
        [words["method"], cert.get("method") or "—"],
        [words["period"], cert.get("period") or "—"],
        [words["quantity"], f"{_quantity(cert['quantity'])} t-CO2"],
        [words["total"], f"{cert['invalidated']:,} t-CO2"],
        [words["executed"], dates(cert["executed_date"])],
        [words["notice"], cert.get("notice_number") or ""],
    ]
    info = Table([[Paragraph(_escape(k), body), Paragraph(_escape(v), body)] for k, v in rows],
                 colWidths=[42 * mm, 128 * mm])
    info.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef5ee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [info, Spacer(1, 5 * mm), Paragraph(words["credits"], body)]
    credit_rows = [words["cols"]] + [
        [b["serials"], f"{b['quantity']:,}",
         CATEGORY_LABELS_JA[Category(b["category"])] if lang != "en"
         else CATEGORY_EN.get(b["category"], b["category"]),
         words["year"].format(y=b["vintage"]), b["project_id"]
         + (f" {b['project_name']}" if b.get("project_name") else ""),
         b.get("prefecture") or "—"] for b in cert["blocks"]]
    credits = Table([[Paragraph(_escape(c), small) for c in row] for row in credit_rows],
                    colWidths=[63 * mm, 13 * mm, 24 * mm, 20 * mm, 32 * mm, 18 * mm],
                    repeatRows=1)
    credits.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef5ee")),
    ]))
    others = words["others"].format(n=cert["certificates_on_offset"],
                                    q=_quantity(cert["certified_on_offset"]),
                                    total=f"{cert['invalidated']:,}")
    verify = Table([[qr_drawing(verify_url), [Paragraph(words["verify"], body),
                                              Spacer(1, 2 * mm),
                                              Paragraph(_escape(verify_url), small)]]],
                   colWidths=[36 * mm, 134 * mm])
    verify.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [credits, Spacer(1, 3 * mm), Paragraph(_escape(others), small),
              Spacer(1, 5 * mm), verify, Spacer(1, 5 * mm),
              Paragraph(words["issuer"], body), Spacer(1, 3 * mm),
              Paragraph(f"{words['journal']} {cert['journal_seq']} / SHA-256 "
                        f"{_escape(cert['journal_hash'])}", small)]
    doc.build(story)
    return buffer.getvalue()
