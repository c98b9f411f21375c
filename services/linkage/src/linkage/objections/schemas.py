import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class ObjectionCreate(BaseModel):
    identifier: SecretStr = Field(
        description="The person's NIR or national pseudonym; kept only as a central pseudonym."
    )
    kind: Literal["nir", "national_pseudonym"] = "nir"


class Objection(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key_version: int
    created_at: datetime
