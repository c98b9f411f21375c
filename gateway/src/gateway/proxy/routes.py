"""Which service a path belongs to, and the limits of its route."""

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import NamedTuple, TypeVar

from gateway.config import SERVICES, Settings

_T = TypeVar("_T")
_RESOURCE_TYPES = {"requests": "access_request", "entries": "entry"}
_ID_SEGMENT = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\d+)$"
)


@dataclass(frozen=True)
class RouteRules:
    services: Mapping[str, str]
    timeouts: Mapping[str, float]
    default_timeout: float
    body_limits: Mapping[str, int]
    default_body_limit: int
    health_data: Sequence[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> "RouteRules":
        return cls(
            services=settings.service_urls(),
            timeouts=settings.route_timeouts,
            default_timeout=settings.upstream_timeout,
            body_limits=settings.route_body_limits,
            default_body_limit=settings.max_body_bytes,
            health_data=settings.health_data_routes,
        )

    def timeout(self, path: str) -> float:
        return _first(self.timeouts, path, self.default_timeout)

    def body_limit(self, path: str) -> int:
        return _first(self.body_limits, path, self.default_body_limit)

    def returns_health_data(self, path: str) -> bool:
        return any(fnmatchcase(path, pattern) for pattern in self.health_data)


class PublicRoutes:
    """The routes served without a token: ``[METHOD ]PATH`` patterns, where ``{name}`` in
    PATH is one segment and ``*`` anything (as ``fnmatch``); ``GET`` also admits ``HEAD``."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._rules = [_public_rule(pattern) for pattern in patterns]

    def admit(self, method: str, path: str) -> bool:
        return any(
            (methods is None or method in methods) and regex.fullmatch(path)
            for methods, regex in self._rules
        )


def _public_rule(pattern: str) -> tuple[frozenset[str] | None, re.Pattern[str]]:
    method, _, path = pattern.strip().rpartition(" ")
    methods = None
    if method:
        methods = frozenset({method.upper(), "HEAD"} if method.upper() == "GET" else {method})
    parts = re.split(r"(\{[^}/]*\}|\*)", path)
    regex = "".join(
        "[^/]+" if part.startswith("{") else ".*" if part == "*" else re.escape(part)
        for part in parts
    )
    return methods, re.compile(regex)


def _first(patterns: Mapping[str, _T], path: str, default: _T) -> _T:
    return next((v for pattern, v in patterns.items() if fnmatchcase(path, pattern)), default)


def service_of(path: str) -> str | None:
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in SERVICES else None


def is_clean(raw_path: str) -> bool:
    """No dot segments, encoded slashes or control characters that could retarget a request."""
    segments = raw_path.split("/")
    decoded = [urllib.parse.unquote(segment) for segment in segments]
    return all(
        segment not in {".", ".."}
        and "/" not in segment
        and "\\" not in segment
        and segment.isprintable()
        for segment in decoded
    )


class Route(NamedTuple):
    """``/catalog/datasets/{id}/tables``, and the resource ``path`` acts on: the last id in
    it, its type named by the collection before it (``/access/grants/{id}`` → ``grant``)."""

    template: str
    resource_type: str | None
    resource_id: str | None


def route_of(path: str) -> Route:
    resource_type = resource_id = None
    parts = path.split("/")
    for index, segment in enumerate(parts):
        if _ID_SEGMENT.match(segment):
            resource_id, parts[index] = segment, "{id}"
            resource_type = _resource_type(parts[index - 1]) if index > 1 else None
    if resource_id is None and len(parts) > 2:
        resource_type = _resource_type(parts[2])
    return Route("/".join(parts), resource_type, resource_id)


def _resource_type(collection: str) -> str:
    """The singular, as the audit trail names it (an access request, not an HTTP request)."""
    if collection in _RESOURCE_TYPES:
        return _RESOURCE_TYPES[collection]
    return collection.removesuffix("s").replace("-", "_")
