"""The structured request of an aggregate query and its answer."""

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool
ColumnKind = Literal["pseudonym", "numeric", "text", "date", "boolean"]
Operator = Literal["=", "!=", "<", "<=", ">", ">=", "in", "between"]
MeasureKind = Literal["persons", "count", "sum", "mean", "median", "p25", "p75", "min", "max"]
MAGNITUDES = frozenset({"sum", "mean"})


class ProjectTable(BaseModel):
    """A registered project table: where its Parquet is and what its columns are."""

    model_config = ConfigDict(frozen=True)

    name: str
    columns: dict[str, ColumnKind]
    pseudonym: str
    paths: tuple[Path | str, ...]


class Filter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str | None = Field(None, description="Needed only when the column is ambiguous.")
    column: str
    op: Operator
    value: Scalar | list[Scalar]


class Binning(BaseModel):
    """Bands of a numeric column: ``[origin + k*width, origin + (k+1)*width)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    width: float = Field(gt=0, examples=[10])
    origin: float = 0


class GroupBy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str | None = None
    column: str
    bins: Binning | None = None


class Measure(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: MeasureKind
    table: str | None = None
    column: str | None = Field(None, description="The numeric column; none for persons, count.")

    @property
    def name(self) -> str:
        return self.kind if self.column is None else f"{self.kind}_{self.column}"


class QueryRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tables: list[str] = Field(min_length=1, max_length=3, description="Joined on pseudonyms.")
    filters: list[Filter] = Field(default_factory=list, max_length=10)
    group_by: list[GroupBy] = Field(default_factory=list, max_length=3)
    measures: list[Measure] = Field(default_factory=lambda: [Measure(kind="persons")])


class Reason(StrEnum):
    THRESHOLD = "threshold"
    SECONDARY = "secondary"
    DOMINANCE_P = "dominance-p"
    DOMINANCE_NK = "dominance-nk"


class Cell(BaseModel):
    """One cell; a key of ``None`` in ``margin`` position is the total over that group."""

    keys: list[Scalar | None]
    margin: list[bool]
    persons: int | None
    values: dict[str, float | None]
    rounded_to: dict[str, float] = Field(
        default_factory=dict, description="The rounding base of each magnitude measure."
    )
    suppressed: bool = False
    reasons: list[Reason] = Field(default_factory=list)


class QueryAnswer(BaseModel):
    group_by: list[str]
    measures: list[str]
    threshold: int
    rounding: dict[str, str] = Field(
        default_factory=dict, description="How each magnitude measure was rounded."
    )
    cells: list[Cell]
