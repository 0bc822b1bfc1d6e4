"""reporting: each share keeps the rounds its unit reported in (``report_assignment.rounds``,
one character per round of the document in order, ``report_round.seq``), so that the
overview and the ranking no longer join the reports per round on every request

Revision ID: reporting_0006
Revises: reporting_0005
Create Date: 2026-12-08
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "reporting_0006"
down_revision = "reporting_0005"
branch_labels = None
depends_on = None

ROUND = sa.table(
    "report_round",
    sa.column("document_id"),
    sa.column("period"),
    sa.column("due_day"),
    sa.column("seq"),
)
TASK = sa.table("task_view", sa.column("task_id"), sa.column("document_id"))
SHARE = sa.table("report_assignment", sa.column("task_id"), sa.column("unit"), sa.column("rounds"))
MARK = sa.table("report_unit_round", sa.column("task_id"), sa.column("unit"), sa.column("period"))


def upgrade() -> None:
    with op.batch_alter_table("report_round") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("report_assignment") as batch:
        batch.add_column(sa.Column("rounds", sa.String(100), nullable=False, server_default=""))
    backfill(op.get_bind())


def backfill(conn: sa.Connection) -> None:
    """What the handlers would have kept (``handlers.refresh_reported``), from the tables."""
    periods: dict[str, list[str]] = defaultdict(list)
    rows = conn.execute(
        sa.select(ROUND.c.document_id, ROUND.c.period).order_by(
            ROUND.c.document_id, ROUND.c.due_day
        )
    )
    seqs = []
    for doc, period in rows:
        periods[doc].append(period)
        seqs.append({"d": doc, "p": period, "s": len(periods[doc])})
    update = (
        sa.update(ROUND)
        .where(ROUND.c.document_id == sa.bindparam("d"), ROUND.c.period == sa.bindparam("p"))
        .values(seq=sa.bindparam("s"))
    )
    if seqs:
        conn.execute(update, seqs)
    marks = conn.execute(sa.select(MARK.c.task_id, MARK.c.unit, MARK.c.period))
    reported = {(task, unit, period) for task, unit, period in marks}
    shares = conn.execute(
        sa.select(SHARE.c.task_id, SHARE.c.unit, TASK.c.document_id).join(
            TASK, TASK.c.task_id == SHARE.c.task_id
        )
    )
    values = [
        {
            "t": task,
            "u": unit,
            "r": "".join("1" if (task, unit, p) in reported else "0" for p in periods[doc]),
        }
        for task, unit, doc in shares
        if periods.get(doc)
    ]
    update = (
        sa.update(SHARE)
        .where(SHARE.c.task_id == sa.bindparam("t"), SHARE.c.unit == sa.bindparam("u"))
        .values(rounds=sa.bindparam("r"))
    )
    for i in range(0, len(values), 5000):
        conn.execute(update, values[i : i + 5000])


def downgrade() -> None:
    with op.batch_alter_table("report_assignment") as batch:
        batch.drop_column("rounds")
    with op.batch_alter_table("report_round") as batch:
        batch.drop_column("seq")
