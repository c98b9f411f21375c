import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Grant(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    request_id: uuid.UUID
    project_id: uuid.UUID
    datasets: list[dict[str, Any]] = Field(
        description="Each dataset with the variables allowed (`table`, `name`) and each"
        " granted table's event dates (`event_dates`: table → columns the period applies to;"
        " an empty list: no event date, the table is granted whole)."
    )
    linkage: list[dict[str, Any]] = Field(
        description="The linkages the request asked for, which the hub runs on the extract."
    )
    period_start: date
    period_end: date
    expires_on: date
    status: str = Field(description="active, expired, revoked, superseded or ended.")
    end_reason: str | None
    issued_at: datetime
    ended_at: datetime | None


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]


class Sweep(BaseModel):
    expired: int


class ReaderRights(BaseModel):
    """Whether ``subject`` may read the grant's data now, decided on live state."""

    grant_id: uuid.UUID
    project_id: uuid.UUID | None
    subject: str
    allowed: bool
    reason: str | None = Field(None, description="Why not, when not allowed.")
