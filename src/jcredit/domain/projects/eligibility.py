"""Eligibility at registration (登録要件): named checks that each return a finding.

Every check returns a :class:`Finding` (passed or not, with the numbers it looked at), so
the applicant and the validator see the same list; :func:`check_registration` runs them
all. Sources: jcredit-rules.md §1.4, §1.5; jcredit-rules-verification.md §5.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies.base import divide
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D
from jcredit.domain.numbers import for_people

PAYBACK_THRESHOLD_YEARS = D(3)
"""Additional when the self-funded payback is 3 years or more (3年以上),
https://expydoc.com/doc/7420739/ ."""

PROGRAMME_ACTIVITY_LIMIT_TCO2 = D(500)
"""Programme-type activity: expected reduction ≤ 500 t-CO2/yr (https://expydoc.com/doc/7426643/)."""

CREDITING_YEARS = 8
FOREST_MAX_CREDITING_YEARS = 16
"""Forest management: 8 years, extendable to 16 (rinya press release 2022-08-10)."""

LOOKBACK_YEARS = 2
"""Started on or after the date two years before the application (2年前の日以降)."""

PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one eligibility check.

    Attributes:
        check: stable name, e.g. ``TWO_YEAR_RULE``.
        passed: whether the rule is met.
        message: what was checked, with the numbers, in words.
        manual_review: the rule needs a person to decide (e.g. EcoCute 卒FIT).
        subject: what it is about (an activity, a site).
        values: the numbers compared, at full precision (the message rounds them for
            people).
        message_ja: the same in Japanese, for the pages and documents people read.
    """

    check: str
    passed: bool
    message: str
    manual_review: bool = False
    subject: str = ""
    values: tuple[tuple[str, str], ...] = ()
    message_ja: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"check": self.check, "passed": self.passed, "message": self.message,
                "message_ja": self.message_ja, "manual_review": self.manual_review,
                "subject": self.subject, "values": dict(self.values)}


def ja_date(day: date) -> str:
    """2026年4月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def check_in_japan(prefecture: str) -> Finding:
    """Carried out in Japan: the site is in one of the 47 prefectures."""
    ok = prefecture in PREFECTURES
    return Finding("IN_JAPAN", ok, f"site prefecture {prefecture!r}"
                   + (" is in Japan" if ok else " is not a Japanese prefecture"),
                   message_ja=f"実施場所の都道府県「{prefecture}」は"
                   + ("国内です" if ok else "日本の都道府県ではありません"))


def check_two_year_rule(start_date: date, application_date: date, *, forest: bool = False
                        ) -> Finding:
    """Started on or after the date two years before the registration application.

    Forest management projects are exempt (http://krutar.com/faq/ Q1-2).
    """
    earliest = years_before(application_date, LOOKBACK_YEARS)
    if forest:
        return Finding("TWO_YEAR_RULE", True, "forest projects are exempt from the 2-year rule",
                       message_ja="森林管理プロジェクトは2年ルールの対象外です")
    ok = start_date >= earliest
    return Finding("TWO_YEAR_RULE", ok, f"started {start_date}; must be on or after {earliest} "
                   f"(2 years before the application on {application_date})",
                   message_ja=f"開始日 {ja_date(start_date)}。申請日 {ja_date(application_date)} "
                   f"の2年前 ({ja_date(earliest)}) 以降である必要があります")


def check_equipment_age(operation_start: date, application_date: date, *, subject: str = ""
                        ) -> Finding:
    """Equipment in principle within 2 years of starting operation (稼働から2年以内)."""
    earliest = years_before(application_date, LOOKBACK_YEARS)
    ok = operation_start >= earliest
    return Finding("EQUIPMENT_AGE", ok, f"equipment operating since {operation_start}; must be "
                   f"on or after {earliest}", subject=subject,
                   message_ja=f"設備の稼働開始日 {ja_date(operation_start)}。"
                   f"{ja_date(earliest)} 以降である必要があります")


@dataclass(frozen=True, slots=True)
class CreditingPeriod:
    start: date
    end: date  # inclusive
    years: int
    capped: bool

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "years": self.years, "capped": self.capped}


def crediting_period(application_date: date, monitoring_start: date, *, forest: bool = False,
                     years: int | None = None, cap: date | None = None) -> CreditingPeriod:
    """The crediting period (認証対象期間).

    It starts on the later of the application date and the monitoring start and ends on
    the day 8 years have passed (開始日から8年を経過する日, i.e. the day before the 8th
    anniversary). Forest management may ask for up to 16 years. ``cap`` is the optional
    2031-03-31 limit of older texts (jcredit-rules.md §1.5): a configurable rule.

    Examples
    --------
    >>> crediting_period(date(2025, 4, 1), date(2025, 6, 1)).end
    datetime.date(2033, 5, 31)
    """
    length = years if years is not None else CREDITING_YEARS
    limit = FOREST_MAX_CREDITING_YEARS if forest else CREDITING_YEARS
    if not 1 <= length <= limit:
        raise ValidationError(
            f"crediting_years must be 1 to {limit} for "
            f"{'forest management' if forest else 'an emission-reduction'} project, got {length}",
            field="crediting_years",
        )
    start = max(application_date, monitoring_start)
    end = years_after(start, length) - timedelta(days=1)
    capped = cap is not None and cap < end
    return CreditingPeriod(start, cap if capped and cap is not None else end, length, capped)


