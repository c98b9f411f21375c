import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from catalog.datasets.schemas import Identifier


class BasketItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: uuid.UUID
    table: str = Field(min_length=1, max_length=200)
    variable: str = Field(min_length=1, max_length=200)


class BasketItem(BaseModel):
    dataset_id: uuid.UUID
    dataset_slug: str
    table: str
    variable: str
    label: str
    identifier: Identifier
    added_at: datetime


class Basket(BaseModel):
    items: list[BasketItem]


class RequestedVariable(BaseModel):
    table: str
    variable: str
    identifier: Identifier


class RequestedDataset(BaseModel):
    dataset_id: uuid.UUID
    slug: str
    title: str
    variables: list[RequestedVariable]


class AccessRequestInput(BaseModel):
    """The datasets and variables of an access request, as the access service takes them."""

    datasets: list[RequestedDataset]
