from typing import Annotated

from fastapi import APIRouter, Query, Response

from catalog.datasets.dependencies import DatasetFromPath
from catalog.synthetic import service
from hdh_common.db import SessionDep
from hdh_common.errors import NotFound, Unauthorized, problem_responses

router = APIRouter(prefix="/catalog/datasets/{dataset_id}", tags=["synthetic"])
SYNTHETIC_HEADER = "X-HDH-Synthetic"


@router.get(
    "/tables/{name}/sample",
    response_class=Response,
    summary="Synthetic rows of a table (never real data), as Parquet or CSV",
    description=(
        "Rows generated from the table's Table Schema: every constraint it declares (types "
        "and formats, `enum`, bounds, lengths, `pattern` where feasible, `unique`, the "
        "primary key), real nomenclature codes, keys consistent across tables (same `rows` "
        "and `seed` give samples whose foreign keys join) and the dictionary's order rules "
        "(`order_rules`: a start before its end, care within the person's life). CSV cells "
        "are written as the schema reads them (date formats, true and false values). "
        f"Marked synthetic by the `{SYNTHETIC_HEADER}` header, the file name and, in "
        "Parquet, the `hdh:synthetic` schema metadata."
    ),
    responses={
        200: {"content": {media: {} for media in service.MEDIA_TYPES.values()}},
        **problem_responses(Unauthorized, NotFound),
    },
)
async def synthetic_sample(
    dataset: DatasetFromPath,
    name: str,
    session: SessionDep,
    rows: Annotated[int, Query(ge=1, le=10_000)] = 100,
    seed: Annotated[int, Query(ge=0, le=2**31)] = 0,
    format: Annotated[service.Format, Query()] = "parquet",
) -> Response:
    content = await service.sample(session, dataset.id, name, rows=rows, seed=seed, format=format)
    filename = f"{name}.synthetic.{format}"
    headers = {
        SYNTHETIC_HEADER: "true",
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    return Response(content, media_type=service.MEDIA_TYPES[format], headers=headers)
