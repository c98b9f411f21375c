import uuid
from typing import Literal

from pydantic import BaseModel, Field

from catalog.nomenclatures.schemas import NomenclatureChange


class BreakingChange(BaseModel):
    table: str
    variable: str
    change: Literal["removed", "retyped"]
    before: str | None = None
    after: str | None = None


class ChangeSet(BaseModel):
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)
    unchanged: int = 0


class ImportCounts(BaseModel):
    tables: int
    variables: int
    primary_keys: int
    foreign_keys: int
    nomenclature_references: int
    nomenclatures: int


class ImportReport(BaseModel):
    """What an import changed; importing the same document again changes nothing."""

    dataset_id: uuid.UUID | None
    changed: bool
    revision: int | None
    tables: ChangeSet
    variables: ChangeSet
    breaking: list[BreakingChange]
    nomenclatures: list[NomenclatureChange]
    counts: ImportCounts
