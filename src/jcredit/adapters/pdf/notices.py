"""The 無効化通知書 (invalidation notice) as PDF.

The content comes from the execution's journal entry (``queries.notice``), so the notice
shows exactly what the tamper-evident journal recorded, with the entry's hash at the foot.
Dates are written as people read them (2026年12月1日, the JST date of the execution),
vintages as fiscal years, codes by their Japanese names.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph
from reportlab.platypus import SimpleDocTemplate
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus import TableStyle

from jcredit.adapters.pdf.fonts import japanese_font
from jcredit.domain.ledger.credits import CATEGORY_LABELS_JA
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.uses import OFFSET_PURPOSE_LABELS_JA
from jcredit.domain.ledger.uses import USE_LABELS_JA
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.domain.projects.eligibility import ja_date


def _date(iso: str) -> str:
    """``2026-12-01`` → 2026年12月1日 (the notice's dates are JST calendar dates)."""
    try:
        return ja_date(dt.date.fromisoformat(iso))
    except (TypeError, ValueError):
        return str(iso)


def _journal_line(notice: dict[str, Any]) -> str:
    return f"取引記録 番号 {notice['journal_seq']} / SHA-256 {_escape(notice['journal_hash'])}"


def _serial_rows(blocks: list[dict[str, Any]]) -> list[list[str]]:
    return [["シリアル番号", "数量", "区分", "年度", "プロジェクト"]] + [
        [b["serials"], f"{b['quantity']:,}", CATEGORY_LABELS_JA[Category(b["category"])],
         f"{b['vintage']}年度", b["project_id"]] for b in blocks]


def _escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    """Body, title and small text in the embedded Japanese font."""
    body = ParagraphStyle("body", fontName=japanese_font(), fontSize=10, leading=15,
                          wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=26, alignment=1)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    return body, title, small


def _document(buffer: io.BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                             topMargin=20 * mm, bottomMargin=20 * mm, title=title,
                             author="J-クレジット制度事務局 (jcredit)")


def render_notice_pdf(notice: dict[str, Any]) -> bytes:
    body, title, small = _styles()
    app = notice["application"]
    use = USE_LABELS_JA[InvalidationUse(app["use"])]
    if app.get("offset_purpose"):
        use += f"({OFFSET_PURPOSE_LABELS_JA[OffsetPurpose(app['offset_purpose'])]})"
    executed_date = _date(notice["executed_date"])

    buffer = io.BytesIO()
    doc = _document(buffer, f"J-クレジット無効化通知書 {notice['notice_number']}")
    story: list[Any] = [
        Paragraph(f"通知番号: {_escape(notice['notice_number'])}", body),
        Paragraph(f"通知日: {executed_date}", body),
        Spacer(1, 6 * mm),
        Paragraph(f"{_escape(notice['holder'])} 御中", body),
        Spacer(1, 6 * mm),
        Paragraph("J-クレジット無効化通知書", title),
        Spacer(1, 6 * mm),
        Paragraph(
            "下記のとおり、貴社の保有口座に記録されたJ-クレジットを無効化口座に記録し、"
            "当該保有口座における減少を記録したことを通知します。", body),
        Spacer(1, 5 * mm),
    ]
    rows = [
        ["保有口座番号", app["account"]],
        ["口座名義", f"{notice['holder']} / {notice['account_name']}"],
        ["無効化申請番号", str(app["id"])],
        ["無効化日", executed_date],
        ["無効化数量", f"{app['quantity']:,} t-CO2"],
        ["用途", use],
        ["目的詳細", app["purpose_details"]],
        ["クレジット利用法人", app["credit_user_name"]
         + (f"(法人番号 {app['credit_user_corporate_number']})"
            if app.get("credit_user_corporate_number") else "")],
        ["報告対象年度", f"{app['fiscal_year']}年度"],
    ]
    info = Table([[Paragraph(_escape(k), body), Paragraph(_escape(v), body)] for k, v in rows],
                 colWidths=[40 * mm, 130 * mm])
    info.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef5ee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [info, Spacer(1, 6 * mm), Paragraph("無効化したクレジット(シリアル番号)", body)]
    serial_rows = _serial_rows(app["blocks"])
    serial_table = Table([[Paragraph(_escape(c), small) for c in row] for row in serial_rows],
                         colWidths=[72 * mm, 16 * mm, 30 * mm, 22 * mm, 30 * mm], repeatRows=1)
    serial_table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef5ee")),
    ]))
    story += [serial_table, Spacer(1, 8 * mm),
              Paragraph("本通知の記載事項(用途、目的詳細、クレジット利用法人)は無効化の実行後に"
                        "変更することはできません。", body),
              Spacer(1, 4 * mm),
              Paragraph("J-クレジット制度事務局", body),
              Spacer(1, 8 * mm),
              Paragraph(_journal_line(notice), small)]
    doc.build(story)
    return buffer.getvalue()


def render_removal_notice_pdf(notice: dict[str, Any]) -> bytes:
    """償却通知書 (legacy KC/KCP retired) or 取消通知書 (cancelled by the secretariat)."""
    body, title, small = _styles()
    label = notice["label"]
    removal = notice["removal"]
    buffer = io.BytesIO()
    doc = _document(buffer, f"{label}通知書 {notice['notice_number']}")
    rows = [["保有口座番号", removal["from_account"]],
            ["口座名義", f"{notice['holder']} / {notice['account_name']}"],
            [f"{label}日", _date(notice["removed_date"])],
            [f"{label}数量", f"{removal['quantity']:,} t-CO2"],
            ["理由", removal["reason"]]]
    info = Table([[Paragraph(_escape(k), body), Paragraph(_escape(v), body)] for k, v in rows],
                 colWidths=[40 * mm, 130 * mm])
    info.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                              ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef5ee"))]))
    serial_rows = _serial_rows(removal["blocks"])
    serial_table = Table([[Paragraph(_escape(c), small) for c in row] for row in serial_rows],
                         colWidths=[72 * mm, 16 * mm, 30 * mm, 22 * mm, 30 * mm], repeatRows=1)
    serial_table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                      ("BACKGROUND", (0, 0), (-1, 0),
                                       colors.HexColor("#eef5ee"))]))
    story: list[Any] = [
        Paragraph(f"通知番号: {_escape(notice['notice_number'])}", body),
        Paragraph(f"通知日: {_date(notice['removed_date'])}", body), Spacer(1, 6 * mm),
        Paragraph(f"{_escape(notice['holder'])} 御中", body), Spacer(1, 6 * mm),
        Paragraph(f"クレジット{label}通知書", title), Spacer(1, 6 * mm),
        Paragraph(f"下記のとおり、貴社の保有口座に記録されたクレジットを{label}したことを"
                  "通知します。この記録は取り消すことができません。", body),
        Spacer(1, 5 * mm), info, Spacer(1, 6 * mm),
        Paragraph(f"{label}したクレジット(シリアル番号)", body), serial_table,
        Spacer(1, 8 * mm), Paragraph("J-クレジット制度事務局", body), Spacer(1, 8 * mm),
        Paragraph(_journal_line(notice), small)]
    doc.build(story)
    return buffer.getvalue()
