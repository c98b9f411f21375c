from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from catalog.datasets.schemas import AccessRights, DatasetDetails, StoredText
from catalog.imports.schemas import BreakingChange, ChangeSet


class DatasetUpdate(StoredText):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=20_000)
    title_en: str | None = Field(None, max_length=500)
    description_en: str | None = Field(None, max_length=20_000)
    access_rights: AccessRights | None = None
    themes: list[str] | None = Field(None, max_length=50)
    keywords: list[str] | None = Field(None, max_length=100)
    details: DatasetDetails | None = None
    note: str = Field("", max_length=2000, description="Why the change was made.")


class Revision(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    revision: int
    changed_by: str
    note: str
    created_at: datetime


class FieldChange(BaseModel):
    before: Any
    after: Any


class RevisionDiff(BaseModel):
    """What changed between two revisions; dropped or retyped variables are breaking."""

    from_revision: int
    to_revision: int
    metadata: dict[str, FieldChange]
    tables: ChangeSet
    variables: ChangeSet
    breaking: list[BreakingChange]
