import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

PROJECT_EXAMPLE = "0b6f3c1e-6d1c-4f5e-9a57-3d2f4c1b9e10"


class Space(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "project_id": PROJECT_EXAMPLE,
                    "status": "open",
                    "members": ["alice", "carla"],
                    "opened_at": "2026-12-05T09:30:00Z",
                    "closed_at": None,
                }
            ]
        },
    )

    project_id: uuid.UUID
    status: str = Field(description="`open`, or `closed` once the project closed.")
    members: list[str] = Field(description="Subjects of the project's members now.")
    opened_at: datetime
    closed_at: datetime | None


class Grant(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: str
    period_start: date | None
    period_end: date | None
    expires_at: datetime = Field(description="When access ends (midnight, Paris).")


class SpaceDetail(Space):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": PROJECT_EXAMPLE,
                    "status": "open",
                    "members": ["alice", "carla"],
                    "opened_at": "2026-12-05T09:30:00Z",
                    "closed_at": None,
                    "grants": [
                        {
                            "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                            "status": "live",
                            "period_start": "2020-01-01",
                            "period_end": "2024-12-31",
                            "expires_at": "2027-12-05T23:00:00Z",
                        }
                    ],
                }
            ]
        }
    )

    grants: list[Grant] = Field(description="The live grants opening the space's tables.")


class Column(BaseModel):
    name: str
    type: str = Field(examples=["string", "int32", "date32[day]"])
    kind: str = Field(description="`pseudonym`, or the catalogue's identifier kind (`none`…).")


class Table(BaseModel):
    """A table of the space: its description only, never its rows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "project_id": PROJECT_EXAMPLE,
                    "grant_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                    "dataset_id": "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f",
                    "name": "PEOPLE",
                    "columns": [
                        {"name": "NIR", "type": "string", "kind": "pseudonym"},
                        {"name": "AGE", "type": "int32", "kind": "none"},
                    ],
                    "rows": 12034,
                    "key_version": 1,
                    "period_start": "2020-01-01",
                    "period_end": "2024-12-31",
                    "registered_at": "2026-12-05T09:45:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    project_id: uuid.UUID
    grant_id: uuid.UUID
    dataset_id: uuid.UUID | None = Field(
        description="None for the result of an analysis or a link table."
    )
    name: str
    columns: list[Column]
    rows: int
    key_version: int = Field(description="Version of the project's pseudonym key.")
    period_start: date | None = Field(description="The grant's period.")
    period_end: date | None
    registered_at: datetime
