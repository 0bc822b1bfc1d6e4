"""The tasks service's table metadata: every concept's models share it, so that one Alembic
history and one ``create_all`` cover them all. Every row about a government carries its
``government_id``: several governments share one deployment and never see each other's data.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase

from shared.contracts import limits
from shared.db import new_metadata
from shared.identity.credentials import add_credential_table
from shared.messaging.tables import add_messaging_tables

metadata = new_metadata()
add_messaging_tables(metadata)
add_credential_table(metadata)  # verified from, like every service's (tokens.py writes it)

GOV = String(limits.GOVERNMENT_ID)  # a government (tenant) id
NAME = String(limits.UNIT_NAME)  # a unit's name


class Base(DeclarativeBase):
    metadata = metadata
