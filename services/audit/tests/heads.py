"""The type of the ``signed_head`` fixture, for the tests that wait for a tree head."""

from collections.abc import Awaitable, Callable
from typing import Any

SignedHead = Callable[..., Awaitable[dict[str, Any]]]
