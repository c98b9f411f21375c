import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .stack import Stack, StackFactory, gateway_stack


@pytest.fixture(scope="module")
async def module_stack(
    tmp_path_factory: pytest.TempPathFactory, token_private_key: str, token_public_key: str
) -> AsyncIterator[Stack]:
    async with gateway_stack(
        tmp_path_factory.mktemp("gateway"),
        private_key=token_private_key,
        public_key=token_public_key,
    ) as stack:
        yield stack


@pytest.fixture
def stack(module_stack: Stack) -> Stack:
    """The module's stack, its record of calls emptied."""
    module_stack.calls.paths.clear()
    module_stack.calls.headers.clear()
    return module_stack


@pytest.fixture
def make_stack(tmp_path: Path, token_private_key: str, token_public_key: str) -> StackFactory:
    """``async with make_stack(**gateway_settings) as stack``: a stack of the test's own."""
    return functools.partial(
        gateway_stack, tmp_path, private_key=token_private_key, public_key=token_public_key
    )
