import uuid
from typing import Annotated

from fastapi import Depends

from catalog.datasets import service
from catalog.datasets.models import Dataset
from catalog.datasets.visibility import VisibilityDep
from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden
from hdh_common.identity import Principal, PrincipalDep, Role


async def dataset_from_path(
    dataset_id: uuid.UUID, session: SessionDep, visibility: VisibilityDep
) -> Dataset:
    """The dataset of the path, if the caller may see it (a draft is 404 to others)."""
    return await service.get(session, dataset_id, visibility=visibility)


DatasetFromPath = Annotated[Dataset, Depends(dataset_from_path)]


def ensure_can_write(principal: Principal, dataset: Dataset) -> None:
    """Hub staff curate every dataset; a producer writes only to its organisation's."""
    if Role.HUB_STAFF in principal.roles:
        return
    if Role.PRODUCER in principal.roles and principal.organisation == dataset.publisher:
        return
    raise Forbidden("Only hub staff or a producer of the publishing organisation may change it.")


async def writable_dataset(dataset: DatasetFromPath, principal: PrincipalDep) -> Dataset:
    ensure_can_write(principal, dataset)
    return dataset


WritableDataset = Annotated[Dataset, Depends(writable_dataset)]
