"""The witness over HTTP: ``POST /add-checkpoint`` and ``GET /<origin hash>/checkpoint``."""

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hdh_tlog.witness.core import Refused, Witness

MAX_BODY = 64 * 1024
NOTE_TYPE = "text/plain; charset=utf-8"


def create_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("request too large\n", status_code=413)
        try:
            line = await run_in_threadpool(witness.add_checkpoint, body)
        except Refused as refusal:
            if refusal.status == 409:
                headers = {"content-type": "text/x.tlog.size"}
                return Response(f"{refusal.size}\n", status_code=409, headers=headers)
            return PlainTextResponse(refusal.reason + "\n", status_code=refusal.status)
        return Response(line, headers={"content-type": NOTE_TYPE})

    async def checkpoint(request: Request) -> Response:
        note = await run_in_threadpool(witness.latest, request.path_params["origin_hash"])
        if note is None:
            return PlainTextResponse("no checkpoint cosigned for this log\n", status_code=404)
        return Response(note, headers={"content-type": NOTE_TYPE, "cache-control": "no-cache"})

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/{origin_hash:str}/checkpoint", checkpoint, methods=["GET"]),
        ]
    )
