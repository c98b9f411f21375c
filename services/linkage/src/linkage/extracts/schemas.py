import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ExtractFile(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    grant_id: uuid.UUID
    dataset_id: uuid.UUID
    table: str = Field(validation_alias="table_name")
    version_id: uuid.UUID
    columns: list[str]
    rows: int
    size: int = Field(description="Bytes.")
    key_version: int = Field(description="Version of the project's pseudonym key.")
    sha256: str
    created_at: datetime
