import httpx
from fastapi import FastAPI, HTTPException

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
