import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from catalog.datasets.schemas import Identifier


class Variable(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    label: str
    description: str
    type: str
    format: str
    length: int | None
    unit: str
    required: bool
    nomenclature: str | None
    identifier: Identifier
    sensitivity: str
    created_year: int | None
    deleted_year: int | None
    extra: dict[str, Any]


class ForeignKey(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    fields: list[str]
    reference_table: str
    reference_fields: list[str]


class TableSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    title: str
    description: str
    product: str
    primary_key: list[str]
    event_dates: list[str] = Field(
        description="The column(s) a grant's period is applied to; none: the table is granted"
        " whole (a referential, say)."
    )
    variable_count: int


class OrderSide(BaseModel):
    field: str
    resource: str | None = Field(
        None, description="A table a foreign key points to: the field of the row it points to."
    )


class OrderRule(BaseModel):
    """``before`` comes before ``after`` (or at the same time, unless ``strict``) in each row
    where both are present; dates are compared at the coarser precision of the two."""

    before: OrderSide
    after: OrderSide
    strict: bool = False


class Table(TableSummary):
    variables: list[Variable]
    foreign_keys: list[ForeignKey]
    order_rules: list[OrderRule] = Field(
        default_factory=list, description="The table's `orderRules` between its columns."
    )


class GraphNode(BaseModel):
    id: str
    title: str
    product: str
    primary_key: list[str]


class GraphEdge(BaseModel):
    source: str
    target: str
    fields: list[str]
    reference_fields: list[str]


class Graph(BaseModel):
    """Tables as nodes and foreign keys as edges, ready for a front end to draw."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
