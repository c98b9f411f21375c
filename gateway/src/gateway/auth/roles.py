"""Platform roles from the token: from configurable claim paths, through a name mapping.

No provider can grant the internal service identity: ``system`` is never mapped, whatever the
token or the mapping says.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from hdh_common.identity import EXTERNAL_ROLES, Role


class RoleMapper:
    def __init__(
        self,
        *,
        claim_paths: Sequence[str],
        mapping: Mapping[str, str],
        organisation_claim: str,
    ) -> None:
        self._paths = [path.split(".") for path in claim_paths]
        granted = {value.value: value for value in EXTERNAL_ROLES} | {
            name: Role(role) for name, role in mapping.items()
        }
        self._mapping = {name: role for name, role in granted.items() if role in EXTERNAL_ROLES}
        self._organisation_claim = organisation_claim.split(".")

    def roles(self, claims: Mapping[str, Any]) -> frozenset[Role]:
        names = {name for path in self._paths for name in _strings(_lookup(claims, path))}
        return frozenset(self._mapping[name] for name in names if name in self._mapping)

    def organisation(self, claims: Mapping[str, Any]) -> str | None:
        value = _lookup(claims, self._organisation_claim)
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value) if isinstance(value, str | int) else None


def _lookup(claims: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = claims
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
