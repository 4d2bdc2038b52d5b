"""Database tables (SQLAlchemy Core metadata).

The journal is append-only: migrations add triggers that refuse UPDATE and DELETE on it.
``blocks`` is the projection of the journal that queries read; ``ledger check`` rebuilds it
from the journal and compares. A block row's range, account and reservation never change;
only ``closed_seq`` is set, once, when the block is superseded.
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false

# A 64-bit key that is the rowid itself on SQLite (no separate primary-key index).
RowKey = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# The counters that only issuance and account opening move, and the row that write units
# lock on PostgreSQL. The journal head and the next block id are derived (migration 0005).
registry_state = Table(
    "registry_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("next_serial", BigInteger, nullable=False),
    Column("next_account_seq", Integer, nullable=False),
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("corporate_number", String(13), nullable=False, unique=True),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(16), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=True),
    Column("name", String(200), nullable=False),
    Column("opened_at", String(40), nullable=False),
)

issuances = Table(
    "issuances",
    metadata,
    Column("root_id", BigInteger, primary_key=True, autoincrement=False),
    Column("scheme", String(8), nullable=False),
    Column("credit_type", String(8), nullable=False),
    Column("category", String(32), nullable=False),
    Column("project_id", String(64), nullable=False),
    Column("methodology_id", String(64), nullable=False),
    Column("methodology_version", String(64), nullable=False),
    Column("certification_number", String(64), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("serial_start", BigInteger, nullable=False, unique=True),
    Column("serial_end", BigInteger, nullable=False),
    Column("issued_seq", BigInteger, nullable=False),
)
# One issuance per 認証番号 and vintage, ever (migration 0008).
Index("uq_issuances_certification_number", issuances.c.certification_number,
      issuances.c.vintage, unique=True)

blocks = Table(
    "blocks",
    metadata,
    Column("id", RowKey, primary_key=True, autoincrement=False),
    Column("root_id", BigInteger, ForeignKey("issuances.root_id"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("serial_start", BigInteger, nullable=False),
    Column("serial_end", BigInteger, nullable=False),
    Column("reservation_id", Integer, nullable=True),
    Column("created_seq", BigInteger, nullable=False),
    Column("closed_seq", BigInteger, nullable=True),
    # the issuance's vintage, copied: allocation order comes from the index (migration 0006)
    Column("vintage", Integer, nullable=False),
)
# Partial indexes: a closed block leaves them, so they stay the size of the live ledger.
# An account's live blocks in allocation order (oldest vintage, then lowest serial).
Index("ix_blocks_account_live", blocks.c.account_id, blocks.c.vintage, blocks.c.serial_start,
      sqlite_where=blocks.c.closed_seq.is_(None),
      postgresql_where=blocks.c.closed_seq.is_(None))
_RESERVED = blocks.c.reservation_id.isnot(None) & blocks.c.closed_seq.is_(None)
Index("ix_blocks_reservation", blocks.c.reservation_id,
      sqlite_where=_RESERVED, postgresql_where=_RESERVED)
# An issuance's blocks, live and closed, by serial: a credit's public lineage (0015).
Index("ix_blocks_root", blocks.c.root_id, blocks.c.serial_start)

journal = Table(
    "journal",
    metadata,
    Column("seq", RowKey, primary_key=True, autoincrement=False),
    Column("recorded_at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("request_id", String(200), nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("command", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("postings", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("actor_key", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    # NULL body: the response is the payload of journal entry ``journal_seq`` plus that
    # sequence number, rebuilt on a replay (migration 0005)
    Column("journal_seq", BigInteger),
    Column("body", Text),
    Column("created_at", String(40), nullable=False),
    sqlite_with_rowid=False,
)

# Notices to an organisation about its accounts (a registry correction); what and why are
# in the journal entry ``journal_seq`` (migration 0009).
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("account_number", String(20), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("journal_seq", BigInteger, nullable=False),
    Column("created_at", String(40), nullable=False),
)
Index("ix_notifications_organisation", notifications.c.organisation_id, notifications.c.id)

invalidation_applications = Table(
    "invalidation_applications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("serial_start", BigInteger, nullable=True),
    Column("serial_end", BigInteger, nullable=True),
    Column("use", String(32), nullable=False),
    Column("offset_purpose", String(32), nullable=True),
    Column("purpose_details", String(500), nullable=False),
    Column("credit_user_name", String(200), nullable=False),
    Column("credit_user_corporate_number", String(13), nullable=True),
    Column("reporting_fiscal_year", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("applied_at", String(40), nullable=False),
    Column("applied_by", String(200), nullable=False),
    Column("executed_at", String(40), nullable=True),
    Column("executed_by", String(200), nullable=True),
    Column("notice_number", String(32), nullable=True, unique=True),
    Column("executed_seq", BigInteger, nullable=True),
    # consent to the public list of invalidations (migration 0015)
    Column("published", Boolean, nullable=False, server_default=false()),
)
Index("ix_invalidation_applications_status", invalidation_applications.c.status)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=True),
    Column("password_hash", String(200), nullable=False),
)

# API tokens and web sessions (migration 0007): only a SHA-256 of the secret is stored, so a
# copy of the database logs nobody in. Revoking one is deleting its row.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", RowKey, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("last_used_at", String(40), nullable=True),  # updated at most once a minute
)
Index("ix_api_tokens_user_id", api_tokens.c.user_id)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),  # idle timeout; at most once a minute
    Column("expires_at", String(40), nullable=False),  # absolute timeout
)
Index("ix_web_sessions_user_id", web_sessions.c.user_id)

# --- projects (migration 0003) ---------------------------------------------------------

accreditations = Table(
    "accreditations",
    metadata,
    Column("organisation_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("scope", String(16), primary_key=True),  # a methodology id or a prefix (EN-R, FO)
    Column("granted_at", String(40), nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("number", String(16), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("project_type", String(16), nullable=False),
    Column("methodology_id", String(16), nullable=False),
    Column("methodology_version", String(16), nullable=False),
    Column("implementer_org_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("holder_account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("verifier_org_id", Integer, ForeignKey("organisations.id"), nullable=True),
    Column("state", String(32), nullable=False),
    Column("returned_from", String(32), nullable=True),
    Column("prefecture", String(8), nullable=False),
    Column("address", String(300), nullable=False),
    Column("start_date", String(10), nullable=False),
    Column("monitoring_start", String(10), nullable=False),
    Column("application_date", String(10), nullable=True),
    Column("registered_on", String(10), nullable=True),
    Column("crediting_years", Integer, nullable=False),
    Column("crediting_start", String(10), nullable=True),
    Column("crediting_end", String(10), nullable=True),
    Column("keidanren", Integer, nullable=False),
    Column("additionality", Text, nullable=False),
    Column("plan", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)
Index("ix_projects_implementer", projects.c.implementer_org_id)

activities = Table(
    "activities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("address", String(300), nullable=False),
    Column("site_key", String(300), nullable=False, unique=True),  # never in two projects
    Column("operation_start", String(10), nullable=False),
    Column("expected_tco2_per_year", String(40), nullable=False),
    Column("household", Integer, nullable=False),
    Column("inputs", Text, nullable=False),
    Column("added_on", String(10), nullable=False),
    Column("crediting_start", String(10), nullable=True),
    Column("crediting_end", String(10), nullable=True),
    UniqueConstraint("project_id", "code"),
)

monitoring_periods = Table(
    "monitoring_periods",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("period_start", String(10), nullable=False),
    Column("period_end", String(10), nullable=False),
    Column("state", String(32), nullable=False),
    Column("returned_from", String(32), nullable=True),
    Column("data", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("certified", Text, nullable=False),
    Column("certification_number", String(32), nullable=True, unique=True),
    UniqueConstraint("project_id", "number"),
)

period_issuances = Table(
    "period_issuances",
    metadata,
    # One issuance per period and vintage, ever: nothing is issued twice.
    Column("period_id", Integer, ForeignKey("monitoring_periods.id"), primary_key=True),
    Column("vintage", Integer, primary_key=True),
    Column("root_id", BigInteger, ForeignKey("issuances.root_id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
)

project_events = Table(
    "project_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("period_number", Integer, nullable=True),
    Column("action", String(40), nullable=False),
    Column("from_state", String(32), nullable=True),
    Column("to_state", String(32), nullable=True),
    Column("actor", String(200), nullable=False),
    Column("at", String(40), nullable=False),
    Column("comment", Text, nullable=False),
    Column("journal_seq", BigInteger, nullable=False),
)
Index("ix_project_events_project", project_events.c.project_id)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("period_number", Integer, nullable=True),
    Column("kind", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("project_id", "period_number", "kind", "version"),
)

evidence_files = Table(
    "evidence_files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("uploaded_by", String(200), nullable=False),
    Column("uploaded_at", String(40), nullable=False),
)

# Sites registered in another scheme (類似制度) or outside this registry: the double-
# registration check refuses them, and flags registered activities found there later.
external_registrations = Table(
    "external_registrations",
    metadata,
    Column("site_key", String(300), primary_key=True),
    Column("scheme", String(100), primary_key=True),
    Column("reference", String(200), nullable=False),
    Column("address", String(300), nullable=False),
    Column("imported_at", String(40), nullable=False),
)

# --- dMRV devices (migration 0011; docs/dmrv.md §1) --------------------------------------
# A device reports for one reduction activity (the site). Capacities and coordinates are
# decimal text, as the other quantities here; dates ISO text; times UTC ISO text.

dmrv_devices = Table(
    "dmrv_devices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", String(64), nullable=False, unique=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("activity_id", Integer, ForeignKey("activities.id"), nullable=False),
    Column("capacity_ac_kw", String(40), nullable=False),
    Column("capacity_dc_kw", String(40), nullable=False),
    Column("commissioned_on", String(10), nullable=False),
    Column("latitude", String(40), nullable=False),
    Column("longitude", String(40), nullable=False),
    Column("tilt", String(40), nullable=True),
    Column("azimuth", String(40), nullable=True),
    Column("serial", String(64), nullable=False),
    Column("certification_expires", String(10), nullable=True),
    Column("channels", String(200), nullable=False),  # ';'-separated, canonical order
    Column("registered_at", String(40), nullable=False),
    Column("registered_by", String(200), nullable=False),
)
Index("ix_dmrv_devices_project", dmrv_devices.c.project_id)
Index("ix_dmrv_devices_activity", dmrv_devices.c.activity_id)

# A public key is one device's, ever (unique): a key moved to another device would make
# that device's batches indistinguishable from the first's.
dmrv_device_keys = Table(
    "dmrv_device_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", String(64), ForeignKey("dmrv_devices.device_id"), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("public_key", String(64), nullable=False, unique=True),  # hex of the 32 bytes
    Column("status", String(16), nullable=False),
    Column("added_at", String(40), nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("retired_at", String(40), nullable=True),
    Column("revoked_at", String(40), nullable=True),
    UniqueConstraint("device_id", "key_id"),
)

# The digital creation system (docs/dmrv.md §3): one row per batch a device sent that was
# accepted or held (a replay finds its receipt here), and the refusals of registered devices'
# batches (what an operator sees when a meter sends something wrong).
dmrv_batches = Table(
    "dmrv_batches",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("site", String(100), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("prev", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("form", String(8), nullable=False),
    Column("source", String(8), nullable=False),
    Column("first_start", BigInteger, nullable=False),  # epoch seconds, UTC
    Column("last_end", BigInteger, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # ACCEPTED, HELD
    Column("received_at", String(40), nullable=False),
    Column("receipt", Text, nullable=False),
    Column("parquet_group", String(32), nullable=True),
    Column("conflicts", Text, nullable=True),
    Column("raw", String(200), nullable=False),  # pack:offset:length in the raw store
)
Index("ux_dmrv_batches_device_seq", dmrv_batches.c.device_id, dmrv_batches.c.seq, unique=True)
Index("ix_dmrv_batches_device_end", dmrv_batches.c.device_id, dmrv_batches.c.last_end)
Index("ix_dmrv_batches_site", dmrv_batches.c.site, dmrv_batches.c.first_start)

# The verifier's latest decision on each HOLD finding of a settled period (docs/dmrv.md §12);
# every decision is in the journal (dmrv.decide_hold).
dmrv_hold_decisions = Table(
    "dmrv_hold_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("period_number", Integer, nullable=False),
    Column("finding_key", String(200), nullable=False),
    Column("site", String(100), nullable=False),
    Column("rule_id", String(8), nullable=False),
    Column("decision", String(8), nullable=False),  # ACCEPT, REJECT
    Column("comment", Text, nullable=False),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", String(40), nullable=False),
    Column("journal_seq", Integer, nullable=False),
    UniqueConstraint("project_id", "period_number", "finding_key"),
)

dmrv_refusals = Table(
    "dmrv_refusals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("batch_hash", String(64), nullable=True),
    Column("seq", BigInteger, nullable=True),
    Column("rule_id", String(8), nullable=False),
    Column("field", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("reason_ja", String(500), nullable=False),
    Column("source", String(8), nullable=False),
    Column("received_at", String(40), nullable=False),
)
Index("ix_dmrv_refusals_device", dmrv_refusals.c.device_id, dmrv_refusals.c.id)

# Using credits (docs/offsets.md): the calculators' factor tables (each version immutable),
# saved calculations (shareable by an unguessable token), offsets (an OFFSET invalidation
# with what it offsets) and the offset certificates issued against them. Every row is also
# in the journal (offsets.factors.publish, offsets.calculation.save, offsets.apply,
# offsets.certificate.issue).
offset_factor_tables = Table(
    "offset_factor_tables",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),
    Column("factors", Text, nullable=False),  # JSON: the rows
    Column("published_at", String(40), nullable=False),
    Column("published_by", String(200), nullable=False),
    Column("journal_seq", Integer, nullable=False),
)

offset_calculations = Table(
    "offset_calculations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("token", String(40), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("inputs", Text, nullable=False),  # JSON
    Column("factor_version", Integer, nullable=False),
    Column("result", Text, nullable=False),  # JSON
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("journal_seq", Integer, nullable=False),
)

offsets = Table(
    "offsets",
    metadata,
    Column("application_id", Integer, ForeignKey("invalidation_applications.id"),
           primary_key=True, autoincrement=False),
    Column("calculation_id", Integer, ForeignKey("offset_calculations.id"), nullable=True),
    Column("subject", String(200), nullable=False),
    Column("scope", String(500), nullable=False),
    Column("method", String(500), nullable=False),
    Column("period", String(100), nullable=False),
    Column("calculated_credits", Integer, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("journal_seq", Integer, nullable=False),
)
Index("ix_offsets_calculation", offsets.c.calculation_id)

offset_certificates = Table(
    "offset_certificates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("number", String(40), nullable=False, unique=True),
    Column("token", String(40), nullable=False, unique=True),
    Column("application_id", Integer, ForeignKey("invalidation_applications.id"),
           nullable=False),
    Column("holder_name", String(200), nullable=False),
    Column("quantity", String(40), nullable=False),  # t-CO2, Decimal text (kg precision)
    Column("third_party", Integer, nullable=False),  # 0: the offsetting party itself
    Column("issued_at", String(40), nullable=False),
    Column("issued_by", String(200), nullable=False),
    Column("journal_seq", Integer, nullable=False),
)
Index("ix_offset_certificates_application", offset_certificates.c.application_id)

# Projects registered before jcredit, from the official public list (issue 16; imported by
# `jcredit project import-registered`, journaled as projects.import_registered).
registered_projects = Table(
    "registered_projects",
    metadata,
    Column("no", String(32), primary_key=True),
    Column("applied_on", String(10), nullable=True),
    Column("implementer", String(200), nullable=False),
    Column("implementer_corporate_number", String(13), nullable=True),
    Column("location", String(500), nullable=False),
    Column("prefecture", String(8), nullable=False),
    Column("holder", String(200), nullable=False),
    Column("holder_corporate_number", String(13), nullable=True),
    Column("summary", Text, nullable=False),
    Column("start_date", String(10), nullable=True),
    Column("methodology_id", String(16), nullable=False),
    Column("methodology_version", String(16), nullable=False),
    Column("methodology_text", String(100), nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("journal_seq", Integer, nullable=False),
)
Index("ix_registered_projects_methodology", registered_projects.c.methodology_id)

# The case database (活用事例・創出事例, issue 16, migration 0016): what a case says is
# ``content`` (JSON, domain.cases.model.CaseContent.as_dict); the columns beside it are what
# the search filters on. ``search_text`` is the folded text (domain.cases.model.fold) that
# the full-text index covers: on SQLite the FTS5 table ``cases_fts`` (trigram tokenizer,
# kept in step by triggers), on PostgreSQL a pg_trgm GIN index (both made by the migration,
# not declared here). Journaled as cases.submit / cases.review.
cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("prefecture", String(8), nullable=False),
    Column("category", String(32), nullable=True),
    Column("uses", String(200), nullable=False),  # " USE USE " (space-delimited codes)
    Column("method", String(32), nullable=False),
    Column("mark", Boolean, nullable=False),
    Column("content", Text, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=True),
    Column("submitted_by", String(200), nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("reviewed_by", String(200), nullable=True),
    Column("reviewed_at", String(40), nullable=True),
    Column("review_note", String(1000), nullable=True),
    Column("journal_seq", Integer, nullable=False),
)
Index("ix_cases_status", cases.c.status)
