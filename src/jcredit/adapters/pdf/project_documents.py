"""Project documents as PDF in Japanese: the プロジェクト計画書, 妥当性確認報告書,
モニタリング報告書, 検証報告書 and the certification decision.

Each PDF is rendered from one stored version of the structured document and prints that
version's number and SHA-256 at the foot, so a paper copy can be matched to the registry.

The PDF says what the document's page says (``templates/document.html``): codes named, times
in JST, dates and fiscal years written out, figures rounded for people (the API and the CSV
keep every digit). The words come from the entrypoint as a :class:`Wording` (its catalogs,
``label(kind, code)`` and formatters), since this layer may not import the entrypoints.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
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

DATE_FIELDS = frozenset({"start_date", "monitoring_start", "crediting_start", "crediting_end",
                         "application_date", "registered_on"})
CODE_FIELDS = {"state": "project_state", "project_type": "project_type"}


@dataclass(frozen=True)
class Wording:
    """How a document is put into words, given by the entrypoint: ``t(key)`` (its message
    catalog), ``label(kind, code)``, a moment in JST, a date, a figure rounded to ``places``,
    a fiscal year, a factor's name, and the plain fields shown in order."""

    lang: str
    t: Callable[[str], str]
    label: Callable[[str, object], str]
    time: Callable[[object], str]
    date: Callable[[object], str]
    qty: Callable[[object, int], str]
    fiscal_year: Callable[[object], str]
    factor: Callable[[str], str]
    fields: Sequence[str]

    def value(self, key: str, value: object) -> str:
        """A plain field's value as the page shows it."""
        if key in CODE_FIELDS:
            return self.label(CODE_FIELDS[key], value)
        if key in DATE_FIELDS:
            return self.date(value)
        if isinstance(value, bool):
            return self.t("yes") if value else self.t("no")
        return str(value)


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


@dataclass(frozen=True)
class _Styles:
    font: str
    body: ParagraphStyle
    heading: ParagraphStyle
    small: ParagraphStyle

    cell: ParagraphStyle

    def p(self, text: object, small: bool = False) -> Paragraph:
        """A table cell's text (wrapped), or a small note."""
        return Paragraph(_escape(text), self.small if small else self.cell)


def _fields(content: Mapping[str, Any], w: Wording, s: _Styles) -> list[Any]:
    rows = [[w.label("doc_field", key), s.p(w.value(key, content[key]))] for key in w.fields
            if key in content and content[key] not in (None, "", [], {})]
    plan = content.get("plan")
    if isinstance(plan, dict) and plan.get("summary"):
        rows.append([w.t("plan_summary"), s.p(plan["summary"])])
    additionality = content.get("additionality")
    if isinstance(additionality, dict) and additionality.get("exemption"):
        rows.append([w.t("additionality"), s.p(w.label("exemption", additionality["exemption"]))])
    return [_table(rows, s.font, [50 * mm, 124 * mm], header=False)] if rows else []


def _activities(activities: Sequence[Mapping[str, Any]], w: Wording, s: _Styles) -> list[Any]:
    if not activities:
        return []
    rows = [[w.t("activity_code"), w.t("address"), w.t("operation_start"),
             f"t-CO2/{w.t('year')}", w.t("household")]] + [
        [a["code"], s.p(a["address"]), w.date(a["operation_start"]),
         w.qty(a["expected_tco2_per_year"], 2), w.t("yes") if a.get("household") else w.t("no")]
        for a in activities]
    return [Paragraph(_escape(f"{w.t('plan_activities')} ({len(activities)})"), s.heading),
            s.p(w.t("plan_activities_note"), small=True),
            _table(rows, s.font, [24 * mm, 70 * mm, 32 * mm, 24 * mm, 24 * mm])]


def _findings(findings: Sequence[Mapping[str, Any]], w: Wording, s: _Styles) -> list[Any]:
    if not findings:
        return []
    rows = [[w.t("check_item"), w.t("activity"), w.t("result"), w.t("details")]]
    for f in findings:
        result = w.t("passed") if f["passed"] else w.t("failed")
        if f.get("manual_review"):
            result += f" · {w.t('manual_review')}"
        message = f.get("message_ja") if w.lang == "ja" and f.get("message_ja") else f["message"]
        rows.append([s.p(w.label("finding", f["check"])), f.get("subject") or "", s.p(result),
                     s.p(message)])
    return [Paragraph(_escape(w.t("eligibility")), s.heading),
            _table(rows, s.font, [36 * mm, 20 * mm, 22 * mm, 96 * mm])]


