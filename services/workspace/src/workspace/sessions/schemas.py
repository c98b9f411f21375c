import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Session(BaseModel):
    """A member's notebook session in a project space. Its credentials never leave the
    platform: they go to the session's server, not to this answer."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3f0c2a9e-1b7d-4c5e-8a6f-2d9e0b1c4a7f",
                    "project_id": "0b6f3c1e-6d1c-4f5e-9a57-3d2f4c1b9e10",
                    "subject": "alice",
                    "status": "running",
                    "path": "/user/alice/0b6f3c1e-6d1c-4f5e-9a57-3d2f4c1b9e10/",
                    "grant_ids": ["7c9e6679-7425-40de-944b-e07fc1f90ae7"],
                    "started_at": "2026-12-05T09:30:00Z",
                    "expires_at": "2026-12-05T17:30:00Z",
                    "stopped_at": None,
                    "stop_reason": None,
                }
            ]
        },
    )

    id: uuid.UUID
    project_id: uuid.UUID
    subject: str = Field(description="The member whose session it is.")
    status: str = Field(description="`running`, `stopping` (its access ended) or `stopped`.")
    path: str = Field(description="Path of the session's server on the notebook hub.")
    grant_ids: list[uuid.UUID] = Field(description="The grants whose tables it reads.")
    started_at: datetime
    expires_at: datetime = Field(
        description="When the session's credentials end (its grants' ends, at the latest)."
    )
    stopped_at: datetime | None
    stop_reason: str | None = Field(
        description="`stopped`, `revoked`, `expired`, `superseded`, `ended`, `member_removed`,"
        " `project_closed` or `lapsed` (its credentials ran out)."
    )
