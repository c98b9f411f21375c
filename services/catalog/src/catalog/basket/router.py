import uuid

from fastapi import APIRouter, status

from catalog.basket import schemas, service
from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import Researcher

router = APIRouter(prefix="/catalog/basket", tags=["basket"])


@router.get(
    "",
    response_model=schemas.Basket,
    summary="My variable basket",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def get_basket(principal: Researcher, session: SessionDep) -> schemas.Basket:
    return await service.basket(session, principal)


@router.post(
    "/items",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Basket,
    summary="Put a variable in my basket",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def add_item(
    payload: schemas.BasketItemCreate, principal: Researcher, session: SessionDep
) -> schemas.Basket:
    return await service.add(session, principal, payload)


@router.delete(
    "/items/{dataset_id}/{table}/{variable}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a variable out of my basket",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def remove_item(
    dataset_id: uuid.UUID, table: str, variable: str, principal: Researcher, session: SessionDep
) -> None:
    await service.remove(session, principal, dataset_id, table, variable)


@router.get(
    "/request",
    response_model=schemas.AccessRequestInput,
    summary="My basket as the datasets and variables of an access request",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def basket_as_request(
    principal: Researcher, session: SessionDep
) -> schemas.AccessRequestInput:
    return await service.as_request(session, principal)
