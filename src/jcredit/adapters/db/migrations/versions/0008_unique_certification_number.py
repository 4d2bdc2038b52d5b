"""an issuance's 認証番号 is never issued again

A クレジット認証番号 names one certification decision; its credits are issued once. Only
the project lifecycle guarded that (one issuance per monitoring period), so ``credits
issue`` could issue the same 認証番号 twice. The handlers now refuse it (ConflictError on
``certification_number``), and this revision makes the database refuse it too: one
issuance per 認証番号 and vintage (a certification covering several fiscal years is issued
as one block per vintage, in one command, so the number alone cannot be unique). The index
also serves the handlers' look-up by 認証番号.

A database that already holds a repeated 認証番号 and vintage fails this upgrade; find them
with ``SELECT certification_number, vintage, count(*) FROM issuances GROUP BY 1, 2
HAVING count(*) > 1``.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_issuances_certification_number", "issuances",
                    ["certification_number", "vintage"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_issuances_certification_number", table_name="issuances")