PERMANENCE_YEARS_AFTER = 10
"""Forest: keep a 森林経営計画 and file it, with felling and replanting notices, by 30 June
each year during the crediting period and for 10 years after (岩手県 J-VER page,
https://www.pref.iwate.jp/sangyoukoyou/ringyou/kenyuurin/jver/1065509.html)."""


def permanence_end(period: CreditingPeriod) -> date:
    """The last day of a forest project's permanence obligation: 10 years after the
    crediting period ends (the last 30 June filing falls on or before it).

    >>> permanence_end(crediting_period(date(2026, 4, 1), date(2026, 4, 1), forest=True,
    ...                                 years=16))
    datetime.date(2052, 3, 31)
    """
    return years_after(period.end, PERMANENCE_YEARS_AFTER)


def permanence_filings(period: CreditingPeriod) -> list[date]:
    """The 30 June filing deadlines of a forest project's permanence obligation.

    Every 30 June after the crediting period starts, until 10 years after it ends.

    >>> p = crediting_period(date(2026, 4, 1), date(2026, 4, 1), forest=True, years=16)
    >>> filings = permanence_filings(p)
    >>> filings[0], filings[-1], len(filings)
    (datetime.date(2026, 6, 30), datetime.date(2051, 6, 30), 26)
    """
    obligation_end = permanence_end(period)
    deadlines = []
    year = period.start.year if period.start <= date(period.start.year, 6, 30) \
        else period.start.year + 1
    while date(year, 6, 30) <= obligation_end:
        deadlines.append(date(year, 6, 30))
        year += 1
    return deadlines


def payback_years(investment_yen: Decimal, subsidy_yen: Decimal, annual_income_yen: Decimal,
                  annual_running_cost_yen: Decimal) -> Decimal | None:
    """Investment payback, (① investment − ② subsidy) / (③ annual income − ④ running cost).

    ③ is the yearly saving or income; ④ the running cost, net of any revenue from
    electricity or heat supplied outside (jcredit-rules-verification.md §5). ``None`` when
    the project never pays back (③ ≤ ④).

    Examples
    --------
    The registered project's 資料6 (千円): (70,200 − 20,000) / (10,624 − 3,900).

    >>> round(payback_years(D(70200), D(20000), D(10624), D(3900)), 1)
    Decimal('7.5')
    """
    net = annual_income_yen - annual_running_cost_yen
    if net <= ZERO:
        return None
    return divide(investment_yen - subsidy_yen, net)


class AdditionalityExemption(StrEnum):
    NONE = "NONE"
    HOUSEHOLD = "HOUSEHOLD"  # 家庭部門: 追加性の評価は不要
    METHODOLOGY = "METHODOLOGY"  # the methodology waives it
    POST_FIT_PV = "POST_FIT_PV"  # 卒FIT PV with an additional investment


POST_FIT_INVESTMENTS = ("PCS_CURTAILMENT", "BATTERY", "EV_PHEV", "ECOCUTE")


def effective_exemption(filed: AdditionalityExemption, *, household_programme: bool,
                        methodology_waived: bool) -> AdditionalityExemption:
    """The exemption that decides additionality: the most specific rule wins.

    卒FIT PV is a rule about the equipment (an additional investment is required, and
    EcoCute alone goes to a person), so it wins over the household-programme exemption,
    which only waives the payback test (jcredit-rules.md §1.4, seed 000). Then the
    household programme, then a methodology's own waiver, then what was filed.

    >>> effective_exemption(AdditionalityExemption.POST_FIT_PV, household_programme=True,
    ...                     methodology_waived=False).value
    'POST_FIT_PV'
    >>> effective_exemption(AdditionalityExemption.NONE, household_programme=True,
    ...                     methodology_waived=True).value
    'HOUSEHOLD'
    """
    if filed is AdditionalityExemption.POST_FIT_PV:
        return filed
    if household_programme:
        return AdditionalityExemption.HOUSEHOLD
    if methodology_waived:
        return AdditionalityExemption.METHODOLOGY
    return filed


