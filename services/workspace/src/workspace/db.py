from sqlalchemy.orm import DeclarativeBase

from hdh_common.db import schema_metadata
from hdh_common.outbox import MessagingTables, Outbox

SCHEMA = "workspace"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


messaging = MessagingTables(Base.metadata)
outbox = Outbox(messaging, service=SCHEMA)
