import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.basket import schemas
from catalog.basket.repository import BasketRepository
from catalog.datasets.repository import DatasetRepository
from catalog.datasets.visibility import Visibility
from hdh_common.errors import NotFound
from hdh_common.identity import Principal


async def add(
    session: AsyncSession, principal: Principal, payload: schemas.BasketItemCreate
) -> schemas.Basket:
    repository = BasketRepository(session)
    dataset = await DatasetRepository(session).get(payload.dataset_id)
    found = await repository.variable(payload.dataset_id, payload.table, payload.variable)
    if found is None or dataset is None or not Visibility.of(principal).sees(dataset):
        raise NotFound(f"No variable {payload.table}.{payload.variable} in that dataset.")
    await repository.add(principal.subject, payload.dataset_id, payload.table, payload.variable)
    return await basket(session, principal)


async def remove(
    session: AsyncSession, principal: Principal, dataset_id: uuid.UUID, table: str, variable: str
) -> None:
    if not await BasketRepository(session).remove(principal.subject, dataset_id, table, variable):
        raise NotFound("That variable is not in your basket.")


async def basket(session: AsyncSession, principal: Principal) -> schemas.Basket:
    rows = await BasketRepository(session).items(principal.subject)
    return schemas.Basket(
        items=[
            schemas.BasketItem(
                dataset_id=item.dataset_id,
                dataset_slug=slug,
                table=item.table_name,
                variable=item.variable_name,
                label=label,
                identifier=identifier,
                added_at=item.added_at,
            )
            for item, slug, _, label, identifier in rows
        ]
    )


async def as_request(session: AsyncSession, principal: Principal) -> schemas.AccessRequestInput:
    datasets: dict[uuid.UUID, schemas.RequestedDataset] = {}
    for item, slug, title, _, identifier in await BasketRepository(session).items(
        principal.subject
    ):
        entry = datasets.setdefault(
            item.dataset_id,
            schemas.RequestedDataset(
                dataset_id=item.dataset_id, slug=slug, title=title, variables=[]
            ),
        )
        entry.variables.append(
            schemas.RequestedVariable(
                table=item.table_name, variable=item.variable_name, identifier=identifier
            )
        )
    return schemas.AccessRequestInput(datasets=list(datasets.values()))
