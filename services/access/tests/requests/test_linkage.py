"""A request's linkages say how (deterministic on a pseudonymised identifier, probabilistic
on quasi-identifiers), are checked against what the request asks, and travel with the grant."""

import uuid
from typing import Any

import sqlalchemy as sa

COHORT = {"ID_COHORTE": "direct", "DATE_NAISSANCE": "birth_date", "SEXE": "sex"}
COHORT |= {"CODE_POSTAL": "none"}
REFERENTIAL = {"BEN_NIR_PSA": "national_pseudonym", "BEN_NAI_DTE": "birth_date"}
REFERENTIAL |= {"BEN_SEX_COD": "sex", "BEN_RES_COM": "none"}
CARE = {"BEN_NIR_PSA": "national_pseudonym", "PRS_NAT_REF": "none"}
TABLES = {"COHORTE": COHORT, "IR_BEN_R": REFERENTIAL, "ER_PRS_F": CARE}


async def datasets(hub) -> dict[str, str]:
    """One dataset per table, published with each variable's identifier kind."""
    found = {}
    for table, kinds in TABLES.items():
        dataset_id = await hub.dataset({})
        variables = [{"name": n, "identifier": k} for n, k in kinds.items()]
        await hub.catalog_event(
            "hdh.catalog.table.published.v1",
            {"dataset_id": dataset_id, "table": table, "variables": variables},
        )
        found[table] = dataset_id
    return found


def asks(ids: dict[str, str], *, leave_out: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "dataset_id": ids[table],
            "variables": [
                {"table": table, "name": n, "justification": "Linkage."}
                for n in kinds
                if n != leave_out
            ],
        }
        for table, kinds in TABLES.items()
    ]


def probabilistic(ids: dict[str, str], **changes: Any) -> dict[str, Any]:
    return {
        "method": "probabilistic",
        "left": {"dataset_id": ids["COHORTE"], "table": "COHORTE", "person": "ID_COHORTE"},
        "right": {"dataset_id": ids["IR_BEN_R"], "table": "IR_BEN_R", "person": "BEN_NIR_PSA"},
        "compare": [
            {"kind": "birth_date", "left": "DATE_NAISSANCE", "right": "BEN_NAI_DTE"},
            {"kind": "sex", "left": "SEXE", "right": "BEN_SEX_COD"},
            {"kind": "postcode", "left": "CODE_POSTAL", "right": "BEN_RES_COM"},
        ],
    } | changes


def deterministic(ids: dict[str, str], on: str = "BEN_NIR_PSA") -> dict[str, Any]:
    return {"datasets": [ids["IR_BEN_R"], ids["ER_PRS_F"]], "on": on}


async def file(
    hub, linkage: list[Any], *, leave_out: str | None = None, kinds_unknown: bool = False
) -> Any:
    project = await hub.project()
    ids = await datasets(hub)
    if kinds_unknown:  # as recorded before the catalogue's kinds were kept
        async with hub.engine.begin() as connection:
            await connection.execute(sa.text("UPDATE access.variable_ref SET identifier = NULL"))
    body = hub.request_body(project["id"], ids["COHORTE"]) | {
        "datasets": asks(ids, leave_out=leave_out),
        "linkage": [need(ids) for need in linkage],
    }
    return await hub.client.post(
        "/access/requests", json=body, headers=hub.as_("researcher", "alice")
    )


async def test_a_request_asks_for_both_methods_and_an_old_need_is_deterministic(hub) -> None:
    created = await file(hub, [probabilistic, deterministic])
    assert created.status_code == 201, created.text
    needs = created.json()["linkage"]
    assert [n["method"] for n in needs] == ["probabilistic", "deterministic"]
    assert needs[0]["compare"][0] == {
        "kind": "birth_date",
        "left": "DATE_NAISSANCE",
        "right": "BEN_NAI_DTE",
    }
    async with hub.engine.connect() as connection:  # as stored before methods existed
        await connection.execute(
            sa.text(
                "UPDATE access.access_request"
                " SET linkage = jsonb_build_array((linkage->1) - 'method')"
            )
        )
        await connection.commit()
    read = await hub.client.get(
        f"/access/requests/{created.json()['id']}", headers=hub.as_("researcher", "alice")
    )
    assert read.json()["linkage"] == [needs[1]]


async def test_linkages_are_refused_with_the_reason(hub) -> None:
    cases = [
        (
            [lambda ids: probabilistic(ids)],
            {"leave_out": "SEXE"},
            "/problems/linkage-column-not-asked",
            "SEXE",
        ),
        (
            [lambda ids: deterministic(ids)],
            {"leave_out": "BEN_NIR_PSA"},
            "/problems/linkage-column-not-asked",
            "BEN_NIR_PSA",
        ),
        (
            [lambda ids: deterministic(ids, on="PRS_NAT_REF")],
            {},
            "/problems/linkage-column-not-asked",  # only in one of the two datasets
            "PRS_NAT_REF",
        ),
        (
            [
                lambda ids: probabilistic(
                    ids,
                    right={
                        "dataset_id": ids["IR_BEN_R"],
                        "table": "IR_BEN_R",
                        "person": "BEN_RES_COM",
                    },
                )
            ],
            {},
            "/problems/linkage-key-not-pseudonymised",
            "BEN_RES_COM",
        ),
    ]
    for linkage, options, type_, column in cases:
        refused = await file(hub, linkage, **options)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert (problem["type"], problem["column"], problem["linkage"]) == (type_, column, 1)


async def test_a_key_of_a_kind_not_yet_known_is_not_refused(hub) -> None:
    keyed = {"dataset_id": "", "table": "IR_BEN_R", "person": "BEN_RES_COM"}

    def by_commune(ids: dict[str, str]) -> dict[str, Any]:
        return probabilistic(ids, right=keyed | {"dataset_id": ids["IR_BEN_R"]})

    assert (await file(hub, [by_commune], kinds_unknown=True)).status_code == 201
    assert (await file(hub, [by_commune])).status_code == 409


async def test_a_malformed_linkage_is_a_validation_error(hub) -> None:
    same_table = [
        lambda ids: probabilistic(ids, right=probabilistic(ids)["left"]),
        lambda ids: probabilistic(ids, method="fuzzy"),
        lambda ids: probabilistic(ids, compare=probabilistic(ids)["compare"][:1]),
        lambda ids: probabilistic(ids, compare=[probabilistic(ids)["compare"][0]] * 2),
        lambda ids: deterministic(ids) | {"datasets": [str(uuid.uuid4()), ids["ER_PRS_F"]]},
    ]
    for need in same_table:
        refused = await file(hub, [need])
        assert refused.status_code == 422, refused.text


async def test_the_grant_carries_the_linkages(hub) -> None:
    created = await file(hub, [probabilistic, deterministic])
    request = created.json()
    await hub.drive_to(request["id"], "data_preparation")
    async with hub.engine.connect() as connection:
        [issued] = await connection.scalars(
            sa.text(
                "SELECT payload->'data' FROM access.outbox"
                " WHERE payload->>'type' = 'hdh.access.grant.issued.v1'"
            )
        )
    assert issued["linkage"] == request["linkage"]
    grants = await hub.client.get("/access/grants", headers=hub.as_("researcher", "alice"))
    [grant] = [g for g in grants.json()["items"] if g["request_id"] == request["id"]]
    assert grant["linkage"] == request["linkage"]
