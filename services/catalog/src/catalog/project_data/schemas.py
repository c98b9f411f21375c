import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from catalog.uploads.schemas import UploadCreate

TABLE_NAME = r"^[a-z][a-z0-9_]{0,62}$"


class TableSchema(BaseModel):
    """A Frictionless Table Schema: the file's fields, their types and constraints. A field
    may say it identifies people (``identifier``, ``identifierKind``); its name and its values
    are judged anyway, and a column that looks like an identifier is one."""

    model_config = ConfigDict(extra="allow")

    fields: list[dict[str, Any]] = Field(min_length=1, max_length=500)
    primaryKey: str | list[str] | None = None
    missingValues: list[str] | None = None


class ProjectUploadCreate(UploadCreate):
    table: str = Field(pattern=TABLE_NAME, description="Name of the table in the project space.")
    grant_id: uuid.UUID = Field(
        description="The project's live grant the data is loaded under: the table stays in"
        " the space while this grant does."
    )
    table_schema: TableSchema = Field(description="The file's Table Schema.")


class ProjectUpload(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    grant_id: uuid.UUID
    table_name: str
    format: str
    declared_size: int
    declared_sha256: str
    status: Literal["open", "validated", "rejected", "aborted", "expired"] = Field(
        description="`validated`: the linkage service now pseudonymises it into the project's"
        " space (`GET /linkage/projects/{project_id}/data` follows it); `rejected`: the"
        " report says why."
    )
    report: dict[str, Any] | None = Field(
        description="The validation report once completed: rows, errors (never a value of an"
        " identifier), counts, the dialect read, the columns found to hold identifiers."
    )
    created_at: datetime
    expires_at: datetime
