"""The variable basket becomes the dataset and variable list of an access request."""

import uuid

from hdh_dev.testing import TokenFactory, bearer

from ..snds import Snds


async def test_basket_turns_into_a_request(snds: Snds, make_token: TokenFactory) -> None:
    me = bearer(make_token("catalog", "researcher", sub="researcher-1", org="inserm"))
    picks = [("IR_BEN_R", "BEN_NAI_ANN"), ("IR_BEN_R", "BEN_NIR_PSA"), ("ER_PRS_F", "PRS_NAT_REF")]
    for table, variable in picks + picks[:1]:
        body = {"dataset_id": snds.dataset_id, "table": table, "variable": variable}
        response = await snds.client.post("/catalog/basket/items", json=body, headers=me)
        assert response.status_code == 201, response.text
    assert len(response.json()["items"]) == 3
    request = (await snds.client.get("/catalog/basket/request", headers=me)).json()
    (dataset,) = request["datasets"]
    assert dataset["slug"] == "snds"
    chosen = {(v["table"], v["variable"], v["identifier"]) for v in dataset["variables"]}
    assert ("IR_BEN_R", "BEN_NIR_PSA", "direct") in chosen and len(chosen) == 3
    url = f"/catalog/basket/items/{snds.dataset_id}/IR_BEN_R/BEN_NAI_ANN"
    assert (await snds.client.delete(url, headers=me)).status_code == 204
    assert (await snds.client.delete(url, headers=me)).status_code == 404
    assert len((await snds.client.get("/catalog/basket", headers=me)).json()["items"]) == 2
    someone_else = bearer(make_token("catalog", "researcher", sub="eve"))
    assert (await snds.client.get("/catalog/basket", headers=someone_else)).json()["items"] == []


async def test_basket_refuses_unknown_variables_and_other_roles(
    snds: Snds, make_token: TokenFactory
) -> None:
    me = bearer(make_token("catalog", "researcher", sub="researcher-1", org="inserm"))
    body = {"dataset_id": str(uuid.uuid4()), "table": "IR_BEN_R", "variable": "X"}
    assert (
        await snds.client.post("/catalog/basket/items", json=body, headers=me)
    ).status_code == 404
    producer = bearer(make_token("catalog", "producer", sub="producer-1", org="cnam"))
    assert (await snds.client.get("/catalog/basket", headers=producer)).status_code == 403
