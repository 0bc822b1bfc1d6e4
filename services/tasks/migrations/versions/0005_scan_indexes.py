"""tasks: covering indexes for the deadline scan, and what changed since it last ran

On PostgreSQL, triggers mark a task in ``scan_mark`` whenever a row the scan reads about it
(milestone, assignment, a progress report's task, unit or round, the task's status,
exemption, leaders, government or document) changes, and mark "*" when a reminder policy, the
holiday tables, the reporting rounds or the reminders already asked change. The column lists
keep the progress and signal updates of the task, and a report's review, from firing. The
marks are appended, never merged, so a writer never waits for a scan taking them.

Revision ID: tasks_0005
Revises: tasks_0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "tasks_0005"
down_revision = "tasks_0004"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
REMINDED = sa.text("role IN ('lead', 'responsible') AND status <> 'returned'")

FUNCTIONS = """
CREATE FUNCTION scan_mark_task_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO scan_mark (task_id) VALUES (NEW.task_id);
    END IF;
    IF TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR OLD.task_id <> NEW.task_id) THEN
        INSERT INTO scan_mark (task_id) VALUES (OLD.task_id);
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION scan_mark_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scan_mark (task_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE FUNCTION scan_mark_everything() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scan_mark (task_id) VALUES ('*');
    RETURN NULL;
END $$;
"""
TRIGGERS = {
    "scan_mark_milestone": "AFTER INSERT OR UPDATE OR DELETE ON milestone FOR EACH ROW "
    "EXECUTE FUNCTION scan_mark_task_of_row()",
    "scan_mark_assignment": "AFTER INSERT OR UPDATE OR DELETE ON assignment FOR EACH ROW "
    "EXECUTE FUNCTION scan_mark_task_of_row()",
    "scan_mark_task": "AFTER INSERT OR UPDATE OF status, exempt_reminders, leaders, "
    "government_id, document_id ON task FOR EACH ROW EXECUTE FUNCTION scan_mark_task()",
    "scan_mark_progress_report": "AFTER INSERT OR DELETE OR UPDATE OF task_id, unit, round_id "
    "ON progress_report FOR EACH ROW EXECUTE FUNCTION scan_mark_task_of_row()",
    **{
        f"scan_mark_{table}": f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION scan_mark_everything()"
        for table in ("reminder_policy", "holiday_override", "holiday_year", "reporting_round")
    },
    "scan_mark_reminder_request": "AFTER DELETE OR TRUNCATE ON reminder_request "
    "FOR EACH STATEMENT EXECUTE FUNCTION scan_mark_everything()",
}


def upgrade() -> None:
    op.create_index(
        "ix_milestone_open_due",
        "milestone",
        ["due_date"],
        postgresql_include=["task_id", "id", "phrase"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_assignment_reminded",
        "assignment",
        ["task_id", "id"],
        postgresql_include=["unit"],
        postgresql_where=REMINDED,
        sqlite_where=REMINDED,
    )
    op.create_index(
        op.f("ix_progress_report_round_id_task_id_unit"),
        "progress_report",
        ["round_id", "task_id", "unit"],
    )
    op.create_table(
        "scan_mark",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("task_id", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_mark")),
    )
    op.create_table(
        "scan_state",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scan_state")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTIONS)
        for name, definition in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, definition in TRIGGERS.items():
            table = definition.split(" ON ")[1].split()[0]
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for function in ("scan_mark_task_of_row", "scan_mark_task", "scan_mark_everything"):
            op.execute(f"DROP FUNCTION {function}()")
    op.drop_table("scan_state")
    op.drop_table("scan_mark")
    op.drop_index(op.f("ix_progress_report_round_id_task_id_unit"), table_name="progress_report")
    op.drop_index("ix_assignment_reminded", table_name="assignment")
    op.drop_index("ix_milestone_open_due", table_name="milestone")