def _data(data: Mapping[str, Mapping[str, Any]], missing: Sequence[str], w: Wording,
          s: _Styles) -> list[Any]:
    story: list[Any] = []
    if missing:
        story.append(s.p(f"{w.t('missing_data_acknowledged')}: {', '.join(missing)}"))
    if data:
        columns = sorted({name for values in data.values() for name in values})
        rows = [[w.t("activity"), *[s.p(w.label("input", c), small=True) for c in columns]]] + [
            [code, *[w.qty(values.get(c, ""), 2) for c in columns]]
            for code, values in data.items()]
        story += [Paragraph(_escape(w.t("monitoring_data")), s.heading), _table(rows, s.font)]
    return story


def _results(result: Mapping[str, Any], w: Wording, s: _Styles) -> list[Any]:
    activities = result.get("activities")
    if not activities:
        return []
    rows = [[w.t("activity"), f"{w.t('reduction')} (t-CO2)", w.t("by_vintage"),
             w.t("unverified_factors")]] + [
        [code, w.qty(a["reduction_tco2"], 2),
         s.p(", ".join(f"{w.fiscal_year(v)}: {w.qty(r, 2)}" for v, r in a["vintages"].items())),
         s.p(w.t("list_separator").join(w.factor(n) for n in a["unverified_factors"]),
             small=True)]
        for code, a in activities.items()]
    return [Paragraph(_escape(f"{w.t('total_reduction')}: {w.qty(result.get('total_tco2'), 2)}"
                              " t-CO2"), s.heading),
            _table(rows, s.font, [24 * mm, 32 * mm, 46 * mm, 72 * mm]),
            s.p(w.t("full_precision_in_csv"), small=True)]


SITES_IN_PDF = 300  # a programme of more households: the rest in the API and exports


def _settlement(settled: Mapping[str, Any], w: Wording, s: _Styles) -> list[Any]:
    """A period settled from the readings (docs/dmrv.md §9–§10): how, with what root, and
    each site's energy."""
    if not settled:
        return []
    totals = _as_dict(settled.get("totals"))
    facts = [[w.t("settled_from_readings"), s.p(
                 f"{w.t('dossier_engine')} {settled.get('engine')} · "
                 f"{w.t('dossier_thresholds')} {settled.get('thresholds_version')}")],
             [w.t("dossier_root"), s.p(f"{settled.get('readings_root')} "
                                       f"({settled.get('site_days')} {w.t('dossier_site_days')})",
                                       small=True)],
             [w.t("dossier_sha256"), s.p(str(settled.get("sha256")), small=True)],
             [w.t("dossier_generation"), f"{w.qty(_kwh(totals.get('generation_wh')), 1)} kWh"],
             [w.t("dossier_export"), f"{w.qty(_kwh(totals.get('export_wh')), 1)} kWh"],
             [w.t("dossier_excluded"), str(totals.get("excluded_ranges", 0))]]
    sites = list(settled.get("sites") or [])
    rows = [[w.t("activity"), f"{w.t('dossier_generation')} (kWh)",
             f"{w.t('dossier_export')} (kWh)", w.t("dossier_readings"),
             w.t("dossier_excluded")]] + [
        [x["activity"], w.qty(_kwh(x["generation_wh"]), 1), w.qty(_kwh(x["export_wh"]), 1),
         f"{x['creditable']} / {x['readings']}", str(x["excluded_ranges"])]
        for x in sites[:SITES_IN_PDF]]
    story = [Paragraph(_escape(w.t("settled_from_readings")), s.heading),
             _table(facts, s.font, [50 * mm, 124 * mm], header=False), Spacer(1, 2 * mm),
             _table(rows, s.font, [30 * mm, 36 * mm, 36 * mm, 40 * mm, 32 * mm])]
    excluded = list(settled.get("excluded") or [])
    if excluded:
        story += [Paragraph(_escape(f"{w.t('settlement_exclusions')} ({len(excluded)})"),
                            s.heading),
                  _table([[w.t("activity"), w.t("rule"), w.t("intervals_jst"),
                           w.t("settlement_exclusion_reason")]] + [
                      [str(x["site"]).rsplit("/", 1)[-1], x["rule_id"], _jst_span(x),
                       w.t("settlement_hold_rejected") if x["reason"] == "HOLD rejected"
                       else w.label("severity", "BLOCK")] for x in excluded[:SITES_IN_PDF]],
                      s.font, [30 * mm, 18 * mm, 80 * mm, 46 * mm])]
    if len(sites) > SITES_IN_PDF:
        story.append(s.p(w.t("more_sites_in_api").replace("{count}",
                                                          str(len(sites) - SITES_IN_PDF)),
                         small=True))
    return story