def check_additionality(
    *,
    payback: Decimal | None,
    exemption: AdditionalityExemption = AdditionalityExemption.NONE,
    post_fit_investments: Iterable[str] = (),
) -> Finding:
    """Additionality: payback of the self-funded part ≥ 3 years, or an exemption.

    卒FIT PV needs an additional investment (PCS with curtailment, battery, EV/PHEV, or a
    heat pump with a tank); with it the payback test is omitted, except that EcoCute alone
    goes to manual review (seed 000, 東北経済産業局 2022).
    """
    if exemption is AdditionalityExemption.HOUSEHOLD:
        return Finding("ADDITIONALITY", True, "household activity: 経済的障壁を有する蓋然性が"
                       "高いため追加性の評価は不要",
                       message_ja="家庭部門の削減活動: 経済的障壁を有する蓋然性が高いため"
                       "追加性の評価は不要")
    if exemption is AdditionalityExemption.METHODOLOGY:
        return Finding("ADDITIONALITY", True, "the methodology waives the additionality test",
                       message_ja="方法論により追加性の評価は不要です")
    if exemption is AdditionalityExemption.POST_FIT_PV:
        chosen = set(post_fit_investments)
        unknown = chosen - set(POST_FIT_INVESTMENTS)
        if unknown:
            raise ValidationError(f"unknown 卒FIT investment {sorted(unknown)[0]!r}",
                                  field="post_fit_investments", valid=POST_FIT_INVESTMENTS)
        if not chosen:
            return Finding("ADDITIONALITY", False, "卒FIT PV needs an additional investment: "
                           "PCS with curtailment, battery, EV/PHEV or EcoCute",
                           message_ja="卒FIT太陽光には追加投資 (出力制御機能付きPCS、蓄電池、"
                           "EV・PHEV、エコキュートのいずれか) が必要です")
        if chosen == {"ECOCUTE"}:
            return Finding("ADDITIONALITY", True, "卒FIT PV with EcoCute: the payback may still "
                           "be needed; the validator decides", manual_review=True,
                           message_ja="卒FIT太陽光とエコキュート: 投資回収年数の評価が必要な場合が"
                           "あります (審査機関が判断します)")
        return Finding("ADDITIONALITY", True, "卒FIT PV with an additional investment ("
                       + ", ".join(sorted(chosen)) + "): payback test omitted",
                       message_ja="卒FIT太陽光と追加投資: 投資回収年数の評価は不要です")
    if payback is None:
        return Finding("ADDITIONALITY", True, "the investment never pays back from savings "
                       "(income ≤ running cost): additional",
                       message_ja="収入が運転費以下のため投資を回収できません: 追加性あり")
    ok = payback >= PAYBACK_THRESHOLD_YEARS
    return Finding("ADDITIONALITY", ok, f"payback {for_people(payback)} years "
                   + ("≥ 3: additional" if ok else "< 3: not additional"),
                   message_ja=f"投資回収年数 {for_people(payback)} 年 "
                   + ("≥ 3年: 追加性あり" if ok else "< 3年: 追加性なし"),
                   values=(("payback_years", str(payback)),
                           ("threshold_years", str(PAYBACK_THRESHOLD_YEARS))))


def check_programme_activity_size(expected_tco2_per_year: Decimal, *, subject: str = ""
                                  ) -> Finding:
    """A programme-type activity must expect at most 500 t-CO2/yr."""
    ok = expected_tco2_per_year <= PROGRAMME_ACTIVITY_LIMIT_TCO2
    return Finding("PROGRAMME_ACTIVITY_SIZE", ok,
                   f"expected {for_people(expected_tco2_per_year)} t-CO2/yr; the limit is 500",
                   subject=subject,
                   message_ja=f"想定削減量 {for_people(expected_tco2_per_year)} t-CO2/年 "
                   "(上限 500 t-CO2/年)",
                   values=(("expected_tco2_per_year", str(expected_tco2_per_year)),
                           ("limit_tco2_per_year", str(PROGRAMME_ACTIVITY_LIMIT_TCO2))))


def site_key(address_or_device: str) -> str:
    """Normalised identity of a site or device for the double-registration check.

    >>> site_key(" 岐阜県 岐阜市１－２ ") == site_key("岐阜県岐阜市1-2")
    True
    """
    text = unicodedata.normalize("NFKC", address_or_device)
    text = text.replace("\u2212", "-").replace("\u2010", "-")  # minus sign, hyphen
    return "".join(text.split()).upper()


def check_double_registration(key: str, registered_elsewhere: dict[str, str], *,
                              subject: str = "") -> Finding:
    """The same site or device is not in another project or a similar scheme.

    ``registered_elsewhere`` maps site keys to where they are registered. From December
    2025 the registry checks programme members automatically (jcredit-rules.md §1.2).
    """
    where = registered_elsewhere.get(site_key(key))
    if where is None:
        return Finding("DOUBLE_REGISTRATION", True, "not registered in another project",
                       subject=subject, message_ja="他のプロジェクトに登録されていません")
    return Finding("DOUBLE_REGISTRATION", False, f"already registered in {where}",
                   subject=subject, message_ja=f"{where} に登録済みです")
