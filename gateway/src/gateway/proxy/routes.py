"""Which service a path belongs to, and the limits of its route."""

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TypeVar

from gateway.config import SERVICES, Settings

_T = TypeVar("_T")
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


def route_template(path: str) -> tuple[str, str | None]:
    """``/catalog/datasets/{id}/tables`` and the last id in ``path``, for the request log."""
    resource: str | None = None
    parts = []
    for segment in path.split("/"):
        if _ID_SEGMENT.match(segment):
            resource = segment
            parts.append("{id}")
        else:
            parts.append(segment)
    return "/".join(parts), resource
