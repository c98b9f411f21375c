import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class NomenclatureVersion(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    label: str
    checksum: str
    code_count: int
    created_by: str
    created_at: datetime


class Nomenclature(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    title: str
    code_field: str
    label_field: str | None
    fields: list[dict[str, Any]]


class NomenclatureDetail(Nomenclature):
    versions: list[NomenclatureVersion]


class Code(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    label: str | None


class NomenclatureChange(BaseModel):
    name: str
    change: Literal["added", "updated", "unchanged"]
    version: int | None = None
