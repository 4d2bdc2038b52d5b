"""The cases the seed documents name (登米市, 加美町, 八葉水産, こうべCO2バンク, ふるさと納税の
自治体, 日南町, 管野組, 出雲市, 山口市, 東広島市 and the companies' uses of renewable-power
J-Credits in 2019–2020), written in our own words with their source, for the case search's
first entries (``jcredit cases seed`` and the demo)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def seed_cases() -> list[dict[str, Any]]:
    text = resources.files("jcredit.domain.cases").joinpath("data/seed_cases.json").read_text(
        encoding="utf-8")
    cases: list[dict[str, Any]] = json.loads(text)
    return cases
