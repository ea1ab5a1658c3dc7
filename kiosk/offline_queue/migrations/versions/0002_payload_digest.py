"""Add the payload digest (what a row's idempotency key stands for, kept after the payload is wiped), and
index only the rows still to send (in flight is no longer written: it lives in the forwarder's memory).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for rows stored before: the outbox compares those by decrypting them while it still can.
    op.add_column("outbox", sa.Column("payload_digest", sa.LargeBinary))
    op.drop_index("ix_outbox_state_id", "outbox")
    op.create_index("ix_outbox_pending", "outbox", ["id"], sqlite_where=sa.text("state = 'pending'"))


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", "outbox")
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"])
    op.drop_column("outbox", "payload_digest")
