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
PeriodNumber = Annotated[int, Path(ge=1, le=MAX_DB_INT,
                                   description="monitoring period number (1, 2, ...)")]
BeforeSeq = Annotated[int | None, Query(ge=1, le=MAX_DB_INT,
                                        description="entries before this seq (paging)")]
OptionalPeriod = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]
OptionalVersion = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]
