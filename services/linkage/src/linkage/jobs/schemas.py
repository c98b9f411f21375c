import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from linkage.jobs.models import Job as JobModel


class JobFilter(BaseModel):
    version_id: uuid.UUID | None = Field(
        None, description="Only the jobs of this dataset version (pseudonymisations)."
    )
    kind: Literal["pseudonymise", "extract", "link", "project_data"] | None = None
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
    engine: str | None = Field(
        None, examples=["spark"], description="The engine that ran it: embedded or spark."
    )
    executors: int | None = Field(
        None, description="Executors the engine ran on (embedded: 1, this process)."
    )
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


DERIVED_KEYS = ("norm", "first", "phonetic", "year", "ymd")


def _blocking_column(value: str) -> str:
    for name in value.split("|"):
        column, colon, key = name.partition(":")
        if not column or (colon and key not in DERIVED_KEYS):
            raise ValueError(
                f"{name!r}: a column, or a column and one of {', '.join(DERIVED_KEYS)}"
                " after a colon; alternatives separated by |"
            )
    return value


BlockingColumn = Annotated[
    ColumnName,
    AfterValidator(_blocking_column),
    Field(
        description="A column, a key derived from it (``surname:phonetic``, ``first``,"
        " ``norm``, ``birth_date:year``) or alternatives (``surname:norm|usage_name:norm``)."
    ),
]
Rule = Annotated[list[BlockingColumn], Field(min_length=1, max_length=6)]


class ComparisonSpec(BaseModel):
    column: ColumnName
    kind: Literal["exact", "jaro_winkler", "date", "numeric", "name", "birth_date", "prefix"] = (
        "exact"
    )
    thresholds: list[float] = Field(
        default_factory=list,
        max_length=4,
        description="Similarity floors (Jaro-Winkler, name), absolute differences (days,"
        " units) or prefix lengths (prefix). Names held as pseudonyms compare on their keyed"
        " derived keys (normalised, phonetic, first part): their floors are left out.",
    )
    term_frequency: bool = False
    alternatives: list[ColumnName] = Field(
        default_factory=list,
        max_length=3,
        description="Other columns holding the same thing (a usage name beside the birth"
        " name); the best level over the columns each side has counts.",
    )


class ProbabilisticSpec(BaseModel):
    comparisons: list[ComparisonSpec] = Field(min_length=1, max_length=12)
    blocking_rules: list[Rule] = Field(min_length=1, max_length=12)
    threshold_probability: float | None = Field(
        0.5, gt=0, lt=1, description="None: the threshold of best expected F1, reported."
    )
    one_to_one: bool = True
    clustering: Literal["one_to_one", "many_to_one", "all"] | None = Field(
        None, description="None follows one_to_one (one_to_one or all)."
    )
    prior_rules: list[Rule] = Field(
        default_factory=list,
        max_length=6,
        description="Deterministic rules giving the prior (with prior_recall); when given,"
        " u comes from random pairs and m from EM over training passes.",
    )
    prior_recall: float = Field(0.9, gt=0, le=1)
    training_rules: list[Rule] = Field(
        default_factory=list, max_length=12, description="Training passes; the blocking rules."
    )
    review_bits: float = Field(
        3.0, ge=0, le=20, description="Pairs this close to the threshold weight go to review."
    )


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
