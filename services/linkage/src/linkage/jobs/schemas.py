import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from linkage.jobs.models import Job as JobModel


class JobFilter(BaseModel):
    version_id: uuid.UUID | None = Field(
        None, description="Only the jobs of this dataset version (pseudonymisations)."
    )
    kind: Literal["pseudonymise", "extract", "link"] | None = None
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None


class Progress(BaseModel):
    rows_done: int
    rows_total: int
    rows_per_second: float | None = None
    eta_seconds: float | None = None


class Job(BaseModel):
    id: uuid.UUID
    kind: str = Field(examples=["pseudonymise"])
    state: str = Field(examples=["running"])
    params: dict[str, Any]
    progress: Progress
    attempts: int
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_model(cls, job: JobModel) -> "Job":
        return cls(
            id=job.id,
            kind=job.kind,
            state=job.state,
            params=job.params,
            progress=_progress(job),
            attempts=job.attempts,
            error=job.error,
            created_by=job.created_by,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


def _progress(job: JobModel) -> Progress:
    progress = Progress(rows_done=job.rows_done, rows_total=job.rows_total)
    if job.started_at is None or not job.rows_done:
        return progress
    end = job.finished_at or datetime.now(UTC)
    elapsed = max((end - job.started_at).total_seconds(), 1e-3)
    progress.rows_per_second = round(job.rows_done / elapsed, 1)
    remaining = max(job.rows_total - job.rows_done, 0)
    progress.eta_seconds = round(remaining / progress.rows_per_second, 1)
    return progress


class ColumnQuality(BaseModel):
    identifier: str
    valid: int
    missing: int
    invalid: dict[str, int] = Field(description="Invalid values by rule; never hashed.")


class JobReport(BaseModel):
    job_id: uuid.UUID
    state: str
    rows_in: int = 0
    rows_out: int = 0
    excluded_by_objection: int = 0
    links: dict[str, Any] | None = Field(
        None, description="Linkage jobs: links by pass, match rates by group, the model."
    )
    key_domain: str | None = None
    key_version: int | None = None
    columns: dict[str, ColumnQuality] = Field(default_factory=dict)
    undeclared_columns: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    seconds: float | None = None
    rows_per_second: float | None = None


class PseudonymiseJobCreate(BaseModel):
    """Pseudonymise again a version the catalogue validated (its event queues the first job).

    The input file and the column kinds are those of the catalogue's event, never the
    caller's: only the version is named.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["pseudonymise"] = "pseudonymise"
    version_id: uuid.UUID


ColumnName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00]+$")]


class ComparisonSpec(BaseModel):
    column: ColumnName
    kind: Literal["exact", "jaro_winkler", "date", "numeric"] = "exact"
    thresholds: list[float] = Field(
        default_factory=list,
        max_length=4,
        description="Similarity floors (Jaro-Winkler) or absolute differences (days, units).",
    )
    term_frequency: bool = False


class ProbabilisticSpec(BaseModel):
    comparisons: list[ComparisonSpec] = Field(min_length=1, max_length=12)
    blocking_rules: list[list[ColumnName]] = Field(min_length=1, max_length=12)
    threshold_probability: float = Field(0.5, gt=0, lt=1)
    one_to_one: bool = True


class LinkJobCreate(BaseModel):
    """Link two pseudonymised versions: exact on pseudonyms, then Fellegi-Sunter on the rest."""

    kind: Literal["link"]
    left_version_id: uuid.UUID
    right_version_id: uuid.UUID
    pseudonym_columns: list[ColumnName] = Field(default_factory=list)
    probabilistic: ProbabilisticSpec | None = None
    group_columns: list[ColumnName] = Field(
        default_factory=list, description="Extra columns (e.g. region) to report match rates by."
    )


def _job_kind(value: Any) -> str:
    found = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return str(found or "pseudonymise")


JobCreate = Annotated[
    Annotated[PseudonymiseJobCreate, Tag("pseudonymise")] | Annotated[LinkJobCreate, Tag("link")],
    Discriminator(_job_kind),
]
