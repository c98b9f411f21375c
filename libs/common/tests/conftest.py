from collections.abc import Iterator

import pytest

from hdh_dev.s3server import S3Server, start_s3_server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A moto S3 API server, one for the session; tests isolate themselves by bucket."""
    server = start_s3_server()
    yield server
    server.stop()
