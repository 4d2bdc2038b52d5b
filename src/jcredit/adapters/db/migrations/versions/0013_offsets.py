"""offsets: factor tables, saved calculations, offsets and offset certificates (issue 15)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offset_factor_tables",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("factors", sa.Text(), nullable=False),
        sa.Column("published_at", sa.String(length=40), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_offset_factor_tables")),
    )
    op.create_table(
        "offset_calculations",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("factor_version", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_offset_calculations_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offset_calculations")),
        sa.UniqueConstraint("token", name=op.f("uq_offset_calculations_token")),
    )
    op.create_table(
        "offsets",
        sa.Column("application_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("calculation_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("method", sa.String(length=500), nullable=False),
        sa.Column("period", sa.String(length=100), nullable=False),
        sa.Column("calculated_credits", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["invalidation_applications.id"],
                                name=op.f("fk_offsets_application_id_invalidation_applications")),
        sa.ForeignKeyConstraint(["calculation_id"], ["offset_calculations.id"],
                                name=op.f("fk_offsets_calculation_id_offset_calculations")),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_offsets")),
    )
    op.create_index("ix_offsets_calculation", "offsets", ["calculation_id"])
    op.create_table(
        "offset_certificates",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("third_party", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.String(length=40), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["invalidation_applications.id"],
            name=op.f("fk_offset_certificates_application_id_invalidation_applications")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offset_certificates")),
        sa.UniqueConstraint("number", name=op.f("uq_offset_certificates_number")),
        sa.UniqueConstraint("token", name=op.f("uq_offset_certificates_token")),
    )
    op.create_index("ix_offset_certificates_application", "offset_certificates",
                    ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_offset_certificates_application", table_name="offset_certificates")
    op.drop_table("offset_certificates")
    op.drop_index("ix_offsets_calculation", table_name="offsets")
    op.drop_table("offsets")
    op.drop_table("offset_calculations")
    op.drop_table("offset_factor_tables")
