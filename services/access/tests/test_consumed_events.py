"""Events the access service consumes are parsed by its own payload models: malformed data
raises a ValidationError, which the consumer dead-letters at once (nothing is written)."""

from typing import Any, cast

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from access.catalog_refs.consumers import on_catalog_event
from access.grants.consumers import on_linkage_event
from access.state import AccessState
from hdh_common.events import CloudEvent

UNUSED = cast(AsyncSession, None)
NO_STATE = cast(AccessState, None)


def event(type_: str, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(source="/test", type=type_, subject="s", data=data)


@pytest.mark.parametrize(
    ("type_", "data"),
    [
        ("hdh.catalog.table.published.v1", {"dataset_id": "x", "table": "t", "variables": []}),
        (
            "hdh.catalog.table.published.v1",
            {"dataset_id": "8d9f5a8e-8f55-4f43-9d0b-3b2f1f0b6f1e", "table": "t", "variables": 3},
        ),
        (
            "hdh.catalog.dataset.registered.v1",
            {"dataset_id": "8d9f5a8e-8f55-4f43-9d0b-3b2f1f0b6f1e"},
        ),
    ],
)
async def test_malformed_catalogue_events_do_not_validate(type_: str, data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        await on_catalog_event(NO_STATE, UNUSED, event(type_, data))


@pytest.mark.parametrize("data", [{}, {"request_id": None}, {"request_id": "not-a-uuid"}])
async def test_an_extract_without_a_valid_request_does_not_validate(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        await on_linkage_event(NO_STATE, UNUSED, event("hdh.linkage.extract.completed.v1", data))
