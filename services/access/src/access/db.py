from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import DeclarativeBase

from access.config import Settings
from hdh_common.db import schema_metadata
from hdh_common.outbox import MessagingTables, Outbox

SCHEMA = "access"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


messaging = MessagingTables(Base.metadata)
outbox = Outbox(messaging, service=SCHEMA)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
