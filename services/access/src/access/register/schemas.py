import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RegisterEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    request_id: uuid.UUID
    project_title: str
    organisation: str
    purpose: str
    datasets: list[dict[str, Any]]
    legal_basis: str
    status: str
    decided_on: date
    justification: str | None
    updated_at: datetime
    outputs_released: int = Field(
        0, description="Results released from the project's space after output checking."
    )
    last_output_released_at: datetime | None = None
