"""What a notebook server is to the tests' hub: a process that records the environment it was
started with (``<HDH_TEST_SESSIONS>/<user>-<server>.json``) and answers HTTP at its URL."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

RECORDED = ("AWS_", "HDH_", "JUPYTERHUB_USER", "JUPYTERHUB_SERVER_NAME")


class Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"session")

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    url = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
    record = {k: v for k, v in os.environ.items() if k.startswith(RECORDED)}
    name = f"{os.environ['JUPYTERHUB_USER']}-{os.environ['JUPYTERHUB_SERVER_NAME']}.json"
    (Path(os.environ["HDH_TEST_SESSIONS"]) / name).write_text(json.dumps(record))
    ThreadingHTTPServer((url.hostname or "127.0.0.1", url.port or 80), Answer).serve_forever()


if __name__ == "__main__":
    main()
