import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$"
AccessRights = Literal["public", "restricted", "non_public"]
Status = Literal["draft", "published", "deprecated"]
Identifier = Literal["direct", "indirect", "none"]


def holds_nul(data: object) -> bool:
    """Whether some text in ``data`` holds a NUL character, which PostgreSQL cannot store."""
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in data.items())
    if isinstance(data, list | tuple):
        return any(holds_nul(item) for item in data)
    return False


class StoredText(BaseModel):
    """A payload whose text is stored: a NUL character anywhere in it is malformed input."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if holds_nul(data):
            raise ValueError("Text may not hold a NUL character (\\x00).")
        return data


class ContactPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=300)
    url: str | None = Field(None, max_length=1000)


class DatasetDetails(BaseModel):
    """DCAT-AP and HealthDCAT-AP properties beyond title, description and publisher."""

    model_config = ConfigDict(extra="forbid")

    contact_point: ContactPoint | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    spatial: list[str] = Field(default_factory=list, description="Places, e.g. `FRA` or a URI.")
    legal_basis: list[str] = Field(default_factory=list, description="GDPR art. 6/9 bases.")
    applicable_legislation: list[str] = Field(
        default_factory=list, description="ELI URIs, e.g. the EHDS regulation."
    )
    health_categories: list[str] = Field(default_factory=list)
    personal_data: list[str] = Field(
        default_factory=list, description="Categories of personal data held."
    )
    population_covered: str = ""
    number_of_records: int | None = Field(None, ge=0)
    number_of_individuals: int | None = Field(None, ge=0)
    update_frequency: str | None = Field(None, description="EU frequency code, e.g. `ANNUAL`.")
    version: str | None = None
    provenance: str = ""
    publications: list[str] = Field(default_factory=list)
    health_data_access_body: str | None = Field(None, description="HDAB that grants access.")
    dataset_type: str | None = Field(None, description="EU dataset-type code, e.g. `STATISTICAL`.")
    landing_page: str | None = None


class DatasetCreate(StoredText):
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
    title_en: str = Field("", max_length=500)
    description_en: str = Field("", max_length=20_000)
    access_rights: AccessRights = "non_public"
    themes: list[str] = Field(default_factory=list, max_length=50)
    keywords: list[str] = Field(default_factory=list, max_length=100)
    details: DatasetDetails = Field(default_factory=DatasetDetails)


class Dataset(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    title: str
    description: str
    publisher: str
    title_en: str
    description_en: str
    access_rights: AccessRights
    status: Status
    themes: list[str]
    keywords: list[str]
    details: DatasetDetails
    revision: int
    created_at: datetime
