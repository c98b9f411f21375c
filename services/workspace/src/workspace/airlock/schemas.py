"""Outputs, release requests and reviews as their users see them."""

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OutputKind = Literal["table", "figure", "report"]
OutputFormat = Literal["csv", "parquet", "png", "pdf"]
NAME = r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$"


class OutputFromAnalysis(BaseModel):
    """Save the result table of one of the project's analyses as an output."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "persons_by_sex_cohort",
                    "analysis_id": "2c5e8a1f-3b4d-4e6f-8a9b-0c1d2e3f4a5b",
                    "persons_column": "persons",
                }
            ]
        },
    )

    name: str = Field(pattern=NAME, description="Saving a name again makes a new version.")
    analysis_id: uuid.UUID
    persons_column: str | None = Field(
        None, description="The column counting the distinct persons behind each row."
    )


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    version: int
    kind: OutputKind
    format: OutputFormat
    table_id: uuid.UUID | None = Field(description="For a figure or report: its table.")
    analysis_id: uuid.UUID | None
    persons_column: str | None
    size: int
    sha256: str
    state: str = Field(description="`saved`, `submitted`, `released` or `rejected`.")
    created_by: str
    created_at: datetime
    released_at: datetime | None


class ReleaseRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "output_ids": ["8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a"],
                    "description": "Persons by sex and birth cohort, 2019-2023.",
                    "justification": "Table 1 of the article; every cell 10 persons or more.",
                }
            ]
        },
    )

    output_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    description: str = Field(min_length=1, max_length=5_000)
    justification: str = Field(min_length=1, max_length=5_000)


class Review(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    checker: str
    decision: str
    comment: str
    decided_at: datetime


class RequestedOutput(BaseModel):
    output: Output
    check: dict[str, Any] = Field(description="The automatic check's report.")
    outcome: str | None = Field(description="`released` or `rejected`, once decided.")
    reviews: list[Review] = Field(
        description="The checkers' decisions and comments (to the project: once decided)."
    )


class ReleaseRequest(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    requester: str
    description: str
    justification: str
    state: str = Field(description="`in_review`, then `decided`.")
    submitted_at: datetime
    due_on: date = Field(description="Five French business days after submission.")
    decided_at: datetime | None
    outputs: list[RequestedOutput]


class ReviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"decision": "reject", "comment": "Row 3 stands for 4 persons."}]
        },
    )

    decision: Literal["approve", "reject"]
    comment: str = Field(min_length=1, max_length=5_000)
