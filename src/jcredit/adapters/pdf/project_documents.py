"""Project documents as PDF in Japanese: the プロジェクト計画書, 妥当性確認報告書,
モニタリング報告書, 検証報告書 and the certification decision.

Each PDF is rendered from one stored version of the structured document and prints that
version's number and SHA-256 at the foot, so a paper copy can be matched to the registry.
"""

from __future__ import annotations

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

TITLES = {
    "PLAN": "プロジェクト計画書",
    "VALIDATION_REPORT": "妥当性確認報告書",
    "MONITORING_REPORT": "モニタリング報告書",
    "VERIFICATION_REPORT": "検証報告書",
    "CERTIFICATION_DECISION": "認証の決定",
}

LABELS = {
    "number": "プロジェクト番号", "name": "名称", "project_type": "種別",
    "methodology": "方法論", "state": "状態", "prefecture": "都道府県", "address": "所在地",
    "start_date": "開始日", "monitoring_start": "モニタリング開始日",
    "crediting_years": "認証対象期間(年)", "holder_account": "発行先口座",
    "keidanren": "経団連行動計画", "opinion": "意見", "certification_number": "認証番号",
    "comment": "コメント", "period_start": "期間開始", "period_end": "期間終了",
    "total_tco2": "排出削減量合計 (t-CO2)",
}


def _escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows: list[list[Any]], font: str, widths: list[float] | None = None,
           header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("FONT", (0, 0), (-1, -1), font, 8.5),
             ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef5ee")))
    table.setStyle(TableStyle(style))
    return table


def render_project_document(document: dict[str, Any]) -> bytes:
    font = japanese_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=24, alignment=1)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=18, spaceBefore=8)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    content = document["content"]
    name = TITLES.get(document["kind"], document["kind"])
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm,
                            title=f"{name} {document['project']}",
                            author="J-クレジット制度 (jcredit)")
    story: list[Any] = [Paragraph(_escape(name), title), Spacer(1, 4 * mm),
                        Paragraph(f"プロジェクト番号: {_escape(document['project'])}"
                                  + (f" / モニタリング期間 #{document['period']}"
                                     if document.get("period") else ""), body),
                        Spacer(1, 4 * mm)]
    scalars = [[LABELS.get(k, k), Paragraph(_escape(v), body)] for k, v in content.items()
               if not isinstance(v, dict | list) and v not in (None, "")]
    period = content.get("period")
    if isinstance(period, dict):
        scalars += [[LABELS.get(k, k), str(period[k])] for k in ("period_start", "period_end")]
    if scalars:
        story.append(_table(scalars, font, [50 * mm, 120 * mm], header=False))
    findings = content.get("findings")
    if findings:
        story.append(Paragraph("登録要件の確認結果", heading))
        rows = [["確認項目", "結果", "内容"]] + [
            [f["check"] + (f" {f['subject']}" if f.get("subject") else ""),
             "適合" if f["passed"] else "不適合", Paragraph(_escape(f["message"]), body)]
            for f in findings]
        story.append(_table(rows, font, [45 * mm, 18 * mm, 107 * mm]))
    result = content.get("result") or {}
    activities = result.get("activities") if isinstance(result, dict) else None
    if activities:
        total = result.get("total_tco2")
        story.append(Paragraph(f"排出削減量の算定 (排出削減量合計 {total} t-CO2)", heading))
        rows = [["削減活動", "排出削減量 (t-CO2)", "年度別", "未確認の係数"]] + [
            [code, a["reduction_tco2"],
             ", ".join(f"FY{k}: {v}" for k, v in a["vintages"].items()),
             Paragraph(_escape(", ".join(a["unverified_factors"])), small)]
            for code, a in activities.items()]
        story.append(_table(rows, font, [25 * mm, 45 * mm, 55 * mm, 45 * mm]))
    amounts = content.get("amounts") or (result.get("preview") if isinstance(result, dict)
                                         else None)
    if amounts:
        story.append(Paragraph("認証量 (年度ごとに集計後、t-CO2 未満切り捨て)", heading))
        rows = [["年度", "合計 (t-CO2)", "クレジット (t-CO2)", "切り捨て"]] + [
            [f"FY{a['vintage']}", a["total_tco2"], str(a["credits"]), a["remainder_tco2"]]
            for a in amounts]
        story.append(_table(rows, font))
    story += [Spacer(1, 8 * mm),
              Paragraph(f"版 {document['version']} · 作成 {_escape(document['created_by'])} "
                        f"{document['created_at'][:19]} · SHA-256 {document['sha256']}", small)]
    doc.build(story)
    return buffer.getvalue()
