import httpx
import jsonschema
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from hdh_common.errors import install_error_handlers


async def test_an_http_status_outside_the_tree_keeps_its_status() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(status_code=406, detail="Ask for JSON-LD or Turtle.")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/teapot")
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "/problems/not-acceptable",
        "title": "Not Acceptable",
        "status": 406,
        "detail": "Ask for JSON-LD or Turtle.",
        "instance": "/teapot",
    }


class Item(BaseModel):
    count: int


async def test_validation_errors_are_documented_as_the_problems_they_are() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        spec = (await client.get("/openapi.json")).json()
        refused = await client.post("/items", json={"count": "many"})
    documented = spec["paths"]["/items"]["post"]["responses"]["422"]["content"]
    assert list(documented) == [refused.headers["content-type"]] == ["application/problem+json"]
    name = documented["application/problem+json"]["schema"]["$ref"].rsplit("/", 1)[1]
    problem = spec["components"]["schemas"][name]
    jsonschema.validate(refused.json(), problem)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
