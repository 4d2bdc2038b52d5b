"""The automatic checks (anomaly rules) over one site's readings (dmrv.md §5.3; docs/dmrv.md
§5). Pure, standard library only.

Each per-site rule is a function ``(series, thresholds) -> list[Finding]``;
:func:`evaluate` runs them all on one shared :class:`Context`. Programme-wide rules take other
inputs: R16 (:func:`fleet_check` over annotated series, or :func:`fleet_outliers` over daily
specific yields), R20
(:func:`double_claims`, the registry's claims), R05 (:func:`transport_clock`, a device's
batches). R02 (signatures and the hash chain) is ingestion's, which refuses such a batch.

Asymmetric on purpose: under-reporting only flags (it lowers credits); over-reporting holds or
blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.caps import clear_sky_cap
from jcredit.domain.dmrv.rules.caps import clipping_plateau
from jcredit.domain.dmrv.rules.caps import physical_cap
from jcredit.domain.dmrv.rules.certification import certification_expired
from jcredit.domain.dmrv.rules.claims import Claim
from jcredit.domain.dmrv.rules.claims import double_claims
from jcredit.domain.dmrv.rules.clock import clock_shift
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import merge
from jcredit.domain.dmrv.rules.export import export_above_generation
from jcredit.domain.dmrv.rules.fleet import daily_yields
from jcredit.domain.dmrv.rules.fleet import fleet_check
from jcredit.domain.dmrv.rules.fleet import fleet_outliers
from jcredit.domain.dmrv.rules.gaps import gaps
from jcredit.domain.dmrv.rules.night import night_generation
from jcredit.domain.dmrv.rules.registers import register_integrity
from jcredit.domain.dmrv.rules.schema import duplicates
from jcredit.domain.dmrv.rules.schema import schema
from jcredit.domain.dmrv.rules.schema import timestamps
from jcredit.domain.dmrv.rules.schema import transport_clock
from jcredit.domain.dmrv.rules.stuck import stuck_meter
from jcredit.domain.dmrv.thresholds import Thresholds
from jcredit.domain.dmrv.thresholds import load
from jcredit.domain.dmrv.thresholds import overrides_finding

__all__ = ["RULES", "Claim", "Context", "RuleInfo", "blocked", "daily_yields",
           "double_claims", "evaluate", "fleet_check", "fleet_outliers", "transport_clock"]


@dataclass(frozen=True)
class RuleInfo:
    rule_id: str
    name_en: str
    name_ja: str
    severity: str  # what it can give, as in dmrv.md §5.3


RULES = {r.rule_id: r for r in (
    RuleInfo("R01", "Schema, units, channel, commissioning", "スキーマ・単位・チャネル・運転開始日",
             "BLOCK"),
    RuleInfo("R02", "Signature and hash chain", "署名とハッシュチェーン", "BLOCK"),
    RuleInfo("R03", "Duplicates and conflicts", "重複・矛盾するデータ", "FLAG / HOLD"),
    RuleInfo("R04", "Timestamps: future, order, cadence", "時刻: 未来・順序・計測間隔",
             "BLOCK / HOLD"),
    RuleInfo("R05", "Device clock vs receipt time", "機器時計と受信時刻のずれ", "FLAG / HOLD"),
    RuleInfo("R06", "Clock or time-zone shift (physics)", "時計・タイムゾーンのずれ (日射から)",
             "HOLD"),
    RuleInfo("R07", "Generation at night", "夜間の発電", "FLAG / BLOCK"),
    RuleInfo("R08", "Register reset, rollover, negative delta",
             "積算値のリセット・桁あふれ・逆行", "BLOCK / HOLD"),
    RuleInfo("R09", "Gaps; estimated or interpolated energy", "欠測・推計値・補間値",
             "FLAG / BLOCK"),
    RuleInfo("R10", "Stuck meter, linear back-fill", "メーター固着・直線補間", "HOLD"),
    RuleInfo("R11", "Physical capacity cap", "設備容量による上限", "BLOCK"),
    RuleInfo("R12", "Clear-sky cap", "晴天時発電量による上限", "HOLD"),
    RuleInfo("R14", "Export above generation", "売電量が発電量を超過", "BLOCK / HOLD"),
    RuleInfo("R16", "Fleet outlier", "プログラム内の外れ値", "HOLD / FLAG"),
    RuleInfo("R18", "Clipping plateau above the AC rating", "定格出力を超える頭打ち", "HOLD"),
    RuleInfo("R20", "Double claim", "二重申請", "BLOCK"),
    RuleInfo("R21", "Meter certification expired", "計量器の検定期限切れ", "HOLD"),
    RuleInfo("R22", "Threshold changed from the default", "閾値の既定値からの変更", "HOLD"),
)}

Rule = Callable[..., list[Finding]]
PER_SITE: tuple[Rule, ...] = (
    schema, duplicates, clock_shift, night_generation, register_integrity, gaps,
    stuck_meter, physical_cap, clear_sky_cap, export_above_generation, clipping_plateau,
    certification_expired,
)


def evaluate(series: SiteSeries, thresholds: Thresholds | None = None, *,
             now: int | datetime | None = None) -> list[Finding]:
    """Every per-site rule over ``series`` (R01, R03, R04, R06–R12, R14, R18, R21; R22 when
    ``thresholds`` is not its version's default), sorted by rule and first interval.
    ``now`` (UTC seconds or an aware datetime) enables R04's future check."""
    t = thresholds or load()
    ctx = Context(series, t)
    findings: list[Finding] = []
    for rule in PER_SITE:
        findings.extend(rule(series, t, ctx=ctx))
    findings.extend(timestamps(series, t, now=now, ctx=ctx))
    if ctx.n:
        span = ((ctx.start[0], ctx.start[-1] + ctx.seconds[-1]),)
        findings.extend(overrides_finding(t, site=series.facts.site, intervals=span))
    findings.sort(key=lambda f: (f.rule_id, f.intervals[:1], f.qualified_name))
    return findings


def blocked(findings: Iterable[Finding], site: str | None = None
            ) -> tuple[tuple[int, int], ...]:
    """The BLOCKed ``[start, end)`` ranges (merged), of one site if ``site`` is given: no
    credit for these intervals."""
    return merge(i for f in findings
                 if f.severity is Severity.BLOCK and (site is None or f.site == site)
                 for i in f.intervals)