def _decisions(decisions: Sequence[Mapping[str, Any]], w: Wording, s: _Styles) -> list[Any]:
    if not decisions:
        return []
    rows = [[w.t("site"), w.t("rule"), w.t("hold_decision"), w.t("hold_comment")]] + [
        [d["site"], d["rule_id"], w.label("hold_decision", d["decision"]), s.p(d["comment"])]
        for d in decisions]
    return [Paragraph(_escape(w.t("holds_title")), s.heading),
            _table(rows, s.font, [44 * mm, 16 * mm, 40 * mm, 74 * mm])]


def _jst_span(x: Mapping[str, Any]) -> str:
    from datetime import datetime
    from datetime import timedelta
    from datetime import timezone

    jst = timezone(timedelta(hours=9))
    a = datetime.fromtimestamp(int(x["start"]), jst)
    b = datetime.fromtimestamp(int(x["end"]), jst)
    return f"{a:%Y-%m-%d %H:%M} – {b:%H:%M}" if a.date() == b.date() else \
        f"{a:%Y-%m-%d %H:%M} – {b:%Y-%m-%d %H:%M}"


def _kwh(wh: object) -> object:
    return None if wh is None else Decimal(int(str(wh))) / 1000


def _amounts(amounts: Sequence[Mapping[str, Any]], w: Wording, s: _Styles) -> list[Any]:
    if not amounts:
        return []
    rows = [[w.t("vintage"), w.t("total_tco2"), w.t("credits"), w.t("remainder")]] + [
        [w.fiscal_year(a["vintage"]), w.qty(a["total_tco2"], 2), w.qty(a["credits"], 0),
         w.qty(a["remainder_tco2"], 2)] for a in amounts]
    return [Paragraph(_escape(w.t("certified_amounts")), s.heading), _table(rows, s.font)]


def _report(report: Mapping[str, Any], w: Wording, s: _Styles) -> list[Any]:
    if not report:
        return []
    rows = [[s.p(k), s.p(v)] for k, v in report.items()]
    return [Paragraph(_escape(w.t("verification_details")), s.heading),
            _table(rows, s.font, [50 * mm, 124 * mm], header=False)]


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def render_project_document(document: dict[str, Any], wording: Wording,
                            activities: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """The document as PDF, in ``wording``'s language; ``activities`` (the project's, as
    recorded now) are listed on a plan."""
    w = wording
    font = japanese_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    s = _Styles(font, body,
                ParagraphStyle("heading", parent=body, fontSize=12, leading=18, spaceBefore=8,
                               spaceAfter=3),
                ParagraphStyle("small", parent=body, fontSize=7.5, leading=10),
                ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11))
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=24, alignment=1)
    content = document["content"]
    name = w.label("document", document["kind"])
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm,
                            title=f"{name} {document['project']}",
                            author="J-クレジット制度 (jcredit)")
    period = _as_dict(content.get("period"))
    head = [[w.t("project"), document["project"]]]
    if document.get("period"):
        span = (f" {w.date(period['period_start'])} – {w.date(period['period_end'])}"
                if period.get("period_start") else "")
        head.append([w.t("period"), f"#{document['period']}{span}"])
    head.append([w.t("document_version"), str(document["version"])])
    head.append([w.t("document_created"),
                 f"{w.time(document['created_at'])} · {document['created_by']}"])
    result = _as_dict(content.get("result"))
    story: list[Any] = [Paragraph(_escape(name), title), Spacer(1, 4 * mm),
                        _table(head, font, [50 * mm, 124 * mm], header=False),
                        Spacer(1, 4 * mm)]
    story += _fields(content, w, s)
    if document["kind"] == "PLAN":
        story += _activities(activities, w, s)
    story += _findings(content.get("findings") or [], w, s)
    story += _data(_as_dict(content.get("data")), content.get("missing_activities") or [], w, s)
    story += _settlement(_as_dict(content.get("settlement")), w, s)
    story += _results(result, w, s)
    story += _amounts(content.get("amounts") or result.get("preview") or [], w, s)
    reference = _as_dict(content.get("settlement_ref"))
    if reference:
        story.append(s.p(f"{w.t('dossier_sha256')} {reference.get('sha256')} · "
                         f"{w.t('dossier_root')} {reference.get('readings_root')}", small=True))
    story += _decisions(content.get("hold_decisions") or [], w, s)
    story += _report(_as_dict(content.get("report")), w, s)
    story += [Spacer(1, 8 * mm),
              s.p(f"{w.t('document_version')} {document['version']} · {w.t('document_created')} "
                  f"{w.time(document['created_at'])} · SHA-256 {document['sha256']}",
                  small=True)]
    doc.build(story)
    return buffer.getvalue()
