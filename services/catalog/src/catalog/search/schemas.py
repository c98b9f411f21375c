import uuid
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["dataset", "table", "variable", "nomenclature", "code"]


class Hit(BaseModel):
    kind: Kind
    name: str
    label: str
    dataset_id: uuid.UUID | None = None
    dataset_slug: str | None = None
    table: str | None = None
    nomenclature: str | None = None
    created_year: int | None = None
    deleted_year: int | None = None
    score: float
    highlight: str = Field(description="The label with matches wrapped in `<mark>`.")
    snippet: str = Field(description="An excerpt of the description with matches marked.")


class FacetValue(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    kind: list[FacetValue]
    publisher: list[FacetValue]
    theme: list[FacetValue]
    access_rights: list[FacetValue]


class SearchResults(BaseModel):
    total: int
    items: list[Hit]
    facets: Facets
    next_cursor: str | None = None


class SearchFilters(BaseModel):
    kinds: list[Kind] = Field(default_factory=list)
    publisher: list[str] = Field(default_factory=list)
    theme: list[str] = Field(default_factory=list)
    access_rights: list[str] = Field(default_factory=list)
    present_from: int | None = None
    present_to: int | None = None
