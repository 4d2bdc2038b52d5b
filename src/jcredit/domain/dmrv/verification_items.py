"""The verification items of a household-PV programme period (docs/dmrv.md §13): which the
system has taken over, with the check that proves each, and which remain for a person.

The pilot of seed 004 cut the verification body's manual items from 69 to 19 (the official
list is not public: dmrv.md §5 "Gaps"); ours are composed from the scheme's monitoring and
verification steps and kept as data (``data/verification_items.csv``, each with its source
and a ``verified`` flag), at most ``MAX_PERSON_ITEMS`` for a person.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

MAX_PERSON_ITEMS = 10


@dataclass(frozen=True)
class Item:
    id: str
    who: str  # "system" or "person"
    item_ja: str
    item_en: str
    proved_by: str
    reason: str
    source: str
    verified: bool


def items() -> list[Item]:
    text = resources.files("jcredit.domain.dmrv").joinpath(
        "data", "verification_items.csv").read_text("utf-8")
    return [Item(row["id"], row["who"], row["item_ja"], row["item_en"], row["proved_by"],
                 row["reason"], row["source"], row["verified"] == "true")
            for row in csv.DictReader(text.splitlines())]


def for_person() -> list[Item]:
    return [i for i in items() if i.who == "person"]
