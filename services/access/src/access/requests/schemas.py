import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    model_validator,
)

from access.text import STORABLE

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=STORABLE),
]
Justification = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000, pattern=STORABLE),
]
Methodology = Literal["MR-001", "MR-002", "MR-003", "MR-004", "MR-005", "MR-006"]


class VariableAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: Name
    name: Name
    justification: Justification = Field(description="Why this variable is needed (minimisation).")


class DatasetAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: uuid.UUID
    variables: list[VariableAsk] = Field(min_length=1, max_length=1_000)

    @model_validator(mode="after")
    def _distinct_variables(self) -> Self:
        names = [(v.table, v.name) for v in self.variables]
        if len(set(names)) != len(names):
            raise ValueError("a variable is asked for twice")
        return self


class DeterministicLinkage(BaseModel):
    """The datasets' persons joined on a pseudonymised identifier they all hold."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["deterministic"] = "deterministic"
    datasets: list[uuid.UUID] = Field(min_length=2, max_length=20)
    on: Name = Field(
        description="The pseudonymised identifier column every dataset holds, e.g. `BEN_NIR_PSA`."
    )

    def columns(self) -> list[tuple[uuid.UUID, str | None, str]]:
        """Each (dataset, table or None for any of its tables, column) the need reads."""
        return [(dataset, None, self.on) for dataset in self.datasets]

    def person_keys(self) -> list[tuple[uuid.UUID, str | None, str]]:
        """The columns persons are keyed by."""
        return self.columns()


QuasiKind = Literal[
    "birth_date", "birth_year", "sex", "postcode", "commune", "surname", "given_name"
]


class LinkedSide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: uuid.UUID
    table: Name
    person: Name = Field(
        description="The table's pseudonymised person identifier: the link table's key."
    )


class QuasiIdentifier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: QuasiKind
    left: Name = Field(description="The column of the left table.")
    right: Name = Field(description="The column of the right table.")


class ProbabilisticLinkage(BaseModel):
    """Two tables linked on quasi-identifiers (Fellegi-Sunter), when no identifier is shared."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["probabilistic"]
    left: LinkedSide
    right: LinkedSide
    compare: list[QuasiIdentifier] = Field(min_length=2, max_length=7)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if (self.left.dataset_id, self.left.table) == (self.right.dataset_id, self.right.table):
            raise ValueError("a probabilistic linkage links two different tables")
        kinds = [q.kind for q in self.compare]
        if len(set(kinds)) != len(kinds):
            raise ValueError("a quasi-identifier kind is compared twice")
        return self

    @property
    def datasets(self) -> list[uuid.UUID]:
        return [self.left.dataset_id, self.right.dataset_id]

    def columns(self) -> list[tuple[uuid.UUID, str | None, str]]:
        left, right = self.left, self.right
        return [
            (left.dataset_id, left.table, left.person),
            (right.dataset_id, right.table, right.person),
            *((left.dataset_id, left.table, q.left) for q in self.compare),
            *((right.dataset_id, right.table, q.right) for q in self.compare),
        ]

    def person_keys(self) -> list[tuple[uuid.UUID, str | None, str]]:
        return self.columns()[:2]


def _linkage_method(value: Any) -> str:
    found = value.get("method") if isinstance(value, dict) else getattr(value, "method", None)
    return str(found or "deterministic")


LinkageNeed = Annotated[
    Annotated[DeterministicLinkage, Tag("deterministic")]
    | Annotated[ProbabilisticLinkage, Tag("probabilistic")],
    Discriminator(_linkage_method),
]
"""How datasets are to be linked; a need stored before methods existed is deterministic."""
LINKAGE_NEED: TypeAdapter[DeterministicLinkage | ProbabilisticLinkage] = TypeAdapter(LinkageNeed)


class LegalBasis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["cnil_authorisation", "reference_methodology"]
    methodology: Methodology | None = Field(None, description="Required for a reference method.")

    @model_validator(mode="after")
    def _methodology_iff_reference(self) -> Self:
        if (self.kind == "reference_methodology") != (self.methodology is not None):
            raise ValueError("a methodology is given exactly for a reference_methodology basis")
        return self

    def describe(self) -> str:
        return self.methodology or "CNIL authorisation"


class RequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: uuid.UUID
    datasets: list[DatasetAsk] = Field(min_length=1, max_length=50)
    period_start: date
    period_end: date
    expected_duration_months: int = Field(ge=1, le=120)
    linkage: list[LinkageNeed] = Field(default_factory=list, max_length=20)
    legal_basis: LegalBasis
    amends_request_id: uuid.UUID | None = Field(
        None, description="The authorised request this one amends."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        asked = [d.dataset_id for d in self.datasets]
        if len(set(asked)) != len(asked):
            raise ValueError("a dataset is asked for twice")
        if any(set(need.datasets) - set(asked) for need in self.linkage):
            raise ValueError("linkage names a dataset that is not asked for")
        return self


class RequestUpdate(BaseModel):
    """New content for a draft, or for a request whose applicant was asked for information."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="The request's `version` as last read.")
    datasets: list[DatasetAsk] | None = Field(None, min_length=1, max_length=50)
    period_start: date | None = None
    period_end: date | None = None
    expected_duration_months: int | None = Field(None, ge=1, le=120)
    linkage: list[LinkageNeed] | None = Field(None, max_length=20)
    legal_basis: LegalBasis | None = None


class AccessRequest(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    state: str
    version: int = Field(description="Send it back with a transition (optimistic concurrency).")
    legal_basis: LegalBasis
    datasets: list[DatasetAsk]
    period_start: date
    period_end: date
    expected_duration_months: int
    linkage: list[LinkageNeed]
    amends_request_id: uuid.UUID | None
    filed_by: str
    due_on: date | None = Field(description="When the current step is due (business days).")
    clock_paused: bool
    review_round: int = Field(
        description="Committee review rounds so far; an opinion is final for its round."
    )
    paused_days_left: int | None
    state_entered_at: datetime
    created_at: datetime


class Transition(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    transition: str
    from_state: str
    to_state: str
    actor: str
    reason: str | None
    due_on: date | None
    at: datetime


class StepStats(BaseModel):
    state: str
    count: int = Field(description="Stays in this state that have ended.")
    median_days: float | None


class Stats(BaseModel):
    per_state: dict[str, int]
    steps: list[StepStats]
    overdue: int
