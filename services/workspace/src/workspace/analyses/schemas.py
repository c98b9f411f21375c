"""A free SQL analysis as a member sends it, and as it runs."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ANALYSIS_EXAMPLE: dict[str, Any] = {
    "sql": (
        "SELECT b.BEN_NIR_PSA, b.BEN_SEX_COD, sum(c.PRS_PAI_MNT) AS spent"
        " FROM IR_BEN_R b JOIN ER_PRS_F c USING (BEN_NIR_PSA) GROUP BY ALL"
    ),
    "name": "SPENDING",
}


class AnalysisRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ANALYSIS_EXAMPLE]})

    sql: str = Field(
        min_length=1,
        max_length=20_000,
        description="One read-only SELECT over the project's tables, named as listed.",
    )
    name: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$",
        description="The name of the table its result becomes in the space.",
    )


class Analysis(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "2c5e8a1f-3b4d-4e6f-8a9b-0c1d2e3f4a5b",
                    "project_id": "0b6f3c1e-6d1c-4f5e-9a57-3d2f4c1b9e10",
                    "subject": "alice",
                    "name": "SPENDING",
                    "sql": ANALYSIS_EXAMPLE["sql"],
                    "tables": ["IR_BEN_R", "ER_PRS_F"],
                    "state": "succeeded",
                    "progress": 100.0,
                    "problem": None,
                    "table_id": "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "rows": 1843,
                    "created_at": "2026-12-05T10:00:00Z",
                    "finished_at": "2026-12-05T10:00:04Z",
                }
            ]
        },
    )

    id: uuid.UUID
    project_id: uuid.UUID
    subject: str
    name: str
    sql: str
    tables: list[str]
    state: str = Field(description="`queued`, `running`, `succeeded`, `failed` or `cancelled`.")
    progress: float = Field(description="Percent done, as the engine estimates it.")
    problem: dict[str, Any] | None = Field(
        description="Why it failed or stopped, as a problem detail (`type`, `title`, `detail`)."
    )
    table_id: uuid.UUID | None = Field(description="The project table holding the result.")
    rows: int | None
    created_at: datetime
    finished_at: datetime | None
