import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SHA256 = r"^[0-9a-f]{64}$"


class Dialect(BaseModel):
    """A CSV dialect, as Frictionless describes one (plus the encoding and decimal mark)."""

    model_config = ConfigDict(extra="forbid")

    delimiter: Literal[",", ";", "\t", "|"] | None = None
    quoteChar: Literal['"', "'"] | None = None
    header: bool | None = None
    encoding: Literal["utf-8", "utf-8-sig", "windows-1252"] | None = None
    decimalChar: Literal[".", ","] | None = None


class UploadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str = Field(min_length=1, max_length=200, description="Table of the dataset.")
    format: Literal["csv", "parquet"] = "csv"
    delimiter: Literal[",", ";", "\t", "|"] | None = Field(
        None, description="CSV delimiter (the same as `dialect.delimiter`); detected when absent."
    )
    dialect: Dialect = Field(
        default_factory=Dialect,
        description="The file's CSV dialect as far as the producer knows it; what is left out"
        " is detected from the file and reported.",
    )
    size: int = Field(ge=1, description="Declared size of the whole file, in bytes.")
    sha256: str = Field(pattern=SHA256, description="Declared SHA-256 of the whole file (hex).")


class Part(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    size: int
    sha256: str
    received_at: datetime


class Upload(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    dataset_id: uuid.UUID
    table_name: str
    format: str
    delimiter: str | None
    dialect: dict[str, Any]
    declared_size: int
    declared_sha256: str
    status: str
    created_at: datetime
    expires_at: datetime


class Version(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    dataset_id: uuid.UUID
    table_name: str
    number: int
    status: Literal["validated", "rejected"]
    upload_id: uuid.UUID
    source_size: int
    source_sha256: str
    row_count: int
    object_sha256: str | None
    object_size: int | None
    created_by: str
    created_at: datetime


class ValidationReport(BaseModel):
    """Errors of a version: the first ones in full (row, column, value, rule), and counts."""

    version: int
    status: str
    rows: int
    error_count: int
    counts: dict[str, int]
    errors: list[dict[str, Any]] = Field(
        description="Frictionless error `type` (`type-error`, `constraint-error`,"
        " `primary-key`, `unique-error`, `foreign-key`, `missing-cell`, `extra-cell`,"
        " `blank-row`, `*-label`, `encoding-error`, `dialect-error`...), `rule`, `row` (the"
        " header is row 1), `column` and `value` (never one of an identifier)."
    )
    omitted: dict[str, int] = Field(
        default_factory=dict,
        description="Errors counted but not listed, by rule and column (a few are listed per"
        " rule).",
    )
    dialect: dict[str, Any] | None = Field(
        None,
        description="The CSV dialect the file was read with, and which of its attributes were"
        " detected rather than declared.",
    )
    notices: list[dict[str, str]] = Field(
        default_factory=list,
        description="Columns found to hold identifiers whatever they were declared: the"
        " column, the rule that fired and the identifier kind it is now published with.",
    )


class ColumnStatistics(BaseModel):
    count: int | None
    missing: int | None
    min: float | None = Field(
        None, description="A low bound, not the minimum: the 10th smallest value, rounded down."
    )
    max: float | None = Field(
        None, description="A high bound, not the maximum: the 10th largest value, rounded up."
    )
    categories: dict[str, int | None] | None = Field(
        None, description="Counts by code; null for a count hidden by the small-cell rule."
    )
    masked: bool = Field(
        description="Some figures are hidden by the small-cell rule (< 10), with at least one"
        " more so that the total cannot give them back."
    )
