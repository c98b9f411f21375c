import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$"


class DatasetCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "slug": "snds-dcir",
                    "title": "SNDS — Datamart de consommation inter-régimes (DCIR)",
                    "description": "Remboursements de soins de ville, tous régimes.",
                    "publisher": "cnam",
                }
            ]
        },
    )

    slug: str = Field(pattern=SLUG_PATTERN, description="Stable, URL-safe name.")
    title: str = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=20_000)
    publisher: str = Field(
        min_length=1, max_length=100, description="Organisation that produces the dataset."
    )


class Dataset(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    title: str
    description: str
    publisher: str
    created_at: datetime


class DatasetRegistered(BaseModel):
    """Payload of ``hdh.catalog.dataset.registered.v1``."""

    model_config = ConfigDict(frozen=True)

    dataset_id: uuid.UUID
    slug: str
    title: str
    publisher: str
