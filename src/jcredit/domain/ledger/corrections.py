"""Registry corrections (登録簿の訂正): the only way credits leave a holder's account without
the holder's own instruction.

An ordinary transfer (移転) is the holder's act: the service layer refuses it out of another
organisation's account for every role, the secretariat included. The scheme lets the
secretariat (事務局, the registry administrator) move a holder's credits only to carry out a
court order or a competent authority's decision, to correct an error of the registry itself,
or to record a general succession (merger, inheritance). Each correction names one of these
reasons, explains it in words, is confirmed a second time by typing the account number, is
journaled with both, and the holders concerned are notified.
"""

from __future__ import annotations

from enum import StrEnum


class CorrectionReason(StrEnum):
    COURT_ORDER = "COURT_ORDER"  # 裁判所の命令・公的機関の決定
    ERROR_CORRECTION = "ERROR_CORRECTION"  # 登録簿の誤記録の訂正
    SUCCESSION = "SUCCESSION"  # 合併・相続等の一般承継
