import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ProjectData(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="The catalogue's upload id.")
    project_id: uuid.UUID
    grant_id: uuid.UUID
    table: str = Field(validation_alias="table_name")
    status: Literal["queued", "loaded", "failed"]
    reason: str | None = Field(description="Why it failed (names columns, never values).")
    rows: int | None
    key_version: int | None = Field(description="Version of the project's pseudonym key.")
    created_by: str
    created_at: datetime
    finished_at: datetime | None
