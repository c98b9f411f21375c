import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class LinkTable(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    grant_id: uuid.UUID
    name: str = Field(description="The table's name in the project space, e.g. `link_1`.")
    method: str = Field(description="`deterministic` or `probabilistic`.")
    datasets: list[uuid.UUID]
    rows: int = Field(description="Links: pairs of persons, each keyed by a project pseudonym.")
    key_version: int = Field(description="Version of the project's pseudonym key.")
    report: dict[str, Any] = Field(
        description="Match rate, estimated false-match and missed-match rates (probabilistic),"
        " match rates by age band, sex and region (`unknown` for a"
        " missing or foreign code), and the model."
    )
    created_at: datetime
