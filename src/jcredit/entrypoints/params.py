"""Integer parameters as the schema publishes them: ids and sequence numbers from 1 to
PostgreSQL's BIGINT maximum, so a larger number is a 422 naming the parameter (the API) and
never reaches a database that cannot hold it. Shared by the API and the web UI routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from fastapi import Query

from jcredit.domain.text import MAX_DB_INT

ApplicationId = Annotated[int, Path(ge=1, le=MAX_DB_INT,
                                    description="invalidation application id (1 or more)")]
JournalSeq = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="journal entry seq")]
IssuanceId = Annotated[int, Path(ge=1, le=MAX_DB_INT,
                                 description="issuance id (its first block's id)")]
BlockId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="block id")]
PeriodNumber = Annotated[int, Path(ge=1, le=MAX_DB_INT,
                                   description="monitoring period number (1, 2, ...)")]
BeforeSeq = Annotated[int | None, Query(ge=1, le=MAX_DB_INT,
                                        description="entries before this seq (paging)")]
OptionalPeriod = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]
OptionalVersion = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]

# Text path parameters: the schema gives their form, so a request the schema allows is not
# refused for its shape (the domain still checks what a pattern cannot, e.g. check digits).
AccountNumber = Annotated[str, Path(pattern=r"^[A-Z]-[0-9]{7}-[0-9]$",
                                    description="account number, e.g. H-0000006-7",
                                    examples=["H-0000006-7"])]
ProjectNumber = Annotated[str, Path(pattern=r"^JCP-[0-9]{6,19}$",
                                    description="project number, e.g. JCP-000001",
                                    examples=["JCP-000001"])]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256, hex")]
ActivityCode = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[!-~]+$",
                                   description="activity code, e.g. HH-001")]
