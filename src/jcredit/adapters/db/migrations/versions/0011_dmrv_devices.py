"""dmrv devices: the device registry and the devices' public keys (docs/dmrv.md §1)

A device (meter, PCS or gateway) reports for one reduction activity, the site; its
Ed25519 public keys are rotated (the old one retired, accepted 7 more days) and revoked.
A public key belongs to one device, ever.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dmrv_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("capacity_ac_kw", sa.String(length=40), nullable=False),
        sa.Column("capacity_dc_kw", sa.String(length=40), nullable=False),
        sa.Column("commissioned_on", sa.String(length=10), nullable=False),
        sa.Column("latitude", sa.String(length=40), nullable=False),
        sa.Column("longitude", sa.String(length=40), nullable=False),
        sa.Column("tilt", sa.String(length=40), nullable=True),
        sa.Column("azimuth", sa.String(length=40), nullable=True),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("certification_expires", sa.String(length=10), nullable=True),
        sa.Column("channels", sa.String(length=200), nullable=False),
        sa.Column("registered_at", sa.String(length=40), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"],
                                name=op.f("fk_dmrv_devices_activity_id_activities")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_dmrv_devices_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dmrv_devices")),
        sa.UniqueConstraint("device_id", name=op.f("uq_dmrv_devices_device_id")),
    )
    op.create_index("ix_dmrv_devices_project", "dmrv_devices", ["project_id"])
    op.create_index("ix_dmrv_devices_activity", "dmrv_devices", ["activity_id"])
    op.create_table(
        "dmrv_device_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.String(length=40), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("retired_at", sa.String(length=40), nullable=True),
        sa.Column("revoked_at", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["dmrv_devices.device_id"],
                                name=op.f("fk_dmrv_device_keys_device_id_dmrv_devices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dmrv_device_keys")),
        sa.UniqueConstraint("device_id", "key_id", name=op.f("uq_dmrv_device_keys_device_id")),
        sa.UniqueConstraint("public_key", name=op.f("uq_dmrv_device_keys_public_key")),
    )


def downgrade() -> None:
    op.drop_table("dmrv_device_keys")
    op.drop_index("ix_dmrv_devices_activity", table_name="dmrv_devices")
    op.drop_index("ix_dmrv_devices_project", table_name="dmrv_devices")
    op.drop_table("dmrv_devices")
